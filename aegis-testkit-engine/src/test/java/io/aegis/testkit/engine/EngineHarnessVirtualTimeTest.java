package io.aegis.testkit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.FailureReason;
import io.aegis.api.RuntimeOperation;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.StateChanged;
import io.aegis.testkit.engine.ScriptedCheckerFactory.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The harness on virtual time: services keep real intervals (30 s), thresholds and timeouts, and the test moves the
 * clock; each check answers on a thread of its own a few real milliseconds later, so these also show that time
 * waits for the engine to settle before it moves on.
 */
class EngineHarnessVirtualTimeTest {

    private static ServiceDefinition.Builder service(String name, Verdict verdict) {
        ScriptedCheckerFactory.script(name).verdict = verdict;
        return ServiceDefinition.builder(name).check("scripted", name).interval(Duration.ofSeconds(30))
                .timeout(Duration.ofSeconds(5)).retries(0).startPeriod(Duration.ZERO);
    }

    @Test
    void tenMinutesOfThirtySecondChecksRunOneCheckPerIntervalOnTheVirtualClock() {
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("steady", Verdict.HEALTHY))) {
            Instant start = harness.now();

            harness.advance(Duration.ofMinutes(10));

            assertThat(harness.now()).isEqualTo(start.plus(Duration.ofMinutes(10)));
            List<Instant> checks = harness.events(CheckCompleted.class).stream().map(CheckCompleted::at).toList();
            // Every tick found the check before it answered and counted: none skipped, none doubled.
            assertThat(checks).hasSizeBetween(20, 21);
            assertThat(ScriptedCheckerFactory.script("steady").checks).hasValue(checks.size());
            for (int i = 1; i < checks.size(); i++) {
                assertThat(Duration.between(checks.get(i - 1), checks.get(i))).isEqualTo(Duration.ofSeconds(30));
            }
            assertThat(harness.events(StateChanged.class)).extracting(StateChanged::to)
                    .containsExactly(ServiceState.HEALTHY);
        }
    }

    @Test
    void aServiceThatStartsFailingTurnsUnhealthyAtItsThirdFailureAndIsRestarted() {
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("flaky", Verdict.HEALTHY)
                .failureThreshold(3).onFailure("restart").runtime("fake", Map.of()))) {
            harness.advanceUntilState("flaky", ServiceState.HEALTHY, Duration.ofMinutes(1));
            harness.advance(Duration.ofMinutes(5));
            Instant brokeAt = harness.now();

            ScriptedCheckerFactory.script("flaky").verdict = Verdict.FAILING;
            StateChanged down = harness.advanceUntilState("flaky", ServiceState.UNHEALTHY, Duration.ofMinutes(10));

            // Three failed checks 30 s apart, the first within 30 s of the break.
            assertThat(Duration.between(brokeAt, down.at())).isGreaterThan(Duration.ofSeconds(60))
                    .isLessThanOrEqualTo(Duration.ofSeconds(90));
            assertThat(down.cause()).contains("HTTP 503");
            RecoveryStarted restart = harness.advanceUntil(RecoveryStarted.class,
                    started -> started.serviceName().equals("flaky"), Duration.ofMinutes(1));
            assertThat(restart.action()).isEqualTo("restart");
            assertThat(harness.runtime("flaky").calls()).contains(RuntimeOperation.RESTART);
        }
    }

    @Test
    void restartsThatDoNotHelpAreVerifiedBackedOffAndGivenUpOnAllOnTheVirtualClock() {
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("broken", Verdict.FAILING)
                .failureThreshold(1).onFailure("restart").runtime("fake", Map.of()))) {
            StateChanged failed = harness.advanceUntilState("broken", ServiceState.FAILED, Duration.ofHours(2));

            assertThat(failed.cause()).isEqualTo("5 recoveries within 10m did not help; giving up until a person acts");
            List<Instant> restarts = harness.events(RecoveryStarted.class).stream().map(RecoveryStarted::at).toList();
            assertThat(restarts).hasSize(5);
            for (int i = 1; i < restarts.size(); i++) {
                // Each restart is judged after its 30 s verification window; the next waits out its backoff and a tick.
                assertThat(Duration.between(restarts.get(i - 1), restarts.get(i)))
                        .isGreaterThan(Duration.ofSeconds(30)).isLessThan(Duration.ofMinutes(2));
            }
            assertThat(harness.runtime("broken").calls()).filteredOn(RuntimeOperation.RESTART::equals).hasSize(5);
        }
    }

    @Test
    void aCheckThatNeverAnswersTimesOutAfterItsTimeoutOnTheVirtualClock() {
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("silent", Verdict.NEVER)
                .failureThreshold(1))) {
            Instant start = harness.now();

            StateChanged down = harness.advanceUntilState("silent", ServiceState.UNHEALTHY, Duration.ofMinutes(1));

            assertThat(down.cause()).contains("no verdict within 5000ms");
            CheckCompleted timedOut = harness.events(CheckCompleted.class).get(0);
            assertThat(timedOut.result().failureReason()).contains(FailureReason.TIMEOUT);
            // The engine's deadline: the timeout and its slack (a tenth), from the first tick.
            assertThat(Duration.between(start, timedOut.at())).isBetween(Duration.ofMillis(5_500),
                    Duration.ofMillis(5_502));
        }
    }

    @Test
    void aRuntimeThatBlocksInStartIsGivenUpOnAtItsOperationTimeoutOnTheVirtualClock() {
        StuckRuntimeFactory.block();
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("stuck", Verdict.HEALTHY)
                .runtime("stuck", Map.of()))) {
            try {
                Instant start = harness.now();

                StateChanged down = harness.advanceUntilState("stuck", ServiceState.UNHEALTHY, Duration.ofMinutes(5));

                // The SPI's default operation timeout, two minutes, passed on the virtual clock while the plugin's
                // thread stayed blocked for real.
                assertThat(down.cause()).isEqualTo("could not start the workload: did not start within 120s");
                assertThat(Duration.between(start, down.at())).isBetween(Duration.ofSeconds(120),
                        Duration.ofMillis(120_001));
            } finally {
                StuckRuntimeFactory.release();
            }
        }
    }

    @Test
    void advanceUntilSaysWhatCameInsteadWhenItsEventNeverComes() {
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("fine", Verdict.HEALTHY))) {
            assertThatThrownBy(() -> harness.advanceUntilState("fine", ServiceState.UNHEALTHY, Duration.ofMinutes(2)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageStartingWith("no matching StateChanged within PT2M of virtual time;")
                    .hasMessageContaining("to=HEALTHY");
            assertThat(harness.now()).isAfterOrEqualTo(harness.events(StateChanged.class).get(0).at()
                    .plus(Duration.ofSeconds(119)));
        }
    }

    @Test
    void timeDoesNotGoBack() {
        try (EngineHarness harness = EngineHarness.startInVirtualTime(service("forward", Verdict.HEALTHY))) {
            Instant now = harness.now();

            assertThatThrownBy(() -> harness.advance(Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("time does not go back: PT-1S");
            assertThatThrownBy(() -> harness.advanceUntilState("forward", ServiceState.HEALTHY, Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(harness.now()).isEqualTo(now);
        }
    }

    @Test
    void aHarnessOnRealTimeRefusesToMoveTime() {
        try (EngineHarness harness = EngineHarness.start(service("real", Verdict.HEALTHY))) {
            assertThatThrownBy(() -> harness.advance(Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("startInVirtualTime");
        }
    }
}
