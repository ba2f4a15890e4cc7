package io.aegis.alerting.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.Alert;
import io.aegis.api.Notification;
import io.aegis.api.Severity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookPayloadTest {
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

    /** Two services' alerts grouped by alertname, as a route with {@code groupBy: [alertname]} sends them. */
    static Notification group() {
        Alert api = firing().toBuilder().description("3 checks failed").runbookUrl("https://runbooks/api").build();
        Alert web = Alert.builder("ServiceUnhealthy", "web").severity(Severity.CRITICAL)
                .summary("web is unhealthy: timeout").label("zone", "eu-1").description("3 checks failed")
                .startsAt(STARTS_AT.plusSeconds(5)).build().resolve(ENDS_AT);
        return new Notification("5f0c6c1e-1d7a-4f8e-9a43-0d1f2e3c4b5a",
                "{}/{severity=\"critical\"}:{alertname=\"ServiceUnhealthy\"}", Map.of("alertname", "ServiceUnhealthy"),
                List.of(api, web), false, ENDS_AT);
    }

    @Test
    void writesFiringAlertAsAlertmanagerWebhookPayload() {
        String fingerprint = firing().fingerprint();

        assertThat(WebhookPayload.json("ops", firing())).isEqualTo("{\"version\":\"4\","
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
        String json = WebhookPayload.json("ops", firing().resolve(ENDS_AT));

        assertThat(json).startsWith("{\"version\":\"4\",").contains("\"status\":\"resolved\",\"receiver\":\"ops\"")
                .contains("\"startsAt\":\"2024-05-01T12:00:00Z\",\"endsAt\":\"2024-05-01T12:03:30.250Z\"")
                .doesNotContain("firing");
    }

    @Test
    void writesAWholeNotificationAsOnePayloadWithItsGroupAndWhatItsAlertsShare() {
        Notification group = group();

        assertThat(WebhookPayload.json("pager", group)).isEqualTo("{\"version\":\"4\","
                + "\"groupKey\":\"{}/{severity=\\\"critical\\\"}:{alertname=\\\"ServiceUnhealthy\\\"}\","
                + "\"truncatedAlerts\":0,\"status\":\"firing\",\"receiver\":\"pager\","
                + "\"groupLabels\":{\"alertname\":\"ServiceUnhealthy\"},"
                + "\"commonLabels\":{\"alertname\":\"ServiceUnhealthy\",\"severity\":\"critical\",\"zone\":\"eu-1\"},"
                + "\"commonAnnotations\":{\"description\":\"3 checks failed\"},\"externalURL\":\"\","
                + "\"alerts\":[{\"status\":\"firing\","
                + "\"labels\":{\"alertname\":\"ServiceUnhealthy\",\"service\":\"api\",\"severity\":\"critical\","
                + "\"zone\":\"eu-1\"},"
                + "\"annotations\":{\"description\":\"3 checks failed\",\"runbook_url\":\"https://runbooks/api\","
                + "\"summary\":\"api is unhealthy: HTTP 503\"},"
                + "\"startsAt\":\"2024-05-01T12:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"\","
                + "\"fingerprint\":\"" + group.alerts().get(0).fingerprint() + "\"},"
                + "{\"status\":\"resolved\","
                + "\"labels\":{\"alertname\":\"ServiceUnhealthy\",\"service\":\"web\",\"severity\":\"critical\","
                + "\"zone\":\"eu-1\"},"
                + "\"annotations\":{\"description\":\"3 checks failed\",\"summary\":\"web is unhealthy: timeout\"},"
                + "\"startsAt\":\"2024-05-01T12:00:05Z\",\"endsAt\":\"2024-05-01T12:03:30.250Z\",\"generatorURL\":\"\","
                + "\"fingerprint\":\"" + group.alerts().get(1).fingerprint() + "\"}]}");
    }

    @Test
    void aNotificationWhoseAlertsAllResolvedIsResolved() {
        Notification group = group();
        Notification resolved = new Notification("n-2", group.groupKey(), group.groupLabels(),
                List.of(group.alerts().get(0).resolve(ENDS_AT), group.alerts().get(1)), false, ENDS_AT);

        assertThat(WebhookPayload.json("pager", resolved)).contains(",\"status\":\"resolved\",\"receiver\"")
                .doesNotContain("firing");
    }

    @Test
    void fingerprintOfResolvedAlertEqualsThatOfFiringOne() {
        assertThat(WebhookPayload.json("ops", firing().resolve(ENDS_AT)))
                .contains("\"fingerprint\":\"" + firing().fingerprint() + "\"");
    }
}
