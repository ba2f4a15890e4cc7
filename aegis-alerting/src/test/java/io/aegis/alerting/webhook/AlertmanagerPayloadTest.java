package io.aegis.alerting.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.Alert;
import io.aegis.api.Severity;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AlertmanagerPayloadTest {
    static final Instant STARTS_AT = Instant.parse("2024-05-01T12:00:00Z");
    static final Instant ENDS_AT = Instant.parse("2024-05-01T12:03:30.250Z");

    static Alert firing() {
        return Alert.builder("ServiceUnhealthy", "api")
                .severity(Severity.CRITICAL)
                .summary("api is unhealthy: HTTP 503")
                .label("zone", "eu-1")
                .startsAt(STARTS_AT)
                .build();
    }

    @Test
    void fingerprintIsPrometheusLabelSetFingerprint() {
        // the expected values are the ones prometheus/common's model tests assert for these label sets
        assertThat(AlertmanagerPayload.fingerprint(new TreeMap<>()))
                .isEqualTo(String.format("%016x", 0xcbf29ce484222325L));
        assertThat(AlertmanagerPayload.fingerprint(
                new TreeMap<>(Map.of("name", "garland, briggs", "fear", "love is not enough"))))
                .isEqualTo(Long.toHexString(5799056148416392346L));
        assertThat(AlertmanagerPayload.fingerprint(new TreeMap<>(Map.of("first-label", "first-label-value",
                "second-label", "second-label-value", "third-label", "third-label-value"))))
                .isEqualTo(Long.toUnsignedString(Long.parseUnsignedLong("13843036195897128121"), 16));
    }

    @Test
    void fingerprintOfResolvedAlertEqualsThatOfFiringOne() {
        Alert alert = firing();

        assertThat(AlertmanagerPayload.fingerprint(AlertmanagerPayload.labels(alert.resolve(ENDS_AT))))
                .isEqualTo(AlertmanagerPayload.fingerprint(AlertmanagerPayload.labels(alert)));
    }

    @Test
    void writesFiringAlertAsAlertmanagerWebhookPayload() {
        String fingerprint = AlertmanagerPayload.fingerprint(AlertmanagerPayload.labels(firing()));

        assertThat(AlertmanagerPayload.json("ops", firing())).isEqualTo("{\"version\":\"4\","
                + "\"groupKey\":\"{}:{alertname=\\\"ServiceUnhealthy\\\", service=\\\"api\\\"}\","
                + "\"truncatedAlerts\":0,\"status\":\"firing\",\"receiver\":\"ops\","
                + "\"groupLabels\":{\"alertname\":\"ServiceUnhealthy\",\"service\":\"api\"},"
                + "\"commonLabels\":{\"alertname\":\"ServiceUnhealthy\",\"service\":\"api\",\"severity\":\"critical\","
                + "\"zone\":\"eu-1\"},"
                + "\"commonAnnotations\":{\"summary\":\"api is unhealthy: HTTP 503\"},\"externalURL\":\"\","
                + "\"alerts\":[{\"status\":\"firing\","
                + "\"labels\":{\"alertname\":\"ServiceUnhealthy\",\"service\":\"api\",\"severity\":\"critical\","
                + "\"zone\":\"eu-1\"},"
                + "\"annotations\":{\"summary\":\"api is unhealthy: HTTP 503\"},"
                + "\"startsAt\":\"2024-05-01T12:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"\","
                + "\"fingerprint\":\"" + fingerprint + "\"}]}");
        assertThat(fingerprint).matches("[0-9a-f]{16}");
    }

    @Test
    void writesResolvedAlertWithItsEnd() {
        String json = AlertmanagerPayload.json("ops", firing().resolve(ENDS_AT));

        assertThat(json).startsWith("{\"version\":\"4\",").contains("\"status\":\"resolved\",\"receiver\":\"ops\"")
                .contains("\"startsAt\":\"2024-05-01T12:00:00Z\",\"endsAt\":\"2024-05-01T12:03:30.250Z\"")
                .doesNotContain("firing");
    }

    @Test
    void builtInLabelsWinOverExtraLabelsOfTheSameName() {
        Alert alert = firing().toBuilder().label("service", "spoofed").label("severity", "info").build();

        assertThat(AlertmanagerPayload.labels(alert)).containsEntry("service", "api")
                .containsEntry("severity", "critical");
    }
}
