package io.aegis.alerting.alertmanager;

import io.aegis.alerting.internal.Json;
import io.aegis.api.Alert;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes alerts as the body of Alertmanager's {@code POST /api/v2/alerts}: a JSON array of
 * {@code {labels, annotations, startsAt, endsAt}} (postableAlerts in Alertmanager's OpenAPI spec).
 *
 * <p>A firing alert's {@code endsAt} lies {@link #FIRING_VALIDITY} re-send intervals ahead, as Prometheus sets it:
 * Alertmanager keeps the alert firing while the re-sends arrive, and resolves it by itself when they stop (aegis
 * died), instead of keeping it forever. A resolved alert carries its real end, which lies in the past, so
 * Alertmanager resolves it at once. {@code generatorURL} is left out: aegis has no page per alert.
 */
final class AlertmanagerPayload {
    /** How many re-send intervals a firing alert stays valid without a re-send; Prometheus uses 4. */
    static final int FIRING_VALIDITY = 4;

    private AlertmanagerPayload() {
    }

    /** The body for {@code alerts}, sent at {@code now} by a notifier re-sending every {@code resendInterval}. */
    static String json(List<Alert> alerts, Instant now, java.time.Duration resendInterval) {
        Instant firingUntil = now.plus(resendInterval.multipliedBy(FIRING_VALIDITY));
        List<Object> items = new ArrayList<>();
        for (Alert alert : alerts) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("labels", alert.labelSet());
            Map<String, String> annotations = new TreeMap<>(alert.annotations());
            annotations.put("summary", alert.summary());
            item.put("annotations", annotations);
            item.put("startsAt", time(alert.startsAt()));
            item.put("endsAt", time(alert.endsAt().orElse(firingUntil)));
            items.add(item);
        }
        return Json.write(items);
    }

    private static String time(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }
}
