package io.aegis.testkit.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.RuntimeOperation;
import io.aegis.core.RetryBackoff;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.StateChanged;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Retries, the recovery ladder and flapping on virtual time, with checks answering on threads of their own. */
class HostileRecoveryTest {

    private static CompletableFuture<CheckResult> later(CheckResult result) {
        return CompletableFuture.supplyAsync(() -> result, CompletableFuture.delayedExecutor(3, TimeUnit.MILLISECONDS));
    }

    private static CheckResult failing() {
        return CheckResult.unhealthy(FailureReason.STATUS, "HTTP 503", Duration.ofMillis(1));
    }

    /** retries(2) with a 1 s..4 s backoff: three attempts per tick, in order, inside the interval, none lost. */
    @Test
    void retriesWithBackoffRunThreeAttemptsPerTickInsideTheInterval() {
        HostileCheckerFactory.behave("retry", context -> later(failing()));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(ServiceDefinition.builder("retry")
                .check("hostile", "retry").interval(Duration.ofSeconds(30)).timeout(Duration.ofSeconds(3))
                .retries(2).retryBackoff(RetryBackoff.of(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(4)))
                .startPeriod(Duration.ZERO).failureThreshold(1))) {
            Instant start = harness.now();
            harness.advance(Duration.ofMinutes(5).minusSeconds(1));
            List<CheckCompleted> checks = harness.events(CheckCompleted.class);
            assertThat(HostileCheckerFactory.calls("retry")).isEqualTo(checks.size());
            assertThat(checks).hasSize(30);
            for (int tick = 0; tick < 10; tick++) {
                CheckCompleted first = checks.get(tick * 3);
                assertThat(first.attempt()).isEqualTo(1);
                assertThat(Duration.between(start, first.at()).minusSeconds(30L * tick)).as("tick %d", tick)
                        .isBetween(Duration.ZERO, Duration.ofMillis(1));
                assertThat(checks.get(tick * 3 + 1).attempt()).isEqualTo(2);
                assertThat(checks.get(tick * 3 + 2).attempt()).isEqualTo(3);
                assertThat(checks.get(tick * 3 + 2).finalAttempt()).isTrue();
                assertThat(Duration.between(first.at(), checks.get(tick * 3 + 2).at())).isLessThan(
                        Duration.ofSeconds(30));
            }
            assertThat(harness.events(StateChanged.class)).extracting(StateChanged::to)
                    .containsExactly(ServiceState.UNHEALTHY);
        }
    }

    /** A check that alternates: FLAPPING at the change that passes the threshold, at that check's time. */
    @Test
    void anAlternatingServiceIsFlappingAtTheCheckThatCrossesTheThreshold() {
        AtomicInteger n = new AtomicInteger();
        HostileCheckerFactory.behave("flap", context -> later(n.incrementAndGet() % 2 == 1
                ? CheckResult.healthy(Duration.ofMillis(1)) : failing()));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(ServiceDefinition.builder("flap")
                .check("hostile", "flap").interval(Duration.ofSeconds(10)).timeout(Duration.ofSeconds(3))
                .retries(0).startPeriod(Duration.ZERO).failureThreshold(1).successThreshold(1)
                .flapping(3, Duration.ofMinutes(10)))) {
            StateChanged flapping = harness.advanceUntilState("flap", ServiceState.FLAPPING, Duration.ofMinutes(5));
            List<Instant> checks = harness.events(CheckCompleted.class).stream().map(CheckCompleted::at).toList();
            assertThat(checks).contains(flapping.at());
            assertThat(harness.now()).isEqualTo(flapping.at());
            assertThat(HostileCheckerFactory.calls("flap")).isEqualTo(checks.size());
        }
    }

    /** restart then isolate: the ladder's steps in order, each on the virtual clock after its failure. */
    @Test
    void aLadderOfRestartThenIsolateClimbsInOrder() {
        HostileCheckerFactory.behave("ladder", context -> later(failing()));
        try (EngineHarness harness = EngineHarness.startInVirtualTime(ServiceDefinition.builder("ladder")
                .check("hostile", "ladder").interval(Duration.ofSeconds(30)).timeout(Duration.ofSeconds(3))
                .retries(0).startPeriod(Duration.ZERO).failureThreshold(1).runtime("fake", Map.of())
                .onFailure("restart", "isolate"))) {
            harness.advance(Duration.ofMinutes(30));
            List<RecoveryStarted> started = harness.events(RecoveryStarted.class);
            assertThat(started).extracting(RecoveryStarted::action).startsWith("restart").contains("isolate");
            List<RuntimeOperation> calls = harness.runtime("ladder").calls();
            assertThat(calls).containsSubsequence(RuntimeOperation.RESTART, RuntimeOperation.ISOLATE);
            for (int i = 1; i < started.size(); i++) {
                assertThat(started.get(i).at()).isAfter(started.get(i - 1).at());
            }
        }
    }
}
