package io.aegis.core.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The whole exposition of a small fleet, byte for byte, in both text formats. The expected files were
 * rendered by the metrics as they were when every per-service family was a client_java {@code Counter},
 * {@code Gauge} or {@code Histogram} (before the families were composed from each service's cached labels),
 * so this pins names, help, types, units, label order, series order, value formatting and escaping to what
 * they were. A difference is written to {@code target/} beside the expected file's name.
 */
class EngineMetricsExpositionTest {
    private static final Instant START = Instant.parse("2025-03-01T12:00:00Z");

    @Test
    void rendersASmallFleetExactlyAsThePerSeriesClientJavaMetricsDid() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        MutableClock clock = new MutableClock(START);
        EngineMetrics metrics = new EngineMetrics(registry, clock);
        smallFleetStory(metrics, clock);

        assertRendersAs(registry, "text/plain; version=0.0.4; charset=utf-8", "small-fleet.prom");
        assertRendersAs(registry, "application/openmetrics-text; version=1.0.0; charset=utf-8", "small-fleet.om");
    }

    /** Every family, a label value that needs escaping, lazily created series, and a removed service. */
    static void smallFleetStory(EngineMetrics metrics, MutableClock clock) {
        for (String name : new String[] {"web", "api", "db", "odd \"name\"\\x", "old"}) {
            metrics.serviceAdded(name);
        }
        metrics.onEvent(new StateChanged("api", START, ServiceState.STARTING, ServiceState.HEALTHY, "ok"));
        metrics.onEvent(new StateChanged("db", START, ServiceState.STARTING, ServiceState.HEALTHY, "ok"));
        metrics.onEvent(new StateChanged("web", START, ServiceState.STARTING, ServiceState.DEGRADED, "slow"));
        metrics.onEvent(check("api", CheckResult.healthy(Duration.ofMillis(3)), 1, true, 1_250));
        metrics.onEvent(check("api", CheckResult.healthy(Duration.ofNanos(1_234_567)), 1, true, 2_000));
        metrics.onEvent(check("web", CheckResult.degraded(FailureReason.STATUS, "slow", Duration.ofMillis(700)),
                1, true, 2_500));
        CheckResult timeout = CheckResult.unhealthy(FailureReason.TIMEOUT, "no answer", Duration.ofSeconds(2));
        metrics.onEvent(check("db", timeout, 1, false, 3_000));
        metrics.onEvent(check("db", timeout, 2, true, 5_000));
        metrics.onEvent(check("db", CheckResult.unhealthy(FailureReason.CONNECT, "refused", Duration.ofMillis(1)),
                1, true, 6_000));
        metrics.onEvent(check("db", CheckResult.unknown(FailureReason.PLUGIN_ERROR, "threw", Duration.ofSeconds(12)),
                1, true, 7_000));
        metrics.onEvent(new StateChanged("db", START, ServiceState.HEALTHY, ServiceState.UNHEALTHY, "down"));
        metrics.onEvent(new RecoveryFinished("db", START, "restart", 1, ActionOutcome.succeeded("restarted")));
        metrics.onEvent(new RecoveryConcluded("db", START, "restart", 1, RecoveryConcluded.Outcome.NOT_HEALTHY,
                "still down"));
        metrics.onEvent(new io.aegis.core.event.RecoveryEscalated("db", START, "restart", "rollback", 2, "3 restarts"));
        metrics.onEvent(new RecoveryFinished("db", START, "rollback", 2, ActionOutcome.failed("no previous")));
        metrics.onEvent(new RecoveryConcluded("db", START, "rollback", 2, RecoveryConcluded.Outcome.FAILED,
                "no previous"));
        metrics.onEvent(new RecoveryConcluded("api", START, "restart", 1, RecoveryConcluded.Outcome.SUCCEEDED, "ok"));
        metrics.onEvent(new RecoveryBudgetExhausted("db", START, 2, Duration.ofMinutes(10)));
        metrics.onEvent(new StateChanged("db", START, ServiceState.RECOVERING, ServiceState.FAILED, "budget"));
        WorkloadStatus exited = new WorkloadStatus(WorkloadStatus.State.EXITED, OptionalLong.of(42), OptionalInt.of(1),
                "exited with 1");
        metrics.onEvent(new WorkloadExited("odd \"name\"\\x", START, exited));
        metrics.checkSkipped("web", SkippedChecks.Reason.BUSY);
        metrics.checkSkipped("web", SkippedChecks.Reason.NO_CAPACITY);
        metrics.checkSkipped("api", SkippedChecks.Reason.BUSY);
        metrics.onEvent(check("old", timeout, 1, true, 1_000));
        metrics.onEvent(new RecoveryConcluded("old", START, "restart", 1, RecoveryConcluded.Outcome.SKIPPED, "-"));
        metrics.checkSkipped("old", SkippedChecks.Reason.BUSY);
        metrics.serviceRemoved("old");
        clock.advance(Duration.ofMillis(90_500));
    }

    private static void assertRendersAs(PrometheusRegistry registry, String accept, String expectedFile)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExpositionFormats.init().findWriter(accept).write(out, registry.scrape(), EscapingScheme.fromAcceptHeader(accept));
        String actual = out.toString(StandardCharsets.UTF_8);
        String expected;
        try (InputStream in = EngineMetricsExpositionTest.class.getResourceAsStream(expectedFile)) {
            expected = in == null ? "(missing)" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!expected.equals(actual)) {
            Path target = Path.of("target", "actual-" + expectedFile);
            Files.writeString(target, actual, StandardCharsets.UTF_8);
        }
        assertThat(actual).as("exposition (%s); the actual one is in target/", Objects.requireNonNull(accept))
                .isEqualTo(expected);
    }

    private static CheckCompleted check(String service, CheckResult result, int attempt, boolean finalAttempt,
            long millisAfterStart) {
        return new CheckCompleted(service, START.plusMillis(millisAfterStart), result, attempt, finalAttempt);
    }
}
