package io.aegis.alerting.webhook;

import io.aegis.alerting.internal.Json;
import io.aegis.api.Alert;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Writes one alert as the JSON body Alertmanager's webhook receiver sends (version 4), so that anything
 * that understands Alertmanager webhooks understands ours.
 *
 * <p>Each payload carries exactly one alert, so the common labels and annotations are that alert's own.
 * Label and annotation keys are sorted, as Go's JSON encoder sorts map keys.
 */
final class AlertmanagerPayload {
    /** Go's zero time, which Alertmanager sends as {@code endsAt} of an alert that still fires. */
    static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final int SEPARATOR = 0xff;

    private AlertmanagerPayload() {
    }

    /** The JSON body that tells receiver {@code receiver} about {@code alert}. */
    static String json(String receiver, Alert alert) {
        SortedMap<String, String> labels = labels(alert);
        SortedMap<String, String> annotations = new TreeMap<>(Map.of("summary", alert.summary()));
        String status = alert.state().name().toLowerCase(Locale.ROOT);

        Map<String, Object> item = new LinkedHashMap<>();
        item.put("status", status);
        item.put("labels", labels);
        item.put("annotations", annotations);
        item.put("startsAt", time(alert.startsAt()));
        item.put("endsAt", alert.endsAt().map(AlertmanagerPayload::time).orElse(ZERO_TIME));
        item.put("generatorURL", "");
        item.put("fingerprint", fingerprint(labels));

        SortedMap<String, String> groupLabels = new TreeMap<>();
        groupLabels.put("alertname", labels.get("alertname"));
        groupLabels.put("service", labels.get("service"));

        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("version", "4");
        payload.put("groupKey", groupKey(groupLabels));
        payload.put("truncatedAlerts", 0);
        payload.put("status", status);
        payload.put("receiver", receiver);
        payload.put("groupLabels", groupLabels);
        payload.put("commonLabels", labels);
        payload.put("commonAnnotations", annotations);
        payload.put("externalURL", "");
        payload.put("alerts", List.of(item));
        return Json.write(payload);
    }

    /** The alert's labels: its extra labels, then alertname, service and severity, which win a clash. */
    static SortedMap<String, String> labels(Alert alert) {
        SortedMap<String, String> labels = new TreeMap<>(alert.labels());
        labels.put("alertname", alert.name());
        labels.put("service", alert.serviceName());
        labels.put("severity", alert.severity().label());
        return labels;
    }

    /**
     * Alertmanager's fingerprint of a label set (Prometheus {@code model.LabelSet.Fingerprint}): 64-bit
     * FNV-1a over each name and value in name order, each followed by the byte 0xff, as 16 hex digits.
     */
    static String fingerprint(SortedMap<String, String> labels) {
        long hash = FNV_OFFSET;
        for (Map.Entry<String, String> label : labels.entrySet()) {
            hash = add(hash, label.getKey());
            hash = add(hash, label.getValue());
        }
        return String.format("%016x", hash);
    }

    private static long add(long hash, String text) {
        long result = hash;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            result ^= b & 0xff;
            result *= FNV_PRIME;
        }
        result ^= SEPARATOR;
        return result * FNV_PRIME;
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

    private static String time(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }
}
