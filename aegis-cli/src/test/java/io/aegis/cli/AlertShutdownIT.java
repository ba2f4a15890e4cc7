package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.cli.AegisProcess.Result;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code aegis} executable stopped while an alert is still waiting to be delivered. */
@Timeout(90)
class AlertShutdownIT {

    @TempDir
    Path dir;

    @Test
    void sigtermLogsTheAlertThatTheWebhookNeverAcceptedKeepsItSpooledAndStillExitsZero() {
        int metricsPort = Loopback.freePort();
        int deadWebhookPort = Loopback.freePort();
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsEnabled: true
                  metricsPort: %d
                services:
                  - name: nothing-here
                    type: tcp
                    endpoint: 127.0.0.1:%d
                    interval: 200ms
                    timeout: 500ms
                    actions:
                      onFailure: notify
                notifications:
                  webhook:
                    endpoint: http://127.0.0.1:%d/hook
                alerting:
                  route: {groupWait: 0s, groupInterval: 0s}
                """.formatted(metricsPort, Loopback.freePort(), deadWebhookPort));

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .failFast(() -> assertThat(aegis.process().isAlive()).as("aegis is running").isTrue())
                    .untilAsserted(() -> assertThat(aegis.stderr())
                            .contains("nothing-here: could not deliver alert ServiceUnhealthy (firing) to webhook"
                                    + " (attempt 1)"));

            aegis.terminate();
            Result result = aegis.awaitExit(30);

            assertThat(result.exitCode()).as("%s", result).isZero();
            assertThat(result.stderr()).as("%s", result).containsPattern("\\[WARN] NotificationDelivery - nothing-here:"
                    + " alert ServiceUnhealthy \\(firing\\) was not delivered to notifier webhook before shutdown,"
                    + " after \\d+ attempts: cannot connect to webhook http://127.0.0.1:" + deadWebhookPort + "/hook"
                    + "[^;\\n]*; kept in the spool for the next start");
        }
    }
}
