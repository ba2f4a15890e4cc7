package io.aegis.core.internal.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.Settings;
import io.aegis.api.Severity;
import io.aegis.api.WorkloadStatus;
import io.aegis.core.RecoveryPolicy;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.IncidentClosed;
import io.aegis.core.event.OperatorAction;
import io.aegis.core.event.RecoveryBudgetExhausted;
import io.aegis.core.event.RecoveryConcluded;
import io.aegis.core.event.RecoveryEscalated;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.ServiceIsolated;
import io.aegis.core.internal.RecoveryPermits;
import io.aegis.core.internal.ServiceMonitor;
import io.aegis.core.internal.VirtualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The recovery ladder, backoff, budget, verification, isolation, pause and reset, on virtual time: the real
 * monitor, coordinator and built-in actions, a {@link VirtualScheduler} and direct executors, and a runtime fake
 * that can roll back and isolate. Minutes of backoff and verification run in milliseconds, the same every time.
 */
class LadderTest {
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final Duration VERIFY = Duration.ofSeconds(10);

    private final RecoveryHarness harness = new RecoveryHarness();
    private final VirtualScheduler scheduler = harness.scheduler;
    private final List<Alert> alerts = harness.alerts;
    private final FakeRuntime runtime = new FakeRuntime();
    private ServiceMonitor monitor;

    @AfterEach
    void stop() {
        if (monitor != null) {
            monitor.stopMonitoring();
        }
        harness.close();
    }

    @Test
    void restartsUpToRestartAttemptsThenRollsBackOnceAndTheServiceIsHealthyOnThePreviousRelease() {
        runtime.badReleases.add("v2");
        monitor = start(policy().restartAttempts(2), "restart", "rollback", "isolate");

        scheduler.advance(Duration.ofMinutes(2));

        assertThat(runtime.restarts).isEqualTo(2);
        assertThat(runtime.rollbacks).isEqualTo(1);
        assertThat(runtime.isolations).isZero();
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        await().untilAsserted(() -> {
            assertThat(eventsOf(RecoveryEscalated.class)).singleElement().satisfies(escalated -> {
                assertThat(escalated.fromAction()).isEqualTo("restart");
                assertThat(escalated.toAction()).isEqualTo("rollback");
                assertThat(escalated.step()).isEqualTo(2);
                assertThat(escalated.reason()).contains("2 restarts did not make the service healthy");
            });
            assertThat(eventsOf(RecoveryConcluded.class))
                    .extracting(RecoveryConcluded::action, RecoveryConcluded::outcome)
                    .containsExactly(tuple("restart", RecoveryConcluded.Outcome.NOT_HEALTHY),
                            tuple("restart", RecoveryConcluded.Outcome.NOT_HEALTHY),
                            tuple("rollback", RecoveryConcluded.Outcome.SUCCEEDED));
            assertThat(eventsOf(RecoveryStarted.class)).extracting(RecoveryStarted::action, RecoveryStarted::step)
                    .containsExactly(tuple("restart", 1), tuple("restart", 1), tuple("rollback", 2));
            assertThat(alerts).filteredOn(alert -> alert.name().equals(RecoveryCoordinator.ESCALATED_ALERT)
                    && alert.state() == Alert.State.FIRING).singleElement().satisfies(alert -> assertThat(alert.severity()).isEqualTo(Severity.WARNING));
        });
    }

    @Test
    void theLateExitOfAProcessARestartReplacedDoesNotCountAgainstTheNewOne() {
        monitor = start(policy(), "restart");
        scheduler.advance(Duration.ofSeconds(3));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);

        // Killed: a check notices before the process's exit is reported, and the restart begins.
        CompletableFuture<Void> restartDone = new CompletableFuture<>();
        runtime.heldRestart = restartDone;
        runtime.running = false;
        long killedPid = runtime.pid;
        scheduler.advance(INTERVAL);
        assertThat(runtime.restarts).isEqualTo(1);
        // The killed process's exit arrives while the restart runs, then the restart starts a new process.
        runtime.listener.workloadExited(WorkloadStatus.exited(killedPid, 137));
        restartDone.complete(null);
        scheduler.advance(Duration.ofSeconds(20));

