package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.testkit.LoopbackHttpServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code aegis} executable with {@code dependsOn}: two demo services, {@code db} and {@code api}, where
 * {@code api}'s health is whether it reaches {@code db} (its check asks {@code db}'s {@code /health}, as an API
 * whose health endpoint reports its database would). Killing {@code db} restarts {@code db} alone.
 */
@Timeout(120)
class DependsOnIT {
    @TempDir
    Path dir;

    private int dbPort;
    private int apiPort;
    private int metricsPort;
    private LoopbackHttpServer receiver;

    @BeforeEach
    void startWebhookReceiver() {
        dbPort = Loopback.freePort();
        apiPort = Loopback.freePort();
        metricsPort = Loopback.freePort();
        receiver = LoopbackHttpServer.start();
    }

    @AfterEach
    void stopWebhookReceiver() {
        receiver.close();
    }

    @Test
    void killingTheDependencyRestartsItAloneAndTheDependentIsNotRestartedNorAlerted() {
        writeConfig();
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().untilAsserted(() -> assertThat(Loopback.body(metricsPort, "/metrics")).contains(
                    "aegis_service_state{service=\"db\",state=\"healthy\"} 1.0",
                    "aegis_service_state{service=\"api\",state=\"healthy\"} 1.0"));
            ProcessHandle db = aegis.descendant("--port=" + dbPort).orElseThrow();
            ProcessHandle api = aegis.descendant("--port=" + apiPort).orElseThrow();

            db.destroyForcibly();

            aegis.patiently().untilAsserted(() -> assertThat(Loopback.body(metricsPort, "/metrics")).contains(
                    "aegis_service_restarts_total{service=\"db\"} 1.0",
                    "aegis_service_state{service=\"db\",state=\"healthy\"} 1.0",
                    "aegis_service_state{service=\"api\",state=\"healthy\"} 1.0"));
            assertThat(aegis.descendant("--port=" + apiPort)).as("api's process, untouched").hasValue(api);
            assertThat(Loopback.body(metricsPort, "/metrics"))
                    .doesNotContain("aegis_service_restarts_total{service=\"api\"} 1.0");
            String log = aegis.stderr();
            // Once at the start (db was not up yet), once when db was killed.
            assertThat(log.split("api: recovery held back: db is down", -1)).as("api held back, in:%n%s", log)
                    .hasSizeGreaterThanOrEqualTo(3);
            assertThat(payloads()).as("no alert for api").noneMatch(payload -> payload.contains("\"service\":\"api\""));
        }
    }

    /** db and api, both the demo service, checked every 200ms; api dependsOn db and is restarted, then notified. */
    private void writeConfig() {
        String java = TestConfigs.demoCommand();
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsPort: %d
                  metricsHost: 127.0.0.1
                  stateDir: state
                services:
                  - name: db
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 200ms
                    timeout: 1s
                    startPeriod: 5s
                    actions:
                      onFailure: restart
                    runtime:
                      type: process
                      command: [%s, --port=%d]
                      stopGracePeriod: 2s
                      logFile: %s
                  - name: api
                    dependsOn: [db]
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 200ms
                    timeout: 1s
                    startPeriod: 5s
                    actions:
                      onFailure: [restart, notify]
                    runtime:
                      type: process
                      command: [%s, --port=%d]
                      stopGracePeriod: 2s
                      logFile: %s
                notifications:
                  webhook:
                    endpoint: http://127.0.0.1:%d/hook
                alerting:
                  route: {groupWait: 0s, groupInterval: 0s}
                """.formatted(metricsPort, dbPort, java, dbPort, TestConfigs.quote(dir.resolve("db.log").toString()),
                dbPort, java, apiPort, TestConfigs.quote(dir.resolve("api.log").toString()),
                receiver.port()));
    }

    /** The bodies the webhook receiver got, oldest first. */
    private List<String> payloads() {
        return receiver.requests().stream().map(LoopbackHttpServer.Request::body).toList();
    }
}
