package io.aegis.alerting.webhook;

import io.aegis.alerting.internal.Annotations;
import io.aegis.alerting.internal.Json;
import io.aegis.api.Alert;
import io.aegis.api.Notification;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Writes a notification as the JSON body Alertmanager's webhook receiver sends (version 4), so that anything
 * that understands Alertmanager webhooks (and its templates' fields) understands ours.
 *
 * <p>Label and annotation keys are sorted, as Go's JSON encoder sorts map keys. Aegis has no URL per alert, so
 * {@code generatorURL} and {@code externalURL} are empty strings, as Alertmanager sends them when unset.
 */
final class WebhookPayload {
    /** Go's zero time, which Alertmanager sends as {@code endsAt} of an alert that still fires. */
    static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    private WebhookPayload() {
    }

    /**
     * The body that tells receiver {@code receiver} about one alert alone, grouped by alertname and service
     * (what aegis sent before notifications were grouped).
     */
    static String json(String receiver, Alert alert) {
        SortedMap<String, String> groupLabels = new TreeMap<>();
        groupLabels.put("alertname", alert.name());
        groupLabels.put("service", alert.serviceName());
        Notification notification = new Notification(alert.fingerprint(), groupKey(groupLabels), groupLabels,
                List.of(alert), false, alert.startsAt());
        return json(receiver, notification);
    }

    /** The body that tells receiver {@code receiver} about every alert of {@code notification}. */
    static String json(String receiver, Notification notification) {
        List<Object> alerts = new ArrayList<>();
        for (Alert alert : notification.alerts()) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("status", status(alert.state()));
            item.put("labels", alert.labelSet());
            item.put("annotations", Annotations.withSummary(alert));
            item.put("startsAt", time(alert.startsAt()));
            item.put("endsAt", alert.endsAt().map(WebhookPayload::time).orElse(ZERO_TIME));
            item.put("generatorURL", "");
            item.put("fingerprint", alert.fingerprint());
            alerts.add(item);
        }
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("version", "4");
        payload.put("groupKey", notification.groupKey());
        payload.put("truncatedAlerts", 0);
        payload.put("status", status(notification.status()));
        payload.put("receiver", receiver);
        payload.put("groupLabels", notification.groupLabels());
        payload.put("commonLabels", notification.commonLabels());
        payload.put("commonAnnotations", notification.commonAnnotations());
        payload.put("externalURL", "");
        payload.put("alerts", alerts);
        return Json.write(payload);
    }

    static String status(Alert.State state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    /** Alertmanager's group key for the root route: {@code {}:{alertname="X", service="y"}}. */
    private static String groupKey(SortedMap<String, String> groupLabels) {
        StringBuilder key = new StringBuilder("{}:{");
        groupLabels.forEach((name, value) -> {
            if (key.length() > 4) {
                key.append(", ");
            }
            key.append(name).append('=').append(Json.quote(value));
        });
        return key.append('}').toString();
    }

    static String time(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }
}
