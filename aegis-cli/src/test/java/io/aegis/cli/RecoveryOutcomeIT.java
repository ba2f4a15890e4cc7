package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, defect 9 on the real {@code aegis} executable: a crash loop is not counted as successful recoveries.
 * The service exits at once on every start; each restart is carried out (a process is started) but the service
 * never becomes healthy, so every restart is {@code not_healthy} and none {@code succeeded}.
 */
@Timeout(90)
class RecoveryOutcomeIT {
    @TempDir
    Path dir;

    @Test
    void aCrashLoopCountsItsRestartsAsNotHealthyAndNoneAsSucceeded() {
        int metricsPort = Loopback.freePort();
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsPort: %d
                  metricsHost: 127.0.0.1
                  stateDir: state
                services:
                  - name: crashy
                    type: tcp
                    endpoint: 127.0.0.1:%d
                    interval: 200ms
                    timeout: 100ms
                    actions:
                      onFailure: restart
                      backoff: {initial: 10ms, multiplier: 1, max: 10ms}
                      budget: {max: 3, window: 10m}
                    runtime:
                      type: process
                      command: [sh, -c, "exit 3"]
                """.formatted(metricsPort, Loopback.freePort()));

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().untilAsserted(() -> assertThat(Loopback.body(metricsPort, "/metrics"))
                    .contains("aegis_recovery_budget_exhausted_total{service=\"crashy\"} 1.0"));

            assertThat(Loopback.body(metricsPort, "/metrics")).contains(
                    "aegis_service_restarts_total{service=\"crashy\"} 3.0",
                    "aegis_recoveries_total{action=\"restart\",outcome=\"not_healthy\",service=\"crashy\"} 3.0",
                    "aegis_recoveries_total{action=\"restart\",outcome=\"succeeded\",service=\"crashy\"} 0.0");
        }
    }
}
