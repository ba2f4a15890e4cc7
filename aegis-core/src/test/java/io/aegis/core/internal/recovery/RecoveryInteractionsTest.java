package io.aegis.core.internal.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.ActionOutcome;
import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.core.FlappingPolicy;
import io.aegis.core.RecoveryPolicy;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.internal.RecoveryPermits;
import io.aegis.core.internal.ServiceMonitor;
import io.aegis.core.internal.VirtualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What happens when a person's pause, reset or isolate, a dependency's inhibition, flapping and the fleet-wide
 * permits meet a recovery step that is in flight or waiting, on virtual time (the harness of {@link LadderTest}).
 */
class RecoveryInteractionsTest {
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final Duration VERIFY = Duration.ofSeconds(10);

    private final RecoveryHarness harness = new RecoveryHarness();
    private final VirtualScheduler scheduler = harness.scheduler;
    private final LadderTest.FakeRuntime runtime = new LadderTest.FakeRuntime();
    /** The outcome of the "page" step (a notice that takes its time, like a slow webhook) while it runs. */
    private final CompletableFuture<ActionOutcome> page = new CompletableFuture<>();

    private ServiceMonitor monitor;

    @AfterEach
    void stop() {
        if (monitor != null) {
            monitor.stopMonitoring();
        }
        harness.close();
    }

    // ---- a step in flight when a person acts ------------------------------------------------------------

    @Test
    void aPauseWhileANoticeStepRunsRunsNoFurtherStepUntilResumed() {
        monitor = start(defaults(), policy(), new RecoveryPermits(10), "page", "restart");
        scheduler.advance(INTERVAL);
        runtime.crash(); // the page step runs (slowly)

        control(coordinator -> coordinator.pause("deploying by hand"));
        page.complete(ActionOutcome.succeeded("paged the on-call"));
        scheduler.advance(Duration.ofMinutes(1));

        assertThat(runtime.restarts).as("no recovery while paused").isZero();
        assertThat(firing()).as("no alerts while paused").isEmpty();
    }

