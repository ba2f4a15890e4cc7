package io.aegis.core.internal.alerting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.api.Alert;
import io.aegis.api.Notification;
import io.aegis.api.Severity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Alerts and notifications as JSON, for what aegis keeps on disk (the spool, the alerts that fire). The format
 * is aegis' own and versioned by {@link #VERSION}; a file written by another version is read if its fields are
 * there and ignored field by field otherwise.
 */
public final class AlertJson {
    /** The format's version, written into every record. */
    public static final int VERSION = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private AlertJson() {
    }

    /** The mapper to read and write records with. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** {@code alert} as a JSON object. */
    public static ObjectNode toJson(Alert alert) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("name", alert.name());
        node.put("service", alert.serviceName());
        node.put("severity", alert.severity().name());
        node.put("state", alert.state().name());
        node.put("summary", alert.summary());
        node.set("labels", MAPPER.valueToTree(alert.labels()));
        node.set("annotations", MAPPER.valueToTree(alert.annotations()));
        node.put("startsAt", alert.startsAt().toString());
        alert.endsAt().ifPresent(end -> node.put("endsAt", end.toString()));
        return node;
    }

    /**
     * The alert written by {@link #toJson(Alert)}.
     *
     * @throws IllegalArgumentException when a field is missing or malformed
     */
    public static Alert alert(JsonNode node) {
        try {
            Alert.Builder builder = Alert.builder(text(node, "name"), text(node, "service"))
                    .severity(Severity.valueOf(text(node, "severity").toUpperCase(Locale.ROOT)))
                    .state(Alert.State.valueOf(text(node, "state").toUpperCase(Locale.ROOT)))
                    .summary(node.path("summary").asText(""))
                    .labels(strings(node.path("labels")))
                    .annotations(strings(node.path("annotations")))
                    .startsAt(Instant.parse(text(node, "startsAt")));
            if (node.hasNonNull("endsAt")) {
                builder.endsAt(Instant.parse(node.get("endsAt").asText()));
            }
            return builder.build();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not an alert record: " + e.getMessage(), e);
        }
    }

    /** {@code notification} as a JSON object. */
    public static ObjectNode toJson(Notification notification) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("version", VERSION);
        node.put("id", notification.id());
        node.put("groupKey", notification.groupKey());
        node.set("groupLabels", MAPPER.valueToTree(notification.groupLabels()));
        ArrayNode alerts = node.putArray("alerts");
        notification.alerts().forEach(alert -> alerts.add(toJson(alert)));
        node.put("repeat", notification.repeat());
        node.put("createdAt", notification.createdAt().toString());
        return node;
    }

    /**
     * The notification written by {@link #toJson(Notification)}.
     *
     * @throws IllegalArgumentException when a field is missing or malformed
     */
    public static Notification notification(JsonNode node) {
        try {
            List<Alert> alerts = new ArrayList<>();
            for (JsonNode alert : node.path("alerts")) {
                alerts.add(alert(alert));
            }
            return new Notification(text(node, "id"), text(node, "groupKey"), strings(node.path("groupLabels")),
                    alerts, node.path("repeat").asBoolean(false), Instant.parse(text(node, "createdAt")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a notification record: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("no text field " + field);
        }
        return value.asText();
    }

    private static Map<String, String> strings(JsonNode node) {
        Map<String, String> map = new LinkedHashMap<>();
        node.fields().forEachRemaining(entry -> map.put(entry.getKey(), entry.getValue().asText()));
        return map;
    }
}
