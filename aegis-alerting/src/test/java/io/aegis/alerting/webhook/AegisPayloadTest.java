package io.aegis.alerting.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.Notification;
import org.junit.jupiter.api.Test;

class AegisPayloadTest {
    @Test
    void writesOneFlatObjectPerAlertWithAnIdStableAcrossRetries() {
        Notification group = WebhookPayloadTest.group();

        assertThat(AegisPayload.json("pager", group, 0)).isEqualTo("{\"version\":\"1\","
                + "\"id\":\"5f0c6c1e-1d7a-4f8e-9a43-0d1f2e3c4b5a/0\",\"receiver\":\"pager\",\"status\":\"firing\","
                + "\"alertname\":\"ServiceUnhealthy\",\"service\":\"api\",\"severity\":\"critical\","
                + "\"summary\":\"api is unhealthy: HTTP 503\",\"fingerprint\":\"" + group.alerts().get(0).fingerprint()
                + "\",\"startsAt\":\"2024-05-01T12:00:00Z\",\"endsAt\":null,"
                + "\"labels\":{\"alertname\":\"ServiceUnhealthy\",\"service\":\"api\",\"severity\":\"critical\","
                + "\"zone\":\"eu-1\"},"
                + "\"annotations\":{\"description\":\"3 checks failed\",\"runbook_url\":\"https://runbooks/api\"},"
                + "\"groupKey\":\"{}/{severity=\\\"critical\\\"}:{alertname=\\\"ServiceUnhealthy\\\"}\","
                + "\"repeat\":false}");
    }

    @Test
    void aResolvedAlertCarriesItsEnd() {
        Notification group = WebhookPayloadTest.group();

        assertThat(AegisPayload.json("pager", group, 1))
                .contains("\"id\":\"5f0c6c1e-1d7a-4f8e-9a43-0d1f2e3c4b5a/1\"")
                .contains("\"status\":\"resolved\"")
                .contains("\"endsAt\":\"2024-05-01T12:03:30.250Z\"");
    }
}
