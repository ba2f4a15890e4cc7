package io.aegis.core.internal.recovery;

import static io.aegis.core.ServiceState.DEGRADED;
import static io.aegis.core.ServiceState.FLAPPING;
import static io.aegis.core.ServiceState.HEALTHY;
import static io.aegis.core.ServiceState.RECOVERING;
import static io.aegis.core.ServiceState.UNHEALTHY;
import static io.aegis.core.internal.recovery.FlapDetector.Transition.NONE;
import static io.aegis.core.internal.recovery.FlapDetector.Transition.STARTED;
import static io.aegis.core.internal.recovery.FlapDetector.Transition.STOPPED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.core.FlappingPolicy;
import io.aegis.core.event.StateChanged;
import io.aegis.core.internal.recovery.FlapDetector.Transition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** All in virtual time: plain instants, no clock, no waiting. */
class FlapDetectorTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration WINDOW = Duration.ofMinutes(10);

    /** threshold 3 within 10m: the 4th change within 10 minutes is flapping. */
    private final FlapDetector detector = new FlapDetector(FlappingPolicy.of(3, WINDOW));

    private static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }

    private Transition change(long seconds) {
        return detector.record(at(seconds));
    }

    @Test
    void doesNotFlapAtExactlyTheThreshold() {
        assertThat(List.of(change(0), change(60), change(120))).containsOnly(NONE);

        assertThat(detector.isFlapping()).isFalse();
        assertThat(detector.calmAt()).isEmpty();
        assertThat(detector.changesWithin(at(120))).isEqualTo(3);
    }

    @Test
    void startsFlappingAtTheFirstChangeBeyondTheThresholdWithinTheWindow() {
        change(0);
        change(60);
        change(120);

        assertThat(change(180)).isEqualTo(STARTED);
        assertThat(detector.isFlapping()).isTrue();
        assertThat(detector.calmAt()).contains(at(180).plus(WINDOW));
    }

    @Test
    void reportsStartedOnceHoweverManyMoreFlapsFollow() {
        List<Transition> results = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            results.add(change(i * 5L));
        }

        assertThat(results).filteredOn(result -> result != NONE).containsExactly(STARTED);
        assertThat(results.indexOf(STARTED)).as("the 4th change").isEqualTo(3);
    }

    @Test
    void changesSpreadWiderThanTheWindowNeverFlap() {
        // one change every 4 minutes: at most 3 of them within any 10 minutes
        for (int i = 0; i < 50; i++) {
            assertThat(change(i * 240L)).as("change %d", i).isEqualTo(NONE);
        }
        assertThat(detector.isFlapping()).isFalse();
    }

    @Test
    void aChangeExactlyOneWindowAgoNoLongerCounts() {
        change(0);
        change(300);
        change(400);

        assertThat(change(600)).as("the change at 0 is exactly 10m before: out of the window (t - W, t]")
                .isEqualTo(NONE);
        assertThat(change(600 + 299)).as("4 changes within (299s, 899s]").isEqualTo(STARTED);
    }

    @Test
    void aChangeOneNanosecondInsideTheWindowStillCounts() {
        detector.record(T0);
        change(300);
        change(400);

        assertThat(detector.record(T0.plus(WINDOW).minusNanos(1))).isEqualTo(STARTED);
    }

    @Test
    void staysFlappingWhileChangesKeepComingEvenIfFewerThanTheThreshold() {
        flapAt(0);
        // one change every 9 minutes is far below the threshold, but never a whole calm window
        for (int i = 1; i <= 10; i++) {
            long second = 30 + i * 540L;
            assertThat(detector.tick(at(second - 1))).isEqualTo(NONE);
            assertThat(change(second)).isEqualTo(NONE);
        }
        assertThat(detector.isFlapping()).as("hysteresis: leaving needs a whole window without change").isTrue();
    }

    @Test
    void stopsFlappingAfterAWholeCalmWindowSinceTheLastChange() {
        flapAt(0); // last change at 30s

        assertThat(detector.tick(at(30).plus(WINDOW).minusNanos(1))).isEqualTo(NONE);
        assertThat(detector.isFlapping()).isTrue();
        assertThat(detector.tick(at(30).plus(WINDOW))).isEqualTo(STOPPED);
        assertThat(detector.isFlapping()).isFalse();
        assertThat(detector.calmAt()).isEmpty();
    }

    @Test
    void reportsStoppedOnce() {
        flapAt(0);

        assertThat(detector.tick(at(30).plus(WINDOW))).isEqualTo(STOPPED);
        assertThat(detector.tick(at(30).plus(WINDOW).plusSeconds(1))).isEqualTo(NONE);
        assertThat(detector.tick(at(30).plus(WINDOW.multipliedBy(5)))).isEqualTo(NONE);
    }

    @Test
    void eachChangeWhileFlappingPushesTheEndBack() {
        flapAt(0);
        change(500);

        assertThat(detector.calmAt()).contains(at(500).plus(WINDOW));
        assertThat(detector.tick(at(30).plus(WINDOW))).as("calm since 30s no longer: a change came at 500s")
                .isEqualTo(NONE);
        assertThat(detector.tick(at(500).plus(WINDOW))).isEqualTo(STOPPED);
    }

    @Test
    void aChangeAfterACalmWindowThatNobodyTickedForEndsFlappingAndStartsAFreshCount() {
        flapAt(0);

        assertThat(change(30 + WINDOW.toSeconds() + 60)).isEqualTo(STOPPED);
        assertThat(detector.isFlapping()).isFalse();
        assertThat(detector.changesWithin(at(30 + WINDOW.toSeconds() + 60))).isEqualTo(1);
    }

    @Test
    void needsAWholeNewBurstToFlapAgainAfterStopping() {
        flapAt(0);
        long calm = 30 + WINDOW.toSeconds();
        assertThat(detector.tick(at(calm))).isEqualTo(STOPPED);

        assertThat(List.of(change(calm + 1), change(calm + 2), change(calm + 3))).containsOnly(NONE);
        assertThat(change(calm + 4)).isEqualTo(STARTED);
    }

    @Test
    void thresholdOneFlapsAtTheSecondChangeWithinTheWindow() {
        FlapDetector strict = new FlapDetector(FlappingPolicy.of(1, Duration.ofSeconds(30)));

        assertThat(strict.record(T0)).isEqualTo(NONE);
        assertThat(strict.record(T0.plusSeconds(29))).isEqualTo(STARTED);
        assertThat(strict.tick(T0.plusSeconds(59))).isEqualTo(STOPPED);
    }

    @Test
    void ignoresChangesIntoOrOutOfFlappingAndNonChanges() {
        FlapDetector fed = new FlapDetector(FlappingPolicy.of(1, WINDOW));

        assertThat(fed.onStateChange(HEALTHY, FLAPPING, T0)).isEqualTo(NONE);
        assertThat(fed.onStateChange(FLAPPING, UNHEALTHY, T0.plusSeconds(1))).isEqualTo(NONE);
        assertThat(fed.onStateChange(HEALTHY, HEALTHY, T0.plusSeconds(2))).isEqualTo(NONE);
        assertThat(fed.changesWithin(T0.plusSeconds(2))).isZero();

        assertThat(fed.onStateChange(HEALTHY, UNHEALTHY, T0.plusSeconds(3))).isEqualTo(NONE);
        assertThat(fed.onStateChange(UNHEALTHY, RECOVERING, T0.plusSeconds(4))).isEqualTo(STARTED);
    }

    @Test
    void takesPublishedEventsToo() {
        FlapDetector fed = new FlapDetector(FlappingPolicy.of(1, WINDOW));

        assertThat(fed.onStateChange(new StateChanged("api", T0, HEALTHY, UNHEALTHY, "down"))).isEqualTo(NONE);
        assertThat(fed.onStateChange(new StateChanged("api", T0.plusSeconds(1), UNHEALTHY, FLAPPING, "flapping")))
                .isEqualTo(NONE);
        assertThat(fed.onStateChange(new StateChanged("api", T0.plusSeconds(2), UNHEALTHY, HEALTHY, "up")))
                .isEqualTo(STARTED);
    }

    @Test
    void countsEveryOtherKindOfChange() {
        FlapDetector fed = new FlapDetector(FlappingPolicy.of(2, WINDOW));

        fed.onStateChange(HEALTHY, DEGRADED, T0);
        fed.onStateChange(DEGRADED, HEALTHY, T0.plusSeconds(1));

        assertThat(fed.onStateChange(HEALTHY, DEGRADED, T0.plusSeconds(2))).isEqualTo(STARTED);
    }

    @Test
    void aClockSteppedBackIsTakenAsTheLastInstantSeen() {
        change(600);
        change(601);
        change(602);

        assertThat(change(0)).as("counted at 602s, inside the window").isEqualTo(STARTED);
        assertThat(detector.calmAt()).contains(at(602).plus(WINDOW));
        assertThat(detector.tick(at(0).plus(WINDOW))).as("earlier than the last change: no time passed")
                .isEqualTo(NONE);
    }

    @Test
    void manyChangesAtTheSameInstantCountEach() {
        change(5);
        change(5);
        change(5);

        assertThat(change(5)).isEqualTo(STARTED);
    }

    @Test
    void keepsAtMostThresholdPlusOneInstants() {
        for (int i = 0; i < 10_000; i++) {
            change(i);
        }

        assertThat(detector.changesWithin(at(10_000))).isEqualTo(4);
    }

    @Test
    void policyRejectsValuesThatCannotWorkNamingTheField() {
        assertThatThrownBy(() -> FlappingPolicy.of(0, WINDOW)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("flapping.threshold must be at least 1, got 0");
        assertThatThrownBy(() -> FlappingPolicy.of(3, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("flapping.window must be at least 1ms, got PT0S");
        assertThatThrownBy(() -> FlappingPolicy.of(3, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("flapping.window");
        assertThat(FlappingPolicy.of(3, WINDOW)).isEqualTo(new FlappingPolicy(3, WINDOW));
    }

    /** Makes the detector flap with 4 changes at {@code start} .. {@code start + 30s}. */
    private void flapAt(long start) {
        change(start);
        change(start + 10);
        change(start + 20);
        assertThat(change(start + 30)).isEqualTo(STARTED);
    }
}
