package io.aegis.alerting.alertmanager;

import io.aegis.alerting.internal.Annotations;
import io.aegis.alerting.internal.Json;
import io.aegis.api.Alert;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

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

    private static final Pattern VALID_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern INVALID_CHARACTER = Pattern.compile("[^a-zA-Z0-9_]");

    private AlertmanagerPayload() {
    }

    /** The body for {@code alerts}, sent at {@code now} by a notifier re-sending every {@code resendInterval}. */
    static String json(List<Alert> alerts, Instant now, java.time.Duration resendInterval) {
        Instant firingUntil = now.plus(resendInterval.multipliedBy(FIRING_VALIDITY));
        List<Object> items = new ArrayList<>();
        for (Alert alert : alerts) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("labels", validNames(alert.labelSet()));
            item.put("annotations", validNames(Annotations.withSummary(alert)));
            item.put("startsAt", time(alert.startsAt()));
            item.put("endsAt", time(alert.endsAt().orElse(firingUntil)));
            items.add(item);
        }
        return Json.write(items);
    }

    /**
     * The map with every name Alertmanager would refuse made valid: it takes only Prometheus names
     * ({@code [a-zA-Z_][a-zA-Z0-9_]*}) for labels and annotations, and refuses the whole request for one bad name
     * (HTTP 400, "invalid label set"), which would lose every alert of it. So {@code app.kubernetes.io/name} is sent
     * as {@code app_kubernetes_io_name}, as Prometheus' relabelling writes it; a name already valid wins a clash.
     * Such an alert's fingerprint in Alertmanager is then that of the changed labels, not
     * {@link Alert#fingerprint()}.
     */
    static Map<String, String> validNames(Map<String, String> values) {
        Map<String, String> valid = new TreeMap<>();
        values.forEach((name, value) -> {
            if (VALID_NAME.matcher(name).matches()) {
                valid.put(name, value);
            }
        });
        values.forEach((name, value) -> valid.putIfAbsent(validName(name), value));
        return valid;
    }

    static String validName(String name) {
        String replaced = INVALID_CHARACTER.matcher(name).replaceAll("_");
        return replaced.isEmpty() || Character.isDigit(replaced.charAt(0)) ? "_" + replaced : replaced;
    }

    private static String time(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }
}
