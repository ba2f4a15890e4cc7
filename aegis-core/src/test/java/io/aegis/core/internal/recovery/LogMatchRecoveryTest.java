package io.aegis.core.internal.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.core.RecoveryPolicy;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.RecoveryBudgetExhausted;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.internal.RecoveryPermits;
import io.aegis.core.internal.ServiceMonitor;
import io.aegis.core.testing.LogCapture;
import io.aegis.core.internal.VirtualScheduler;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code logs.patterns[].action}: a log match goes through the recovery coordinator with the backoff, budget and
 * verification of a failed check (not {@code restartNow}, which bypasses them), on virtual time with the real
 * monitor, coordinator and restart action.
 */
class LogMatchRecoveryTest {
    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private final RecoveryHarness harness = new RecoveryHarness();
    private final VirtualScheduler scheduler = harness.scheduler;
    private final LadderTest.FakeRuntime runtime = new LadderTest.FakeRuntime();
    private ServiceMonitor monitor;

    @AfterEach
    void stop() {
        if (monitor != null) {
            monitor.stopMonitoring();
        }
        harness.close();
    }

    @Test
    void actionRestartRestartsAHealthyServiceWhoseLadderOnlyNotifiesAndKeepsToTheBudget() {
        monitor = start(RecoveryPolicy.custom().backoff(Duration.ofSeconds(10), 1.0, Duration.ofSeconds(10))
                .budget(2, Duration.ofHours(1)), "notify");
        scheduler.advance(Duration.ofSeconds(3));
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);

        logMatch("log pattern OutOfMemory matched in output.log:7", RecoveryHarness.step("restart"));
        scheduler.advance(Duration.ofSeconds(3));
        assertThat(runtime.restarts).as("the first restart runs at once").isEqualTo(1);
        assertThat(monitor.snapshot().state()).isEqualTo(ServiceState.HEALTHY);

        logMatch("log pattern OutOfMemory matched in output.log:9", RecoveryHarness.step("restart"));
        scheduler.advance(Duration.ofSeconds(5));
        assertThat(runtime.restarts).as("the second waits out its backoff, a passing check does not call it off")
                .isEqualTo(1);
        scheduler.advance(Duration.ofSeconds(10));
        assertThat(runtime.restarts).isEqualTo(2);

