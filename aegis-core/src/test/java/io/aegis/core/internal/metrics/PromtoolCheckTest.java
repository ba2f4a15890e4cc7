package io.aegis.core.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.aegis.api.ActionOutcome;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.core.ServiceState;
import io.aegis.api.WorkloadStatus;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.RecoveryBudgetExhausted;
import io.aegis.core.event.RecoveryConcluded;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.StateChanged;
import io.aegis.core.event.WorkloadExited;
import io.aegis.core.internal.SkippedChecks;
import io.aegis.core.internal.alerting.delivery.NotificationDelivery.NotifierCounts;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The exposition passes {@code promtool check metrics}, Prometheus' own linter, as the design asks. It needs
 * promtool on the PATH: without it the test is skipped on a laptop and fails in CI.
 */
class PromtoolCheckTest {
    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

    @Test
    void expositionPassesPromtoolCheckMetrics() throws Exception {
        Path promtool = promtool();
        PrometheusRegistry registry = new PrometheusRegistry();
        EngineMetrics metrics = new EngineMetrics(registry, new MutableClock(NOW));
        EngineMetrics.registerJvmMetrics(registry);
        everyKindOfEvent(metrics);

        String exposition;
        try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, registry)) {
            exposition = Scrape.of(server).text();
        }

        Process process = new ProcessBuilder(promtool.toString(), "check", "metrics")
                .redirectErrorStream(true)
                .start();
        // Read while writing: promtool may answer before it has read everything.
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process));
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("promtool check metrics did not finish within 60 s");
        }
        String said = output.get(10, TimeUnit.SECONDS);

        assertThat(said).as("promtool check metrics output for:%n%s", exposition).isEmpty();
        assertThat(process.exitValue()).as("promtool exit code; it said: %s", said).isZero();
    }

    private static void everyKindOfEvent(EngineMetrics metrics) {
        metrics.notifications(() -> java.util.List.of(new NotifierCounts("pager", 3, 2, 1, 1, 4)));
        metrics.serviceAdded("api");
        metrics.serviceAdded("db");
        metrics.onEvent(new CheckCompleted("api", NOW, CheckResult.healthy(Duration.ofMillis(12)), 1, true));
        metrics.onEvent(new CheckCompleted("db", NOW,
                CheckResult.unhealthy(FailureReason.CONNECT, "refused", Duration.ofMillis(1)), 1, false));
        metrics.onEvent(new CheckCompleted("db", NOW,
                CheckResult.unknown(FailureReason.TIMEOUT, "no answer", Duration.ofSeconds(2)), 2, true));
        metrics.onEvent(new StateChanged("api", NOW, ServiceState.STARTING, ServiceState.HEALTHY, "check passed"));
        metrics.onEvent(new StateChanged("db", NOW, ServiceState.HEALTHY, ServiceState.UNHEALTHY, "failed"));
        metrics.onEvent(new RecoveryFinished("db", NOW, "restart", 1, ActionOutcome.succeeded("restarted")));
        metrics.onEvent(new RecoveryConcluded("db", NOW, "restart", 1, RecoveryConcluded.Outcome.NOT_HEALTHY,
                "workload exited"));
        metrics.onEvent(new WorkloadExited("db", NOW, WorkloadStatus.exited(4242, 1)));
        metrics.onEvent(new RecoveryBudgetExhausted("db", NOW, 3, Duration.ofMinutes(5)));
        metrics.checkSkipped("api", SkippedChecks.Reason.BUSY);
        metrics.checkSkipped("db", SkippedChecks.Reason.NO_CAPACITY);
        metrics.onEvent(new io.aegis.core.event.RecoveryStarted("db", NOW, "rollback", 1, "restarts did not help", 2));
        metrics.recoveriesWaiting(() -> 3);
        metrics.logs(visitor -> {
            visitor.service("api", 1200, 96_000, 1);
            visitor.pattern("api", "OutOfMemory", "critical", 2);
            visitor.pattern("api", "ConnectionRefused", "warning", 0);
        });
    }

    /** promtool from the PATH; skips the test when it is missing, unless in CI, where that is a failure. */
    private static Path promtool() {
        Optional<Path> found = Pattern.compile(Pattern.quote(File.pathSeparator))
                .splitAsStream(Optional.ofNullable(System.getenv("PATH")).orElse(""))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "promtool"))
                .filter(Files::isExecutable)
                .findFirst();
        if (found.isEmpty() && System.getenv("CI") != null) {
            fail("promtool is not on the PATH, and CI is set: .ci/run should have installed it");
        }
        Assumptions.assumeTrue(found.isPresent(),
                "promtool is not on the PATH: install Prometheus' promtool to run `promtool check metrics` on the "
                        + "exposition (this test fails instead of skipping when CI is set)");
        return found.get();
    }

    private static String readAll(Process process) {
        try {
            return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read promtool's output", e);
        }
    }
}