        assertThat(runtime.restarts).as("the old process's exit is not the new one's").isEqualTo(1);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        assertThat(eventsOf(RecoveryConcluded.class)).extracting(RecoveryConcluded::outcome)
                .containsExactly(RecoveryConcluded.Outcome.SUCCEEDED);
    }

    @Test
    void aServiceThatRecoversByItselfFromFailedKeepsItsSpentBudget() {
        runtime.badReleases.add("v2"); // every restart leaves it failing
        monitor = start(policy().budget(2, Duration.ofMinutes(10)), "restart");
        scheduler.advance(Duration.ofMinutes(1));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.FAILED);
        assertThat(runtime.restarts).isEqualTo(2);

        runtime.badReleases.clear(); // it comes back by itself: HEALTHY, the incident closes
        scheduler.advance(Duration.ofSeconds(5));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        runtime.badReleases.add("v2"); // and fails again within the budget's window
        scheduler.advance(Duration.ofMinutes(1));

        // Hostile H3: passing once cleared the budget, so a service failing on and off was restarted without end.
        assertThat(runtime.restarts).as("restarts within the 10 minutes of a budget of 2").isEqualTo(2);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.FAILED);
    }

    @Test
    void onceTheEngineBeginsToStopAFailingServiceIsNeitherJudgedNorRestartedNorAlertedFor() {
        monitor = start(policy(), "restart");
        scheduler.advance(Duration.ofSeconds(3));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        int alertsBefore = alerts.size();

        // Ctrl-C reaches the whole process group: aegis begins to stop while its service dies of the same signal.
        monitor.prepareToStop();
        runtime.running = false;
        scheduler.advance(Duration.ofSeconds(30));

        // Hostile F3: the engine, still closing its log sources, restarted the service and raised alerts.
        assertThat(runtime.restarts).isZero();
        assertThat(eventsOf(RecoveryStarted.class)).isEmpty();
        assertThat(alerts).hasSize(alertsBefore);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
    }

    @Test
    void noCheckCountsAgainstAWorkloadWhoseFirstStartIsStillInFlight() {
        CompletableFuture<Void> started = new CompletableFuture<>();
        runtime.heldStart = started;
        // startPeriod is zero here: a check failing before the process exists would make it UNHEALTHY at once
        monitor = start(policy(), "restart");
        scheduler.advance(Duration.ofSeconds(30));

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.STARTING);
        assertThat(runtime.restarts).isZero();
        assertThat(eventsOf(CheckCompleted.class)).as("nothing to check before the workload exists").isEmpty();

        started.complete(null);
        scheduler.advance(Duration.ofSeconds(2));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        assertThat(runtime.restarts).isZero();
    }

    @Test
    void anIsolationAlertSaysSoWhenTheWorkloadIsNotRunningAndNamesTheCrashNotAnOldPassingCheck() {
        monitor = start(policy(), "isolate");
        scheduler.advance(Duration.ofSeconds(3));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);

        runtime.crash();
        scheduler.advance(Duration.ofSeconds(1));

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.ISOLATED);
        assertThat(alerts).filteredOn(alert -> alert.name().equals(RecoveryCoordinator.ISOLATED_ALERT)).singleElement()
                .satisfies(alert -> assertThat(alert.summary()).contains("NOT running").contains("exited with code 1")
                        .doesNotContain("kept running").doesNotContain("cause: healthy"));
    }

    @Test
    void isolatingByHandWhileARestartRunsIsRefusedAndChangesNothing() {
        monitor = start(policy(), "restart");
        scheduler.advance(Duration.ofSeconds(3));
        CompletableFuture<Void> restartDone = new CompletableFuture<>();
        runtime.heldRestart = restartDone;
        runtime.crash();
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(runtime.restarts).isEqualTo(1);

        CompletableFuture<Void> isolating = monitor.withCoordinator(coordinator -> coordinator.isolateNow("drain"));
        scheduler.advance(Duration.ofSeconds(1));

        assertThat(isolating).isCompletedExceptionally();
        assertThatThrownBy(isolating::join).hasMessageContaining("a recovery action is running");
        assertThat(runtime.isolations).isZero();
        restartDone.complete(null);
        scheduler.advance(Duration.ofSeconds(2));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
    }

    @Test
    void isolatingAnIsolatedServiceAgainDoesNothing() {
        monitor = start(policy(), "restart");
        scheduler.advance(Duration.ofSeconds(3));

        for (int i = 0; i < 3; i++) {
            monitor.withCoordinator(coordinator -> coordinator.isolateNow("draining by hand"));
            scheduler.advance(Duration.ofSeconds(1));
        }

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.ISOLATED);
        assertThat(runtime.isolations).isEqualTo(1);
        assertThat(alerts).filteredOn(alert -> alert.name().equals(RecoveryCoordinator.ISOLATED_ALERT)).hasSize(1);
    }

    @Test
    void restartsWaitOutTheirBackoffInVirtualTime() {
        runtime.badReleases.add("v2");
        monitor = start(RecoveryPolicy.custom().verifyWithin(VERIFY).backoff(Duration.ofMinutes(5), 2.0,
                Duration.ofMinutes(5)).budget(10, Duration.ofHours(1)), "restart");

        scheduler.advance(Duration.ofSeconds(11)); // the first restart runs at once and is not healthy in 10s
        assertThat(runtime.restarts).isEqualTo(1);
        scheduler.advance(Duration.ofMinutes(4)); // the second waits about 5m (with jitter of 20%)
        assertThat(runtime.restarts).isEqualTo(1);
        scheduler.advance(Duration.ofMinutes(3));
        assertThat(runtime.restarts).isEqualTo(2);
    }

    @Test
    void aServiceThatFailsOnEveryReleaseEndsIsolatedWithOneCriticalAlertAndItsWorkloadRunning() {
        runtime.badReleases.addAll(List.of("v1", "v2"));
        monitor = start(policy().restartAttempts(2), "restart", "rollback", "isolate", "notify");

        scheduler.advance(Duration.ofMinutes(2));
        int restarts = runtime.restarts;
        scheduler.advance(Duration.ofHours(1)); // no more automatic recovery

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.ISOLATED);
        assertThat(runtime.isolations).isEqualTo(1);
        assertThat(runtime.running).as("the isolated workload is kept running for debugging").isTrue();
        assertThat(restarts).isEqualTo(2);
        assertThat(runtime.restarts).isEqualTo(2);
        assertThat(runtime.rollbacks).isEqualTo(1);
        await().untilAsserted(() -> {
            assertThat(alerts).filteredOn(alert -> alert.severity() == Severity.CRITICAL).singleElement()
                    .satisfies(alert -> {
                        assertThat(alert.name()).isEqualTo(RecoveryCoordinator.ISOLATED_ALERT);
                        assertThat(alert.summary()).contains("out of traffic and kept running")
                                .contains("Engine.reset(\"api\")");
                    });
            assertThat(eventsOf(ServiceIsolated.class)).hasSize(1);
            assertThat(eventsOf(RecoveryEscalated.class)).extracting(RecoveryEscalated::toAction)
                    .containsExactly("rollback", "isolate");
        });
    }

    @Test
    void aSpentBudgetEscalatesToTheNextStepInsteadOfFailing() {
        runtime.badReleases.add("v2");
        monitor = start(policy().restartAttempts(5).budget(1, Duration.ofHours(1)), "restart", "rollback");

        scheduler.advance(Duration.ofMinutes(2));

        assertThat(runtime.restarts).isEqualTo(1);
        assertThat(runtime.rollbacks).isEqualTo(1);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        await().untilAsserted(() -> {
            assertThat(eventsOf(RecoveryBudgetExhausted.class)).hasSize(1);
            assertThat(eventsOf(RecoveryEscalated.class)).singleElement()
                    .satisfies(e -> assertThat(e.reason()).startsWith("the recovery budget is spent"));
        });
    }

    @Test
    void aSingleRestartStepStillEndsFailedWhenItsBudgetIsSpent() {
        runtime.badReleases.add("v2");
        monitor = start(policy().budget(2, Duration.ofHours(1)), "restart");

        scheduler.advance(Duration.ofMinutes(2));

        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.FAILED);
        assertThat(runtime.restarts).isEqualTo(2);
        await().untilAsserted(() -> assertThat(alerts).extracting(Alert::name)
                .containsExactly(RecoveryCoordinator.BUDGET_ALERT));
    }

    @Test
    void resetBringsAFailedServiceBackUnderSupervision() {
        runtime.badReleases.add("v2");
        monitor = start(policy().budget(1, Duration.ofHours(1)), "restart");
        scheduler.advance(Duration.ofMinutes(1));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.FAILED);
        runtime.badReleases.clear(); // a person fixed it

        CompletableFuture<Void> reset = monitor.withCoordinator(coordinator -> coordinator.reset("fixed the config"));
        scheduler.advance(INTERVAL);

        assertThat(reset).isCompleted();
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        assertThat(runtime.restarts).as("the failed restart, then the reset's").isEqualTo(2);
        // Under supervision again, with a fresh budget: the next failure is restarted.
        runtime.badReleases.add("v2");
        runtime.crash();
        scheduler.advance(INTERVAL);
        assertThat(runtime.restarts).isEqualTo(3);
        await().untilAsserted(() -> assertThat(eventsOf(OperatorAction.class)).extracting(OperatorAction::kind,
                OperatorAction::reason).containsExactly(tuple(OperatorAction.Kind.RESET, "fixed the config")));
    }

    @Test
    void pauseStopsRecoveryAndAlertsAndResumeRestoresThem() {
        monitor = start(policy(), "restart", "notify");
        scheduler.advance(INTERVAL);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);

        monitor.withCoordinator(coordinator -> {
            coordinator.pause("deploying by hand");
            return CompletableFuture.completedFuture(null);
        });
        runtime.badReleases.add("v2");
        scheduler.advance(Duration.ofMinutes(10));

        assertThat(monitor.snapshot().state()).as("checks go on").isEqualTo(ServiceState.UNHEALTHY);
        assertThat(runtime.restarts).isZero();
        assertThat(alerts).isEmpty();

        monitor.withCoordinator(coordinator -> {
            coordinator.resume("done");
            return CompletableFuture.completedFuture(null);
        });
        scheduler.runDue();
        assertThat(runtime.restarts).as("resume judges the service at once").isEqualTo(1);
    }

    @Test
    void anIncidentEndsAfterResetAfterHealthyAndTheNextFailureStartsAtTheFirstStep() {
        monitor = start(policy().restartAttempts(1).resetAfter(Duration.ofMinutes(5)), "restart", "rollback");
        scheduler.advance(INTERVAL);
        runtime.badReleases.add("v2");
        runtime.crash(); // restart 1 (bad release), then rollback to v1: healthy
        scheduler.advance(Duration.ofMinutes(1));
        assertThat(runtime.rollbacks).isEqualTo(1);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);

        scheduler.advance(Duration.ofMinutes(5));
        runtime.crash();
        scheduler.advance(INTERVAL);

        assertThat(runtime.restarts).as("a new incident starts with restart again").isEqualTo(2);
        await().untilAsserted(() -> assertThat(eventsOf(IncidentClosed.class)).singleElement()
                .satisfies(closed -> assertThat(closed.lastStep()).isEqualTo(2)));
    }

    @Test
    void aRecoveryWaitsForAFleetWidePermitWithoutAThreadAndRunsWhenOneIsFree() {
        RecoveryPermits permits = new RecoveryPermits(1);
        RecoveryPermits.Ticket held = permits.request(granted -> { });
        runtime.badReleases.add("v2");
        monitor = start(policy(), permits, "restart");

        scheduler.advance(Duration.ofMinutes(1));
        assertThat(runtime.restarts).isZero();
        assertThat(permits.waiting()).isEqualTo(1);

        held.release();
        scheduler.advance(INTERVAL);
        assertThat(runtime.restarts).isEqualTo(1);
        assertThat(permits.waiting()).isZero();
        assertThat(permits.inFlight()).isZero();
    }

    @Test
    void aRecoveryHeldBackByAnotherSignalRunsNoStepAndIsJudgedAtOnceWhenLifted() {
        monitor = start(policy(), "restart", "notify");
        scheduler.advance(INTERVAL);
        monitor.withCoordinator(coordinator -> {
            coordinator.inhibit("dependency db is down");
            return CompletableFuture.completedFuture(null);
        });
        runtime.badReleases.add("v2");

        scheduler.advance(Duration.ofMinutes(5));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.UNHEALTHY);
        assertThat(runtime.restarts).isZero();
        assertThat(alerts).isEmpty();

        monitor.withCoordinator(coordinator -> {
            coordinator.lift("db is healthy again");
            return CompletableFuture.completedFuture(null);
        });
        scheduler.runDue();
        assertThat(runtime.restarts).isEqualTo(1);
    }

    @Test
    void aServiceToldToStopRepeatingLeavesRestartForTheNextStep() {
        runtime.badReleases.add("v2");
        monitor = start(policy().restartAttempts(10), "restart", "rollback");
        assertThat(runtime.restarts).isEqualTo(1);

        monitor.withCoordinator(coordinator -> {
            coordinator.stopRepeating("flapping: 6 state changes within 1m");
            return CompletableFuture.completedFuture(null);
        });
        scheduler.advance(Duration.ofMinutes(1));

        assertThat(runtime.restarts).isEqualTo(1);
        assertThat(runtime.rollbacks).isEqualTo(1);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
        await().untilAsserted(() -> assertThat(eventsOf(RecoveryEscalated.class)).singleElement()
                .satisfies(e -> assertThat(e.reason()).isEqualTo("flapping: 6 state changes within 1m")));
    }

    @Test
    void fleetPermitsAreGrantedInTheOrderAsked() {
        RecoveryPermits permits = new RecoveryPermits(2);
        List<String> granted = new CopyOnWriteArrayList<>();
        List<RecoveryPermits.Ticket> tickets = new ArrayList<>();
        for (String name : List.of("a", "b", "c", "d", "e")) {
            tickets.add(permits.request(ticket -> granted.add(name)));
        }
        assertThat(granted).containsExactly("a", "b");
        assertThat(permits.waiting()).isEqualTo(3);

        tickets.get(3).release(); // d leaves the line
        tickets.get(0).release();
        tickets.get(1).release();

        assertThat(granted).containsExactly("a", "b", "c", "e");
        assertThat(permits.inFlight()).isEqualTo(2);
        assertThat(permits.waiting()).isZero();
    }

    @Test
    void aServiceStartedAfterAGateStartsNothingUntilItOpens() {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        ServiceDefinition definition = ServiceDefinition.builder("api").check("fake", "nowhere").interval(INTERVAL)
                .startPeriod(Duration.ZERO).runtime("fake", Map.of()).build();
        monitor = new ServiceMonitor(definition, runtime.checker(), runtime, new Ladder(List.of(new Ladder.Step(
                "notify", new NotifyActionFactory().create(Settings.empty("actions")), Ladder.Kind.NOTICE))),
                harness.context(new RecoveryPermits(1)));

        monitor.start(Duration.ZERO, gate);
        scheduler.advance(Duration.ofMinutes(1));
        assertThat(runtime.running).isFalse();
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.UNKNOWN);

        gate.complete(null);
        scheduler.advance(INTERVAL);
        assertThat(runtime.running).isTrue();
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);
    }

    // ---- harness ------------------------------------------------------------------------------------

    private RecoveryPolicy.Builder policy() {
        return RecoveryPolicy.custom().verifyWithin(VERIFY).backoff(Duration.ofSeconds(1), 1.0, Duration.ofSeconds(1))
                .budget(100, Duration.ofHours(1));
    }

    private ServiceMonitor start(RecoveryPolicy.Builder policy, String... ladder) {
        return start(policy, new RecoveryPermits(RecoveryPermits.DEFAULT_LIMIT), ladder);
    }

    private ServiceMonitor start(RecoveryPolicy.Builder policy, RecoveryPermits permits, String... ladder) {
        ServiceDefinition definition = ServiceDefinition.builder("api").check("fake", "nowhere").interval(INTERVAL)
                .timeout(Duration.ofMillis(500)).startPeriod(Duration.ZERO).recoveryPolicy(policy.build())
                .runtime("fake", Map.of()).build();
        ServiceMonitor created = new ServiceMonitor(definition, runtime.checker(), runtime,
                RecoveryHarness.ladder(ladder), harness.context(permits));
        runtime.listener = created;
        created.start(Duration.ZERO);
        scheduler.runDue();
        return created;
    }

    private <E extends ServiceEvent> List<E> eventsOf(Class<E> type) {
        return harness.eventsOf(type);
    }

    /**
     * A workload with releases: it serves (its check passes) while it runs a release not in {@link #badReleases}.
     * It starts on v2; a rollback goes back to v1. Everything completes at once.
     */
    static final class FakeRuntime implements RuntimeAdapter {
        final Set<String> badReleases = java.util.concurrent.ConcurrentHashMap.newKeySet();
        volatile String release = "v2";
        volatile boolean running;
        volatile int restarts;
        volatile int rollbacks;
        volatile int isolations;
        volatile ServiceMonitor listener;
        volatile long pid = 42;
        /** While set, a start completes only when this does. */
        volatile CompletableFuture<Void> heldStart;
        /** While set, a restart completes only when this does (and then runs a new pid). */
        volatile CompletableFuture<Void> heldRestart;
        /** While set, an isolation completes only when this does. */
        volatile CompletableFuture<Void> heldIsolate;

        HealthChecker checker() {
            return context -> CompletableFuture.completedFuture(running && !badReleases.contains(release)
                    ? CheckResult.healthy(Duration.ofMillis(1))
                    : CheckResult.unhealthy(FailureReason.STATUS, "release " + release + " answers 503",
                            Duration.ofMillis(1)));
        }

        void crash() {
            running = false;
            listener.workloadExited(WorkloadStatus.exited(pid, 1));
        }

        @Override
        public CompletionStage<Void> start() {
            CompletableFuture<Void> held = heldStart;
            if (held != null) {
                return held.thenRun(() -> running = true);
            }
            running = true;
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> stop() {
            running = false;
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> restart() {
            restarts++;
            CompletableFuture<Void> held = heldRestart;
            if (held != null) {
                return held.thenRun(() -> {
                    pid++;
                    running = true;
                });
            }
            running = true;
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> rollback() {
            rollbacks++;
            release = "v1";
            running = true;
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> isolate() {
            isolations++;
            CompletableFuture<Void> held = heldIsolate;
            return held != null ? held : CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<WorkloadStatus> status() {
            return CompletableFuture.completedFuture(running ? WorkloadStatus.running(pid) : WorkloadStatus.stopped());
        }

        @Override
        public Set<RuntimeOperation> supportedOperations() {
            return EnumSet.allOf(RuntimeOperation.class);
        }
    }
}
