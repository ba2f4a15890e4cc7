package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.cli.AegisProcess.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code aegis} executable supervising the real demo service through the process runtime: it
 * heals it, exports metrics about it, and stops it when aegis itself is stopped.
 */
@Timeout(120)
class SupervisionIT {
    private static final String DEMO = "demo-service.jar";
    private static final Pattern ONE_RESTART = Pattern.compile(
            "(?m)^aegis_service_restarts_total\\{[^}]*service=\"demo\"[^}]*} 1(\\.0)?$");

    private static final Pattern HEALTHY_CHECKS = Pattern.compile(
            "(?m)^aegis_health_checks_total\\{result=\"healthy\",service=\"demo\"} (\\S+)$");

    @TempDir
    Path dir;

    private int demoPort;
    private int metricsPort;

    @BeforeEach
    void writeConfig() {
        demoPort = Loopback.freePort();
        metricsPort = Loopback.freePort();
        TestConfigs.supervisedDemo(dir, demoPort, metricsPort);
    }

    @Test
    void restartsTheDemoServiceAfterKillDashNineAndStopsItOnSigterm() {
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            ProcessHandle first = awaitServing(aegis);

            long killedAt = System.nanoTime();
            first.destroyForcibly();
            ProcessHandle second = aegis.patiently().until(() -> servingOtherThan(aegis, first), Optional::isPresent)
                    .orElseThrow();
            System.out.printf("kill -9 of the demo service to serving again: %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));

            aegis.patiently().untilAsserted(() -> assertThat(Loopback.body(metricsPort, "/metrics"))
                    .containsPattern(ONE_RESTART));

            aegis.terminate();
            Result result = aegis.awaitExit(30);
            assertThat(result.exitCode()).as("exit code after SIGTERM: %s", result).isZero();
            assertThat(second.isAlive()).as("the demo service (pid %d) is stopped with aegis", second.pid())
                    .isFalse();
            assertThat(Loopback.refusesConnections(demoPort)).as("the demo port is released").isTrue();
            assertThat(Loopback.refusesConnections(metricsPort)).as("the metrics port is released").isTrue();
        }
    }

    @Test
    void restartsTheDemoServiceWhenItsHealthCheckAnswers503() {
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            ProcessHandle first = awaitServing(aegis);

            assertThat(Loopback.post(demoPort, "/health/fail")).isPresent();
            assertThat(Loopback.status(demoPort, "/health")).isEqualTo(503);

            ProcessHandle second = aegis.patiently().until(() -> servingOtherThan(aegis, first), Optional::isPresent)
                    .orElseThrow();
            assertThat(first.isAlive()).as("the failing process was stopped").isFalse();
            assertThat(Loopback.body(demoPort, "/health")).isEqualTo("{\"status\":\"UP\"}");
            assertThat(second.pid()).isNotEqualTo(first.pid());
        }
    }

    @Test
    void sigintStopsAegisAndItsServicesWithExitCodeZero() {
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            ProcessHandle demo = awaitServing(aegis);

            aegis.interrupt();
            Result result = aegis.awaitExit(30);

            assertThat(result.exitCode()).as("exit code after SIGINT: %s", result).isZero();
            assertThat(result.stderr()).as("%s", result).contains("received SIGINT");
            assertThat(demo.isAlive()).as("the demo service (pid %d) is stopped with aegis", demo.pid()).isFalse();
            assertThat(Loopback.refusesConnections(demoPort)).as("the demo port is released").isTrue();
        }
    }

    @Test
    void sighupReloadsTheUnchangedFileAndAegisKeepsSupervisingTheSameProcessUntilSigterm() {
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            ProcessHandle demo = awaitServing(aegis);
            aegis.patiently().until(() -> healthyChecks() > 0);

            aegis.signal("HUP");

            aegis.patiently().untilAsserted(() -> assertThat(aegis.stderr()).containsPattern(
                    "\\[INFO] Engine - reloaded .*aegis.yaml: 0 added, 0 removed, 0 changed, 1 unchanged"));
            double checksAfterHangUp = healthyChecks();
            // Still supervising: checks keep passing after the signal, against the same demo process.
            aegis.patiently().until(() -> healthyChecks() > checksAfterHangUp);
            assertThat(Loopback.body(metricsPort, "/metrics")).contains("aegis_service_status{service=\"demo\"} 1.0");
            assertThat(aegis.descendant(DEMO).map(ProcessHandle::pid)).as("the demo service kept running")
                    .contains(demo.pid());

            aegis.terminate();
            Result result = aegis.awaitExit(30);
            assertThat(result.exitCode()).as("exit code after SIGHUP, then SIGTERM: %s", result).isZero();
            assertThat(demo.isAlive()).as("the demo service (pid %d) is stopped with aegis", demo.pid()).isFalse();
        }
    }

    /** aegis_health_checks_total{result="healthy",service="demo"}, 0 while it is not exported yet. */
    private double healthyChecks() {
        return HEALTHY_CHECKS.matcher(Loopback.body(metricsPort, "/metrics")).results()
                .mapToDouble(match -> Double.parseDouble(match.group(1))).findFirst().orElse(0);
    }

    @Test
    void metricsPassPromtoolCheckMetrics() throws IOException, InterruptedException {
        Path promtool = PrometheusAssets.promtool();
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            awaitServing(aegis);
            aegis.patiently().untilAsserted(() -> assertThat(Loopback.body(metricsPort, "/metrics"))
                    .contains("aegis_health_checks_total{", "service=\"demo\""));

            Path metrics = Files.writeString(dir.resolve("metrics.txt"), Loopback.body(metricsPort, "/metrics"));
            Path report = dir.resolve("promtool.txt");
            Process check = new ProcessBuilder(promtool.toString(), "check", "metrics")
                    .redirectInput(metrics.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(report.toFile())
                    .start();
            assertThat(check.waitFor(30, TimeUnit.SECONDS)).as("promtool finished").isTrue();
            assertThat(check.exitValue())
                    .as("promtool check metrics:%n%s%n--- metrics ---%n%s", Files.readString(report),
                            Files.readString(metrics))
                    .isZero();
        }
    }

    /** Waits until the demo service answers 200 on /health, and returns its process. */
    private ProcessHandle awaitServing(AegisProcess aegis) {
        return aegis.patiently().until(() -> servingOtherThan(aegis, null), Optional::isPresent).orElseThrow();
    }

    /** The demo process if it runs under aegis, is not {@code previous} and answers 200 on /health. */
    private Optional<ProcessHandle> servingOtherThan(AegisProcess aegis, ProcessHandle previous) {
        return aegis.descendant(DEMO)
                .filter(demo -> previous == null || demo.pid() != previous.pid())
                .filter(demo -> Loopback.status(demoPort, "/health") == 200);
    }
}