    @Test
    void isolatingByHandWhileANoticeStepRunsKeepsTheServiceIsolated() {
        monitor = start(defaults(), policy(), new RecoveryPermits(10), "page", "restart");
        scheduler.advance(INTERVAL);
        runtime.crash();

        monitor.withCoordinator(coordinator -> coordinator.isolateNow("draining by hand"));
        page.complete(ActionOutcome.succeeded("paged the on-call"));
        scheduler.advance(Duration.ofMinutes(1));

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.ISOLATED);
        assertThat(runtime.restarts).as("no automatic recovery once isolated").isZero();
    }

    @Test
    void aResetWhileTheLaddersIsolateStepRunsStartsOverInsteadOfIsolatingAfterwards() {
        CompletableFuture<Void> isolation = new CompletableFuture<>();
        runtime.heldIsolate = isolation;
        monitor = start(defaults(), policy(), new RecoveryPermits(10), "isolate");
        scheduler.advance(INTERVAL);
        runtime.crash(); // the isolate step runs its (slow) hook

        monitor.withCoordinator(coordinator -> coordinator.reset("fixed it, start over"));
        scheduler.advance(INTERVAL);
        isolation.complete(null);
        scheduler.advance(Duration.ofSeconds(5));

        assertThat(monitor.snapshot().state()).as("the person's reset wins over the step it overtook")
                .isEqualTo(ServiceState.HEALTHY);
        assertThat(firing()).extracting(Alert::name).doesNotContain(RecoveryCoordinator.ISOLATED_ALERT);
    }

    // ---- a step waiting for a fleet-wide permit -------------------------------------------------------------

    @Test
    void aRollbackGivenUpWhileItWaitedForAPermitIsNotCountedAsRun() {
        RecoveryPermits permits = new RecoveryPermits(1);
        monitor = start(defaults(), policy(), permits, "rollback", "isolate");
        scheduler.advance(INTERVAL);
        RecoveryPermits.Ticket held = permits.request(granted -> { });
        runtime.badReleases.add("v2");
        scheduler.advance(INTERVAL); // fails: the rollback waits for the permit
        assertThat(permits.waiting()).isEqualTo(1);

        control(coordinator -> coordinator.pause("looking at it"));
        assertThat(permits.waiting()).as("the pause gives up the wait").isZero();
        control(coordinator -> coordinator.resume("not my problem after all"));
        held.release();
        scheduler.advance(Duration.ofMinutes(1));

        assertThat(runtime.rollbacks).as("the rollback that never ran runs now").isEqualTo(1);
        assertThat(runtime.isolations).isZero();
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        assertThat(permits.inFlight()).isZero();
    }

    @Test
    void aRestartGivenUpWhileItWaitedForAPermitDoesNotSpendTheBudget() {
        RecoveryPermits permits = new RecoveryPermits(1);
        monitor = start(defaults(), policy().budget(1, Duration.ofHours(1)), permits, "restart");
        scheduler.advance(INTERVAL);
        RecoveryPermits.Ticket held = permits.request(granted -> { });
        runtime.crash(); // the restart waits for the permit

        control(coordinator -> coordinator.pause("looking at it"));
        control(coordinator -> coordinator.resume("not my problem after all"));
        held.release();
        scheduler.advance(Duration.ofMinutes(1));

        assertThat(runtime.restarts).as("the one restart the budget allows runs").isEqualTo(1);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        assertThat(firing()).extracting(Alert::name).doesNotContain(RecoveryCoordinator.BUDGET_ALERT);
    }

    @Test
    void aRestartForAnExitedWorkloadIsNotCalledOffByAPassingCheckWhileItWaitsForAPermit() {
        RecoveryPermits permits = new RecoveryPermits(1);
        // another replica keeps serving the endpoint: the checks pass although one workload died
        HealthChecker servedElsewhere = context -> CompletableFuture.completedFuture(CheckResult.healthy(Duration.ofMillis(1)));
        monitor = start(defaults().recoveryPolicy(policy().build()).build(), servedElsewhere, permits, "restart");
        scheduler.advance(INTERVAL);
        RecoveryPermits.Ticket held = permits.request(granted -> { });
        runtime.crash(); // the restart waits for the permit
        runtime.running = true; // the workload as a whole still runs (a Deployment with another ready pod)

        scheduler.advance(INTERVAL); // a passing check meanwhile
        held.release();
        scheduler.advance(Duration.ofSeconds(5));

        assertThat(runtime.restarts).as("the exit happened: the dead workload is restarted").isEqualTo(1);
    }

    @Test
    void aPersonsRestartWhileTheLaddersRestartWaitsForAPermitStandsForItAndIsVerified() {
        RecoveryPermits permits = new RecoveryPermits(1);
        monitor = start(defaults(), policy().restartAttempts(1), permits, "restart", "rollback");
        scheduler.advance(INTERVAL);
        RecoveryPermits.Ticket held = permits.request(granted -> { });
        runtime.badReleases.add("v2");
        scheduler.advance(INTERVAL); // fails: the ladder's restart waits for the permit

        monitor.withCoordinator(coordinator -> coordinator.restartNow("restarting it by hand"));
        scheduler.advance(INTERVAL);
        assertThat(runtime.restarts).isEqualTo(1);
        held.release();
        scheduler.advance(Duration.ofMinutes(1));

        assertThat(eventsOf(RecoveryStarted.class)).extracting(RecoveryStarted::action)
                .as("not restarted twice; the person's restart did not help within verifyWithin: the next step")
                .containsExactly("rollback");
        assertThat(runtime.restarts).isEqualTo(1);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
    }

    // ---- verification ---------------------------------------------------------------------------------

    @Test
    void aStepWhoseServiceNeverPassesSuccessThresholdChecksInARowWithinVerifyWithinEscalates() {
        AtomicInteger checks = new AtomicInteger();
        HealthChecker halfBroken = context -> {
            boolean pass = runtime.running && ("v1".equals(runtime.release) || checks.getAndIncrement() % 2 == 0);
            return CompletableFuture.completedFuture(pass ? CheckResult.healthy(Duration.ofMillis(1))
                    : CheckResult.unhealthy(FailureReason.STATUS, "HTTP 503", Duration.ofMillis(1)));
        };
        ServiceDefinition definition = defaults().failureThreshold(2).successThreshold(2)
                .recoveryPolicy(policy().restartAttempts(1).build()).build();
        monitor = start(definition, halfBroken, new RecoveryPermits(10), "restart", "rollback");
        scheduler.advance(INTERVAL);
        runtime.crash(); // restarted; from then on one check in two fails

        scheduler.advance(Duration.ofMinutes(10));

        assertThat(eventsOf(RecoveryStarted.class)).extracting(RecoveryStarted::action)
                .as("not healthy within verifyWithin (10s): the next step runs").containsExactly("restart", "rollback");
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
    }

    // ---- alerts held --------------------------------------------------------------------------------------

    @Test
    void aPausedServiceThatFlapsRaisesNoAlert() {
        monitor = startAlternating();
        control(coordinator -> coordinator.pause("maintenance: bouncing it by hand"));

        scheduler.advance(Duration.ofSeconds(30));

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.FLAPPING);
        assertThat(firing()).as("pause holds every alert").isEmpty();
    }

    @Test
    void aServiceWhoseFailuresAreHeldBackForADependencyRaisesNoFlappingAlert() {
        monitor = startAlternating();
        control(coordinator -> coordinator.inhibit("db is down"));

        scheduler.advance(Duration.ofSeconds(30));

        assertThat(firing()).as("a dependent's alerts are held back while its dependency is down").isEmpty();
    }

    @Test
    void aFlappingAlertHeldByAPauseIsRaisedOnceResumedIfTheServiceStillFlaps() {
        monitor = startAlternating();
        control(coordinator -> coordinator.pause("maintenance"));
        scheduler.advance(Duration.ofSeconds(30));
        control(coordinator -> coordinator.resume("done"));

        scheduler.advance(Duration.ofSeconds(30));

        assertThat(firing()).extracting(Alert::name).containsOnlyOnce(FlappingOverlay.ALERT_NAME);
    }

    // ---- harness ------------------------------------------------------------------------------------

    private void control(java.util.function.Consumer<RecoveryCoordinator> action) {
        monitor.withCoordinator(coordinator -> {
            action.accept(coordinator);
            return CompletableFuture.completedFuture(null);
        });
    }

    private RecoveryPolicy.Builder policy() {
        return RecoveryPolicy.custom().verifyWithin(VERIFY).backoff(Duration.ofSeconds(1), 1.0, Duration.ofSeconds(1))
                .budget(100, Duration.ofHours(1));
    }

    private ServiceDefinition.Builder defaults() {
        return ServiceDefinition.builder("api").check("fake", "nowhere").interval(INTERVAL)
                .timeout(Duration.ofMillis(500)).startPeriod(Duration.ZERO).runtime("fake", Map.of());
    }

    private ServiceMonitor start(ServiceDefinition.Builder definition, RecoveryPolicy.Builder policy,
            RecoveryPermits permits, String... ladder) {
        return start(definition.recoveryPolicy(policy.build()).build(), runtime.checker(), permits, ladder);
    }

    private ServiceMonitor start(ServiceDefinition definition, HealthChecker checker, RecoveryPermits permits,
            String... ladder) {
        ServiceMonitor created = new ServiceMonitor(definition, checker, runtime, ladder(ladder), harness.context(permits));
        runtime.listener = created;
        created.start(Duration.ZERO);
        scheduler.runDue();
        return created;
    }

    /** A service without a workload whose checks alternate, flapping under {@code flapping: {6, 1m}}. */
    private ServiceMonitor startAlternating() {
        AtomicInteger checks = new AtomicInteger();
        HealthChecker checker = context -> CompletableFuture.completedFuture(checks.getAndIncrement() % 2 == 1
                ? CheckResult.unhealthy(FailureReason.STATUS, "HTTP 503", Duration.ofMillis(1))
                : CheckResult.healthy(Duration.ofMillis(1)));
        ServiceDefinition definition = ServiceDefinition.builder("api").check("fake", "nowhere").interval(INTERVAL)
                .timeout(Duration.ofMillis(500)).startPeriod(Duration.ZERO).failureThreshold(1).successThreshold(1)
                .recoveryPolicy(policy().build()).flapping(FlappingPolicy.of(6, Duration.ofMinutes(1))).build();
        ServiceMonitor created = new ServiceMonitor(definition, checker, null, ladder("notify"),
                harness.context(new RecoveryPermits(10)));
        created.start(Duration.ZERO);
        scheduler.runDue();
        return created;
    }

    private Ladder ladder(String... names) {
        List<Ladder.Step> steps = new ArrayList<>();
        for (String name : names) {
            if (name.equals("page")) {
                steps.add(new Ladder.Step(name, context -> page, Ladder.Kind.NOTICE));
                continue;
            }
            steps.add(RecoveryHarness.step(name));
        }
        return new Ladder(steps);
    }

    private List<Alert> firing() {
        return harness.firing();
    }

    private <E extends ServiceEvent> List<E> eventsOf(Class<E> type) {
        return harness.eventsOf(type);
    }
}
