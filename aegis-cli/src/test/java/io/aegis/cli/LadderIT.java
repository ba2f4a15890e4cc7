package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.testkit.LoopbackHttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code aegis} executable escalating along the recovery ladder (restart, rollback, isolate) with the
 * real demo service as a release that fails its health check ({@code --unhealthy}) and its previous release
 * ({@code runtime.rollback.command}); which release runs is told by {@code --version}.
 */
@Timeout(120)
class LadderIT {
    private static final String BAD_RELEASE = "2.0";
    private static final String GOOD_RELEASE = "1.9";
    private static final String ROOT_OF_GOOD_RELEASE = "hello from demo-service version " + GOOD_RELEASE + "\n";
    /** How long the whole ladder may take: a start, two restarts and a rollback, each verified. */
    private static final Duration LADDER = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private int demoPort;
    private int metricsPort;
    private LoopbackHttpServer receiver;

    @BeforeEach
    void startWebhookReceiver() {
        demoPort = Loopback.freePort();
        metricsPort = Loopback.freePort();
        receiver = LoopbackHttpServer.start();
    }

    @AfterEach
    void stopWebhookReceiver() {
        receiver.close();
    }

    @Test
    void aReleaseThatFailsItsHealthCheckIsRestartedTwiceThenRolledBackAndHealthy() {
        writeConfig(false, "");

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            // Each step takes up to startPeriod + verifyWithin; four JVM starts on a loaded machine.
            aegis.patiently().atMost(LADDER).untilAsserted(() -> assertThat(Loopback.body(metricsPort, "/metrics"))
                    .contains("aegis_recoveries_total{action=\"rollback\",outcome=\"succeeded\","
                            + "service=\"release\"} 1.0"));

            assertThat(Loopback.body(demoPort, "/")).isEqualTo(ROOT_OF_GOOD_RELEASE);
            assertThat(Loopback.get(demoPort, "/health")).hasValueSatisfying(health -> {
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(health.body()).contains("\"version\":\"" + GOOD_RELEASE + "\"");
            });
            assertThat(Loopback.body(metricsPort, "/metrics")).contains(
                    "aegis_recoveries_total{action=\"restart\",outcome=\"not_healthy\",service=\"release\"} 2.0",
                    "aegis_service_restarts_total{service=\"release\"} 2.0",
                    "aegis_service_state{service=\"release\",state=\"healthy\"} 1.0");
            String log = aegis.stderr();
            // The first start and the two restarts ran the bad release; the rollback, the previous one.
            assertThat(count(log, "release: started pid \\d+ \\([^)]*--version=" + Pattern.quote(BAD_RELEASE)))
                    .as("starts of the bad release in:%n%s", log).isEqualTo(3);
            assertThat(count(log, "release: rolling back to its previous release \\([^)]*--version="
                    + Pattern.quote(GOOD_RELEASE))).as("rollbacks in:%n%s", log).isEqualTo(1);
            assertThat(count(log, "release: started pid \\d+ \\([^)]*--version=" + Pattern.quote(GOOD_RELEASE)))
                    .as("starts of the previous release in:%n%s", log).isEqualTo(1);
        }
    }

    @Test
    void aServiceThatFailsOnEveryReleaseEndsIsolatedWithOneCriticalAlertAndItsProcessRunning() throws IOException {
        Path drained = dir.resolve("drained");
        writeConfig(true, """
                      isolate:
                        command: [sh, -c, 'echo "$AEGIS_SERVICE_NAME $AEGIS_SERVICE_PID" > %s']
                """.formatted(TestConfigs.quote(drained.toString())));

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().atMost(LADDER)
                    .untilAsserted(() -> assertThat(Loopback.body(metricsPort, "/metrics"))
                    .contains("aegis_service_state{service=\"release\",state=\"isolated\"} 1.0"));

            // Once isolated nothing more happens: one critical alert, no further restart, however long one waits.
            aegis.patiently().during(Duration.ofSeconds(2)).untilAsserted(() -> {
                assertThat(criticalAlertsFiring()).as("critical alerts in %s", payloads()).hasSize(1);
                assertThat(Loopback.body(metricsPort, "/metrics"))
                        .contains("aegis_service_restarts_total{service=\"release\"} 2.0")
                        .contains("aegis_service_state{service=\"release\",state=\"isolated\"} 1.0");
            });
            assertThat(criticalAlertsFiring().get(0)).containsIgnoringCase("isolat");

            // The hook ran for the process that is still there, for a person to debug: the previous release.
            String[] hookSaw = Files.readString(drained).trim().split(" ");
            assertThat(hookSaw[0]).isEqualTo("release");
            long pid = Long.parseLong(hookSaw[1]);
            assertThat(ProcessHandle.of(pid)).as("the isolated process %d", pid)
                    .hasValueSatisfying(process -> assertThat(process.isAlive()).isTrue());
            assertThat(aegis.descendant("demo-service.jar")).hasValueSatisfying(demo -> {
                assertThat(demo.pid()).isEqualTo(pid);
                assertThat(demo.info().commandLine().orElse("")).contains("--version=" + GOOD_RELEASE);
            });
            assertThat(Loopback.status(demoPort, "/health")).isEqualTo(503);
            assertThat(Loopback.body(demoPort, "/")).isEqualTo(ROOT_OF_GOOD_RELEASE);
        }
    }

    /**
     * The demo service as release {@value #BAD_RELEASE}, unhealthy from the start, with release {@value #GOOD_RELEASE}
     * (unhealthy too when {@code rollbackUnhealthy}) to roll back to; checked every 200ms and escalated: restart
     * (twice), rollback, isolate; alerts to the test's webhook receiver. {@code moreRuntime} is added to the runtime
     * block.
     */
    private void writeConfig(boolean rollbackUnhealthy, String moreRuntime) {
        String java = TestConfigs.demoCommand() + ", --port=" + demoPort;
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsPort: %d
                  metricsHost: 127.0.0.1
                  stateDir: state
                services:
                  - name: release
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 200ms
                    timeout: 150ms
                    startPeriod: 2s
                    actions:
                      onFailure: [restart, rollback, isolate]
                      restart: {attempts: 2}
                      verifyWithin: 3s
                      backoff: {initial: 10ms, multiplier: 1, max: 10ms}
                    runtime:
                      type: process
                      command: [%s, --version=%s, --unhealthy]
                      stopGracePeriod: 2s
                      logFile: %s
                      rollback:
                        command: [%s, --version=%s%s]
                %s
                notifications:
                  webhook:
                    endpoint: http://127.0.0.1:%d/hook
                alerting:
                  route: {groupWait: 0s, groupInterval: 0s}
                """.formatted(metricsPort, demoPort, java, BAD_RELEASE,
                TestConfigs.quote(dir.resolve("release.log").toString()), java, GOOD_RELEASE,
                rollbackUnhealthy ? ", --unhealthy" : "", moreRuntime.stripTrailing(),
                receiver.port()));
    }

    /** The webhook payloads() of critical alerts that fire (resolved ones excluded). */
    private List<String> criticalAlertsFiring() {
        return payloads().stream()
                .filter(payload -> payload.contains("\"severity\":\"critical\""))
                .filter(payload -> payload.contains("\"status\":\"firing\""))
                .toList();
    }

    private static int count(String text, String regex) {
        Matcher matcher = Pattern.compile(regex).matcher(text);
        int found = 0;
        while (matcher.find()) {
            found++;
        }
        return found;
    }

    /** The bodies the webhook receiver got, oldest first. */
    private List<String> payloads() {
        return receiver.requests().stream().map(LoopbackHttpServer.Request::body).toList();
    }
}