        scheduler.advance(Duration.ofSeconds(30));
        logMatch("log pattern OutOfMemory matched in output.log:11", RecoveryHarness.step("restart"));
        scheduler.advance(Duration.ofMinutes(1));
        assertThat(runtime.restarts).as("budget: 2 within 1h").isEqualTo(2);
        assertThat(harness.eventsOf(RecoveryBudgetExhausted.class)).hasSize(1);
        assertThat(harness.eventsOf(RecoveryStarted.class)).extracting(RecoveryStarted::action)
                .containsExactly("restart", "restart");
        assertThat(harness.eventsOf(RecoveryStarted.class).get(0).cause()).contains("OutOfMemory");
    }

    @Test
    void aFloodOfMatchesOnceTheBudgetIsSpentLogsAndPublishesOnceAndRestartsAgainOnceTheBudgetHasRoom() {
        monitor = start(RecoveryPolicy.custom().backoff(Duration.ofSeconds(2), 1.0, Duration.ofSeconds(2))
                .budget(2, Duration.ofHours(1)), "notify");
        scheduler.advance(Duration.ofSeconds(3));
        logMatch("log pattern Err matched in output.log:1", RecoveryHarness.step("restart"));
        scheduler.advance(Duration.ofSeconds(5));
        logMatch("log pattern Err matched in output.log:2", RecoveryHarness.step("restart"));
        scheduler.advance(Duration.ofSeconds(5));
        assertThat(runtime.restarts).isEqualTo(2);

        String logged = LogCapture.stderrDuring(() -> {
            for (int i = 0; i < 5000; i++) {
                logMatch("log pattern Err matched in output.log:" + (i + 3), RecoveryHarness.step("restart"));
                if (i % 10 == 0) {
                    scheduler.advance(Duration.ofSeconds(1)); // 500 s of matches, well within the budget's hour
                }
            }
        });

        assertThat(runtime.restarts).isEqualTo(2);
        assertThat(harness.eventsOf(RecoveryBudgetExhausted.class)).as("one event, not one per line").hasSize(1);
        assertThat(logged.lines().filter(line -> line.contains("not restarting for a log match"))).as(logged)
                .hasSize(1);

        scheduler.advance(Duration.ofHours(1)); // the first restart leaves the window: the budget has room again
        logMatch("log pattern Err matched in output.log:9999", RecoveryHarness.step("restart"));
        scheduler.advance(Duration.ofSeconds(5));
        assertThat(runtime.restarts).as("log matches act again once the budget has room").isEqualTo(3);
    }

    @Test
    void aBurstOfMatchesWhileARestartRunsRestartsOnce() {
        monitor = start(RecoveryPolicy.custom().budget(100, Duration.ofHours(1)), "notify");
        scheduler.advance(Duration.ofSeconds(3));
        CompletableFuture<Void> restartDone = new CompletableFuture<>();
        runtime.heldRestart = restartDone;

        for (int i = 0; i < 5; i++) {
            logMatch("line " + i, RecoveryHarness.step("restart"));
        }
        scheduler.advance(Duration.ofSeconds(1));
        restartDone.complete(null);
        scheduler.advance(Duration.ofSeconds(5));

        assertThat(runtime.restarts).isEqualTo(1);
    }

    @Test
    void actionLadderStartsTheServicesLadderAsAFailedCheckWould() {
        monitor = start(RecoveryPolicy.custom().budget(100, Duration.ofHours(1)), "restart", "rollback");
        scheduler.advance(Duration.ofSeconds(3));

        logMatch("log pattern Panic matched in output.log:3", null);
        scheduler.advance(Duration.ofSeconds(3));

        assertThat(harness.eventsOf(RecoveryStarted.class)).singleElement().satisfies(started -> {
            assertThat(started.action()).isEqualTo("restart");
            assertThat(started.step()).isEqualTo(1);
            assertThat(started.cause()).contains("Panic");
        });
        assertThat(runtime.restarts).isEqualTo(1);
    }

    @Test
    void aPausedServiceIsNotRestartedForALogMatch() {
        monitor = start(RecoveryPolicy.custom(), "notify");
        scheduler.advance(Duration.ofSeconds(3));
        monitor.withCoordinator(coordinator -> {
            coordinator.pause("maintenance");
            return CompletableFuture.completedFuture(null);
        });

        logMatch("log pattern OutOfMemory matched", RecoveryHarness.step("restart"));
        scheduler.advance(Duration.ofSeconds(5));

        assertThat(runtime.restarts).isZero();
    }

    private void logMatch(String cause, Ladder.Step restart) {
        monitor.withCoordinator(coordinator -> {
            coordinator.onLogMatch(cause, restart);
            return CompletableFuture.completedFuture(null);
        });
        scheduler.runDue();
    }

    private ServiceMonitor start(RecoveryPolicy.Builder policy, String... ladder) {
        ServiceDefinition definition = ServiceDefinition.builder("api").check("fake", "nowhere").interval(INTERVAL)
                .timeout(Duration.ofMillis(500)).startPeriod(Duration.ZERO)
                .recoveryPolicy(policy.verifyWithin(Duration.ofSeconds(10)).build())
                .runtime("fake", Map.of()).build();
        ServiceMonitor created = new ServiceMonitor(definition, runtime.checker(), runtime,
                RecoveryHarness.ladder(ladder), harness.context(new RecoveryPermits(RecoveryPermits.DEFAULT_LIMIT)));
        runtime.listener = created;
        created.start(Duration.ZERO);
        scheduler.runDue();
        return created;
    }
}
