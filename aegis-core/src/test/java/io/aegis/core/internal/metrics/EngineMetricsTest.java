package io.aegis.core.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.aegis.api.ActionOutcome;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.core.ServiceState;
import io.aegis.api.WorkloadStatus;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.RecoveryBudgetExhausted;
import io.aegis.core.event.RecoveryConcluded;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.StateChanged;
import io.aegis.core.event.WorkloadExited;
import io.aegis.core.internal.SkippedChecks;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EngineMetricsTest {
    private static final Instant START = Instant.parse("2025-03-01T12:00:00Z");

    private final MutableClock clock = new MutableClock(START);
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final EngineMetrics metrics = new EngineMetrics(registry, clock);
    private MetricsServer server;

    @BeforeEach
    void startServer() {
        server = MetricsServer.start("127.0.0.1", 0, registry);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void createsEveryFixedSeriesAtZeroWhenServiceIsAdded() throws Exception {
        metrics.serviceAdded("api");

        Scrape scrape = Scrape.of(server);

        assertThat(scrape.sampleLines()).contains(
                "aegis_service_status{service=\"api\"} 0.0",
                "aegis_service_uptime_seconds{service=\"api\"} 0.0",
                "aegis_service_restarts_total{service=\"api\"} 0.0",
                "aegis_health_checks_total{result=\"healthy\",service=\"api\"} 0.0",
                "aegis_health_checks_total{result=\"degraded\",service=\"api\"} 0.0",
                "aegis_health_checks_total{result=\"unhealthy\",service=\"api\"} 0.0",
                "aegis_health_checks_total{result=\"unknown\",service=\"api\"} 0.0",
                "aegis_health_check_attempts_total{result=\"healthy\",service=\"api\"} 0.0",
                "aegis_health_check_attempts_total{result=\"unknown\",service=\"api\"} 0.0",
                "aegis_health_check_duration_seconds_count{service=\"api\"} 0",
                "aegis_health_check_duration_seconds_bucket{service=\"api\",le=\"+Inf\"} 0",
                "aegis_last_health_check_timestamp_seconds{service=\"api\"} 0.0",
                "aegis_workload_exits_total{service=\"api\"} 0.0",
                "aegis_recovery_budget_exhausted_total{service=\"api\"} 0.0",
                "aegis_service_state{service=\"api\",state=\"unknown\"} 1.0",
                "aegis_service_state{service=\"api\",state=\"healthy\"} 0.0");
        assertThat(scrape.linesStartingWith("aegis_service_state{")).hasSize(ServiceState.values().length);
        // Reasons and recovery actions appear when they first happen (see EngineMetrics' javadoc).
        assertThat(scrape.linesStartingWith("aegis_health_check_errors_total")).isEmpty();
        assertThat(scrape.linesStartingWith("aegis_recoveries_total")).isEmpty();
    }

    @Test
    void addingAServiceTwiceKeepsItsCounts() throws Exception {
        metrics.serviceAdded("api");
        metrics.onEvent(check("api", CheckResult.healthy(Duration.ofMillis(3)), 1, true));

        metrics.serviceAdded("api");

        assertThat(Scrape.of(server).samples())
                .contains(entry("aegis_health_checks_total{result=\"healthy\",service=\"api\"}", 1.0));
    }

    @Test
    void countsAStoryOfChecksStateChangesAndARestartExactly() throws Exception {
        metrics.serviceAdded("api");

        metrics.onEvent(check("api", CheckResult.healthy(Duration.ofMillis(4)), 1, true));
        // One cycle that needed three attempts: two timeouts that were retried, then the final one.
        CheckResult timeout = CheckResult.unhealthy(FailureReason.TIMEOUT, "no answer in 2s", Duration.ofSeconds(2));
        metrics.onEvent(check("api", timeout, 1, false));
        metrics.onEvent(check("api", timeout, 2, false));
        metrics.onEvent(check("api", timeout, 3, true));
        metrics.onEvent(new StateChanged("api", START, ServiceState.HEALTHY, ServiceState.UNHEALTHY, "3 failed checks"));
        metrics.onEvent(new RecoveryStarted("api", START, "restart", 1, "3 failed checks"));
        metrics.onEvent(new RecoveryFinished("api", START, "restart", 1, ActionOutcome.succeeded("restarted")));
        metrics.onEvent(new StateChanged("api", START, ServiceState.RECOVERING, ServiceState.HEALTHY, "check passed"));
        metrics.onEvent(new RecoveryConcluded("api", START, "restart", 1, RecoveryConcluded.Outcome.SUCCEEDED,
                "healthy 1s after restart"));

        Scrape scrape = Scrape.of(server);

        assertThat(scrape.sampleLines()).contains(
                "aegis_health_checks_total{result=\"healthy\",service=\"api\"} 1.0",
                "aegis_health_checks_total{result=\"unhealthy\",service=\"api\"} 1.0",
                "aegis_health_checks_total{result=\"degraded\",service=\"api\"} 0.0",
                "aegis_health_checks_total{result=\"unknown\",service=\"api\"} 0.0",
                "aegis_health_check_attempts_total{result=\"healthy\",service=\"api\"} 1.0",
                "aegis_health_check_attempts_total{result=\"unhealthy\",service=\"api\"} 3.0",
                "aegis_health_check_errors_total{reason=\"timeout\",service=\"api\"} 1.0",
                "aegis_health_check_duration_seconds_count{service=\"api\"} 4",
                "aegis_health_check_duration_seconds_sum{service=\"api\"} 6.004",
                "aegis_health_check_duration_seconds_bucket{service=\"api\",le=\"0.005\"} 1",
                "aegis_health_check_duration_seconds_bucket{service=\"api\",le=\"1.0\"} 1",
                "aegis_health_check_duration_seconds_bucket{service=\"api\",le=\"2.5\"} 4",
                "aegis_health_check_duration_seconds_bucket{service=\"api\",le=\"+Inf\"} 4",
                "aegis_recoveries_total{action=\"restart\",outcome=\"succeeded\",service=\"api\"} 1.0",
                "aegis_recoveries_total{action=\"restart\",outcome=\"not_healthy\",service=\"api\"} 0.0",
                "aegis_recoveries_total{action=\"restart\",outcome=\"failed\",service=\"api\"} 0.0",
                "aegis_recoveries_total{action=\"restart\",outcome=\"skipped\",service=\"api\"} 0.0",
                "aegis_service_restarts_total{service=\"api\"} 1.0",
                "aegis_service_status{service=\"api\"} 1.0",
                "aegis_service_state{service=\"api\",state=\"healthy\"} 1.0",
                "aegis_service_state{service=\"api\",state=\"unhealthy\"} 0.0",
                "aegis_service_state{service=\"api\",state=\"unknown\"} 0.0");
        assertThat(scrape.linesStartingWith("aegis_health_check_errors_total")).hasSize(1);
    }

    @Test
    void countsOnlyFinalAttemptsThatDidNotPassAsErrors() throws Exception {
        metrics.serviceAdded("db");

        metrics.onEvent(check("db", CheckResult.unhealthy(FailureReason.CONNECT, "refused", Duration.ZERO), 1, false));
        metrics.onEvent(check("db", CheckResult.degraded(FailureReason.TLS, "expires soon", Duration.ZERO), 2, true));
        metrics.onEvent(check("db", CheckResult.unknown(FailureReason.PLUGIN_ERROR, "threw", Duration.ZERO), 1, true));

        assertThat(Scrape.of(server).linesStartingWith("aegis_health_check_errors_total")).containsExactly(
                "aegis_health_check_errors_total{reason=\"plugin_error\",service=\"db\"} 1.0");
    }

    @Test
    void recordsTheTimeOfTheLastCheckAttemptInUnixSeconds() throws Exception {
        metrics.onEvent(new CheckCompleted("api", Instant.parse("2025-03-01T12:00:05.250Z"),
                CheckResult.healthy(Duration.ofMillis(1)), 1, false));

        assertThat(Scrape.of(server).samples())
                .contains(entry("aegis_last_health_check_timestamp_seconds{service=\"api\"}", 1740830405.25));
    }

    @Test
    void measuresUptimeFromTheInjectedClockAtScrapeTime() throws Exception {
        metrics.serviceAdded("api");
        metrics.onEvent(new StateChanged("api", clock.instant(), ServiceState.STARTING, ServiceState.HEALTHY, "ok"));
        clock.advance(Duration.ofSeconds(90));
        assertThat(uptime()).isEqualTo(90.0);

        // Degraded still counts as up: the uptime keeps running.
        metrics.onEvent(new StateChanged("api", clock.instant(), ServiceState.HEALTHY, ServiceState.DEGRADED, "slow"));
        clock.advance(Duration.ofMillis(30_500));
        assertThat(uptime()).isEqualTo(120.5);

        metrics.onEvent(new StateChanged("api", clock.instant(), ServiceState.DEGRADED, ServiceState.UNHEALTHY, "down"));
        clock.advance(Duration.ofSeconds(10));
        assertThat(uptime()).isEqualTo(0.0);

        metrics.onEvent(new StateChanged("api", clock.instant(), ServiceState.RECOVERING, ServiceState.HEALTHY, "up"));
        clock.advance(Duration.ofSeconds(7));
        assertThat(uptime()).isEqualTo(7.0);
    }

    @Test
    void countsWorkloadExitsBudgetExhaustionAndRecoveriesByActionAndOutcome() throws Exception {
        WorkloadStatus exited = new WorkloadStatus(WorkloadStatus.State.EXITED, OptionalLong.of(42), OptionalInt.of(137),
                "exited with 137");
        metrics.onEvent(new WorkloadExited("worker", START, exited));
        metrics.onEvent(new WorkloadExited("worker", START, exited));
        metrics.onEvent(new RecoveryFinished("worker", START, "restart", 1, ActionOutcome.failed("no runtime")));
        metrics.onEvent(new RecoveryConcluded("worker", START, "restart", 1, RecoveryConcluded.Outcome.FAILED,
                "no runtime"));
        metrics.onEvent(new RecoveryFinished("worker", START, "rollback", 2, ActionOutcome.skipped("no previous")));
        metrics.onEvent(new RecoveryConcluded("worker", START, "rollback", 2, RecoveryConcluded.Outcome.SKIPPED,
                "no previous"));
        metrics.onEvent(new RecoveryBudgetExhausted("worker", START, 5, Duration.ofMinutes(10)));

        Scrape scrape = Scrape.of(server);

        assertThat(scrape.sampleLines()).contains(
                "aegis_workload_exits_total{service=\"worker\"} 2.0",
                "aegis_recovery_budget_exhausted_total{service=\"worker\"} 1.0",
                "aegis_recoveries_total{action=\"restart\",outcome=\"failed\",service=\"worker\"} 1.0",
                "aegis_recoveries_total{action=\"rollback\",outcome=\"skipped\",service=\"worker\"} 1.0",
                // A restart that failed is not a restart.
                "aegis_service_restarts_total{service=\"worker\"} 0.0");
    }

    @Test
    void countsARestartThatNeverMadeTheServiceHealthyAsARestartButNotAsASucceededRecovery() throws Exception {
        for (int attempt = 1; attempt <= 3; attempt++) {
            metrics.onEvent(new RecoveryFinished("crashy", START, "restart", attempt, ActionOutcome.succeeded("restarted")));
            metrics.onEvent(new RecoveryConcluded("crashy", START, "restart", attempt,
                    RecoveryConcluded.Outcome.NOT_HEALTHY, "workload exited: exited with code 3"));
        }

        assertThat(Scrape.of(server).sampleLines()).contains(
                "aegis_service_restarts_total{service=\"crashy\"} 3.0",
                "aegis_recoveries_total{action=\"restart\",outcome=\"not_healthy\",service=\"crashy\"} 3.0",
                "aegis_recoveries_total{action=\"restart\",outcome=\"succeeded\",service=\"crashy\"} 0.0");
    }

    @Test
    void countsNoRecoveryOutcomeBeforeItIsConcluded() throws Exception {
        metrics.onEvent(new RecoveryFinished("api", START, "restart", 1, ActionOutcome.succeeded("restarted")));

        assertThat(Scrape.of(server).linesStartingWith("aegis_recoveries_total")).isEmpty();
    }

    @Test
    void countsSkippedChecksByReasonOnceTheyHappen() throws Exception {
        metrics.serviceAdded("script");
        assertThat(Scrape.of(server).sampleLines()).noneMatch(line -> line.startsWith("aegis_health_checks_skipped"));

        metrics.checkSkipped("script", SkippedChecks.Reason.NO_CAPACITY);
        metrics.checkSkipped("script", SkippedChecks.Reason.NO_CAPACITY);
        metrics.checkSkipped("script", SkippedChecks.Reason.BUSY);

        assertThat(Scrape.of(server).sampleLines()).contains(
                "aegis_health_checks_skipped_total{reason=\"no_capacity\",service=\"script\"} 2.0",
                "aegis_health_checks_skipped_total{reason=\"busy\",service=\"script\"} 1.0");
        metrics.serviceRemoved("script");
        assertThat(Scrape.of(server).sampleLines()).noneMatch(line -> line.startsWith("aegis_health_checks_skipped"));
    }

    @Test
    void createsTheSeriesOfAServiceNamedOnlyByAnEvent() throws Exception {
        metrics.onEvent(check("late", CheckResult.healthy(Duration.ofMillis(2)), 1, true));

        assertThat(Scrape.of(server).sampleLines()).contains(
                "aegis_health_checks_total{result=\"healthy\",service=\"late\"} 1.0",
                "aegis_service_state{service=\"late\",state=\"unknown\"} 1.0");
    }

    @Test
    void removesEverySeriesOfARemovedService() throws Exception {
        metrics.serviceAdded("api");
        metrics.serviceAdded("old");
        metrics.onEvent(check("old", CheckResult.unhealthy(FailureReason.DNS, "no such host", Duration.ZERO), 1, true));
        metrics.onEvent(new RecoveryFinished("old", START, "restart", 1, ActionOutcome.succeeded("ok")));

        metrics.serviceRemoved("old");

        List<String> lines = Scrape.of(server).sampleLines();
        assertThat(lines).noneMatch(line -> line.contains("service=\"old\""));
        assertThat(lines).contains("aegis_service_status{service=\"api\"} 0.0");
    }

    @Test
    void removesTheSeriesOfEveryFamilyOfARemovedServiceAndStartsAgainFromZero() throws Exception {
        metrics.serviceAdded("api");
        WorkloadStatus exited = new WorkloadStatus(WorkloadStatus.State.EXITED, OptionalLong.of(7), OptionalInt.of(1),
                "exited with 1");
        metrics.onEvent(check("old", CheckResult.unhealthy(FailureReason.DNS, "no such host", Duration.ofMillis(5)),
                1, true));
        metrics.onEvent(new StateChanged("old", START, ServiceState.HEALTHY, ServiceState.UNHEALTHY, "down"));
        metrics.onEvent(new RecoveryFinished("old", START, "restart", 1, ActionOutcome.succeeded("ok")));
        metrics.onEvent(new RecoveryConcluded("old", START, "restart", 1, RecoveryConcluded.Outcome.SUCCEEDED, "ok"));
        metrics.onEvent(new WorkloadExited("old", START, exited));
        metrics.onEvent(new RecoveryBudgetExhausted("old", START, 1, Duration.ofMinutes(1)));
        metrics.checkSkipped("old", SkippedChecks.Reason.BUSY);
        List<String> before = Scrape.of(server).sampleLines();
        // Every per-service family has a series of "old" before it goes.
        for (String family : List.of("aegis_service_status{", "aegis_service_state{", "aegis_service_uptime_seconds{",
                "aegis_service_restarts_total{", "aegis_recoveries_total{", "aegis_health_checks_total{",
                "aegis_health_check_attempts_total{", "aegis_health_check_errors_total{",
                "aegis_health_check_duration_seconds_bucket{", "aegis_last_health_check_timestamp_seconds{",
                "aegis_workload_exits_total{", "aegis_recovery_budget_exhausted_total{",
                "aegis_health_checks_skipped_total{")) {
            assertThat(before).anyMatch(line -> line.startsWith(family) && line.contains("service=\"old\""));
        }

        metrics.serviceRemoved("old");

        List<String> after = Scrape.of(server).sampleLines();
        assertThat(after).noneMatch(line -> line.contains("service=\"old\""));
        assertThat(after).contains("aegis_health_checks_total{result=\"unhealthy\",service=\"api\"} 0.0");
        metrics.serviceAdded("old");
        assertThat(Scrape.of(server).sampleLines()).contains(
                "aegis_health_checks_total{result=\"unhealthy\",service=\"old\"} 0.0",
                "aegis_service_state{service=\"old\",state=\"unknown\"} 1.0")
                .noneMatch(line -> line.startsWith("aegis_health_check_errors_total"));
    }

    @Test
    void scrapesOnlyTheFamiliesAScrapeAsksFor() {
        metrics.serviceAdded("api");

        List<String> names = new ArrayList<>();
        registry.scrape(name -> name.equals("aegis_health_checks") || name.equals("aegis_service_state"))
                .forEach(snapshot -> names.add(snapshot.getMetadata().getPrometheusName()));

        assertThat(names).containsExactly("aegis_health_checks", "aegis_service_state");
    }

    @Test
    void refusesASecondSetOfAegisMetricsInTheSameRegistry() {
        assertThatThrownBy(() -> new EngineMetrics(registry, clock)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ignoresANullEvent() {
        assertThatCode(() -> metrics.onEvent(null)).doesNotThrowAnyException();
    }

    @Test
    void countsEveryEventWhenManyThreadsPublishAtOnce() throws Exception {
        int threads = 8;
        int checksPerThread = 5_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                // Two threads per service: more contention than the engine produces, on purpose.
                String service = "svc-" + (t % 4);
                done.add(pool.submit(() -> {
                    go.await();
                    CheckResult failed = CheckResult.unhealthy(FailureReason.STATUS, "HTTP 503", Duration.ofMillis(1));
                    for (int i = 0; i < checksPerThread; i++) {
                        metrics.onEvent(check(service, failed, 1, true));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        Scrape scrape = Scrape.of(server);
        for (int s = 0; s < 4; s++) {
            assertThat(scrape.samples()).contains(
                    entry("aegis_health_checks_total{result=\"unhealthy\",service=\"svc-" + s + "\"}", 10_000.0),
                    entry("aegis_health_check_errors_total{reason=\"status\",service=\"svc-" + s + "\"}", 10_000.0),
                    entry("aegis_health_check_duration_seconds_count{service=\"svc-" + s + "\"}", 10_000.0));
        }
    }

    private double uptime() throws Exception {
        return Scrape.of(server).samples().get("aegis_service_uptime_seconds{service=\"api\"}");
    }

    private static CheckCompleted check(String service, CheckResult result, int attempt, boolean finalAttempt) {
        return new CheckCompleted(service, START, result, attempt, finalAttempt);
    }
}
