package io.aegis.alerting.alertmanager;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertmanagerPayloadTest {
    @Test
    void namesAlertmanagerWouldRefuseAreMadeValidAsPrometheusRelabellingWritesThem() {
        assertThat(AlertmanagerPayload.validNames(Map.of("app.kubernetes.io/name", "api", "dashboard-url", "u",
                "9lives", "x", "team", "sre")))
                .containsExactly(Map.entry("_9lives", "x"), Map.entry("app_kubernetes_io_name", "api"),
                        Map.entry("dashboard_url", "u"), Map.entry("team", "sre"));
    }

    @Test
    void aValidNameWinsOverAnotherMadeEqualToIt() {
        assertThat(AlertmanagerPayload.validNames(Map.of("a.b", "changed", "a_b", "valid")))
                .containsExactly(Map.entry("a_b", "valid"));
    }
}
