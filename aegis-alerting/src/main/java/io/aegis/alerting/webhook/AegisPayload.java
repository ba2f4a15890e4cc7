package io.aegis.alerting.webhook;

import io.aegis.alerting.internal.Json;
import io.aegis.api.Alert;
import io.aegis.api.Notification;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes one alert of a notification as aegis' own flat JSON object ({@code format: aegis}): the fields a
 * script or a chat bridge wants at the top level, no grouping envelope.
 *
 * <pre>{@code
 * {"version":"1","id":"<notification id>/0","receiver":"ops","status":"firing","alertname":"ServiceUnhealthy",
 *  "service":"api","severity":"critical","summary":"api is unhealthy: HTTP 503","fingerprint":"<16 hex>",
 *  "startsAt":"2024-05-01T12:00:00Z","endsAt":null,"labels":{...},"annotations":{...},
 *  "groupKey":"...","repeat":false}
 * }</pre>
 * {@code id} is the same when the same alert of the same notification is sent again (a retry, or after a
 * restart of aegis): a receiver drops a duplicate by it.
 */
final class AegisPayload {
    /** The version of this format; a receiver can tell a future incompatible change by it. */
    static final String VERSION = "1";

    private AegisPayload() {
    }

    /** The body for alert number {@code index} of {@code notification}. */
    static String json(String receiver, Notification notification, int index) {
        Alert alert = notification.alerts().get(index);
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("version", VERSION);
        payload.put("id", notification.id() + "/" + index);
        payload.put("receiver", receiver);
        payload.put("status", WebhookPayload.status(alert.state()));
        payload.put("alertname", alert.name());
        payload.put("service", alert.serviceName());
        payload.put("severity", alert.severity().label());
        payload.put("summary", alert.summary());
        payload.put("fingerprint", alert.fingerprint());
        payload.put("startsAt", WebhookPayload.time(alert.startsAt()));
        payload.put("endsAt", alert.endsAt().map(WebhookPayload::time).orElse(null));
        payload.put("labels", alert.labelSet());
        payload.put("annotations", alert.annotations());
        payload.put("groupKey", notification.groupKey());
        payload.put("repeat", notification.repeat());
        return Json.write(payload);
    }
}
