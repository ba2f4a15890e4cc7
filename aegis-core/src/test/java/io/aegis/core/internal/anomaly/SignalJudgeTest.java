package io.aegis.core.internal.anomaly;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One signal's judge on deterministic synthetic series (seeded noise, evaluation times counted, not waited for): what
 * it detects, how fast, and what it leaves alone.
 */
class SignalJudgeTest {
    private static final Duration INTERVAL = Duration.ofSeconds(30);
    private static final Instant T0 = Instant.parse("2026-12-02T00:00:00Z");

    private Instant now = T0;

    private SignalJudge baselineJudge(Signal signal, int forEvaluations, Duration resolveAfter) {
        return new SignalJudge(signal, Double.NaN, new Baseline(AnomalyConfig.DEFAULT_HISTORY_SIZE,
                AnomalyConfig.DEFAULT_WARM_UP, signal.minimumSpread()), AnomalyConfig.DEFAULT_SENSITIVITY,
                forEvaluations, resolveAfter, INTERVAL, Duration.ofDays(1));
    }

    private SignalJudge.Change next(SignalJudge judge, double value) {
        now = now.plus(INTERVAL);
        return judge.evaluate(value, now);
    }

    @Test
    void aStepChangeInLatencyIsDetectedAtTheThirdEvaluationAfterIt() {
        Random random = new Random(42);
        SignalJudge judge = baselineJudge(Signal.LATENCY, 3, INTERVAL.multipliedBy(3));
        for (int i = 0; i < 200; i++) {
            assertThat(next(judge, 100 + 10 * random.nextGaussian())).isEqualTo(SignalJudge.Change.NONE);
        }

        List<SignalJudge.Change> afterStep = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            afterStep.add(next(judge, 200 + 10 * random.nextGaussian()));
        }

        assertThat(afterStep).containsExactly(SignalJudge.Change.NONE, SignalJudge.Change.NONE,
                SignalJudge.Change.BEGAN);
        assertThat(judge.lastJudgement().method()).isEqualTo("baseline");
        assertThat(judge.lastJudgement().upper()).isBetween(110.0, 160.0);
    }

    @Test
    void aModerateStepIsNotLearnedAsTheNewNormalBeforeItIsDetected() {
        int detected = 0;
        for (int seed = 0; seed < 200; seed++) {
            Random random = new Random(seed);
            SignalJudge judge = baselineJudge(Signal.LATENCY, 3, INTERVAL.multipliedBy(3));
            for (int i = 0; i < 200; i++) {
                next(judge, 100 + 10 * random.nextGaussian());
            }
            // +40%: about a quarter of the values fall inside the old band; learning them widened it until the step
            // was taken in (8% of such steps went unnoticed before values near an excursion were no longer learned)
            for (int i = 0; i < 100 && !judge.anomalous(); i++) {
                next(judge, 140 + 14 * random.nextGaussian());
            }
            if (judge.anomalous()) {
                detected++;
            }
        }

        assertThat(detected).as("steps detected of 200").isGreaterThanOrEqualTo(197);
    }

    @Test
    void steadyNoiseRaisesNoAnomalyOverTenThousandSamplesWithTheDefaultSensitivity() {
        Random random = new Random(7);
        SignalJudge judge = baselineJudge(Signal.LATENCY, AnomalyConfig.DEFAULT_FOR, INTERVAL.multipliedBy(3));
        int outOfBounds = 0;
        for (int i = 0; i < 10_000; i++) {
            next(judge, 100 + 10 * random.nextGaussian());
            if (judge.lastJudgement().out()) {
                outOfBounds++;
            }
        }

        assertThat(judge.anomalies()).as("anomalies in 10,000 samples of steady noise").isZero();
        // a single evaluation beyond 3 sigma happens (about 0.1% one-sided); `for: 3` keeps it from being an anomaly
        assertThat(outOfBounds).as("evaluations out of bounds").isLessThan(50);
    }

    @Test
    void aThroughputDropToZeroIsCaughtAndASuddenRiseToo() {
        Random random = new Random(1);
        SignalJudge judge = baselineJudge(Signal.THROUGHPUT, 2, INTERVAL);
        for (int i = 0; i < 50; i++) {
            next(judge, 40 + 2 * random.nextGaussian());
        }

        assertThat(List.of(next(judge, 0), next(judge, 0))).containsExactly(SignalJudge.Change.NONE,
                SignalJudge.Change.BEGAN);
        assertThat(judge.lastJudgement().lower()).isGreaterThan(20);
        assertThat(next(judge, 40)).as("within for resolveAfter, one interval").isEqualTo(SignalJudge.Change.ENDED);

        assertThat(List.of(next(judge, 400), next(judge, 400))).containsExactly(SignalJudge.Change.NONE,
                SignalJudge.Change.BEGAN);
    }

    @Test
    void aValueHoveringAtTheLineDoesNotFlap() {
        SignalJudge judge = new SignalJudge(Signal.LATENCY, 500, null, 3, 3, INTERVAL.multipliedBy(2), INTERVAL,
                Duration.ofDays(1));
        List<SignalJudge.Change> changes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            changes.add(next(judge, i % 2 == 0 ? 499 : 501)); // never three in a row above it
        }

        assertThat(changes).containsOnly(SignalJudge.Change.NONE);
        assertThat(judge.anomalies()).isZero();
    }

    @Test
    void aValueHoveringJustUnderTheLineOnceAnomalousDoesNotEndAndBeginAgain() {
        SignalJudge judge = new SignalJudge(Signal.LATENCY, 100, null, 3, 3, INTERVAL.multipliedBy(3), INTERVAL,
                Duration.ofDays(1));
        Random random = new Random(5);
        List<SignalJudge.Change> changes = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            changes.add(next(judge, 100 + 8 * random.nextGaussian())); // ~90-110 ms around a 100 ms threshold
        }

        // ending needs three evaluations under 90 ms (10% below the line): rare, so it stays one incident
        assertThat(judge.anomalies()).as("anomalies in 400 evaluations hovering at the line").isLessThanOrEqualTo(2);
        assertThat(changes.stream().filter(change -> change == SignalJudge.Change.ENDED).count()).isLessThanOrEqualTo(1);
    }

    @Test
    void anAnomalyEndsOnlyAfterResolveAfterWithinBoundsAndAnExcursionStartsThatOver() {
        SignalJudge judge = new SignalJudge(Signal.ERROR_RATE, 0.05, null, 3, 1, INTERVAL.multipliedBy(2), INTERVAL,
                Duration.ofDays(1));
        assertThat(next(judge, 0.5)).isEqualTo(SignalJudge.Change.BEGAN);

        assertThat(next(judge, 0.0)).isEqualTo(SignalJudge.Change.NONE); // within for 1 interval
        assertThat(next(judge, 0.2)).as("out again: no new anomaly, the count starts over")
                .isEqualTo(SignalJudge.Change.NONE);
        assertThat(next(judge, 0.0)).isEqualTo(SignalJudge.Change.NONE); // 1
        assertThat(next(judge, 0.0)).as("within for 2 intervals: two evaluations, not three")
                .isEqualTo(SignalJudge.Change.ENDED);

        assertThat(judge.anomalies()).isEqualTo(1);
        assertThat(judge.anomalous()).isFalse();
        assertThat(judge.endedBecause()).isEqualTo("within its expected range for 1m");
    }

    @Test
    void anAnomalyWithNothingMeasuredForResolveAfterEndsAsAPrometheusAlertWhoseSeriesWentAway() {
        SignalJudge judge = new SignalJudge(Signal.THROUGHPUT, 10, null, 3, 1, INTERVAL.multipliedBy(2), INTERVAL,
                Duration.ofDays(1));
        assertThat(next(judge, 0)).isEqualTo(SignalJudge.Change.BEGAN);

        now = now.plus(INTERVAL);
        assertThat(judge.unmeasured(now)).isEqualTo(SignalJudge.Change.NONE);
        now = now.plus(INTERVAL);
        assertThat(judge.unmeasured(now)).isEqualTo(SignalJudge.Change.ENDED);
        assertThat(judge.endedBecause()).isEqualTo("nothing measured for 1m");
        now = now.plus(INTERVAL);
        assertThat(judge.unmeasured(now)).as("nothing more to end").isEqualTo(SignalJudge.Change.NONE);
    }

    @Test
    void aBaselineAnomalyThatLastsRelearnAfterIsLearnedAsTheNewNormal() {
        Random random = new Random(11);
        SignalJudge judge = new SignalJudge(Signal.THROUGHPUT, Double.NaN, new Baseline(100, 10, 0.5), 3, 3,
                INTERVAL.multipliedBy(3), INTERVAL, INTERVAL.multipliedBy(20));
        for (int i = 0; i < 100; i++) {
            next(judge, 50 + 2 * random.nextGaussian());
        }

        List<SignalJudge.Change> changes = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            changes.add(next(judge, 100 + 4 * random.nextGaussian())); // the service grew: twice the traffic
        }

        assertThat(changes).containsSubsequence(SignalJudge.Change.BEGAN, SignalJudge.Change.ENDED);
        assertThat(changes.indexOf(SignalJudge.Change.ENDED) - changes.indexOf(SignalJudge.Change.BEGAN))
                .as("evaluations from the start of the anomaly to its end").isBetween(20, 25);
        assertThat(judge.endedBecause()).startsWith("it lasted 10m").endsWith("learned as the new normal");
        assertThat(judge.anomalies()).as("not raised again at the new level").isEqualTo(1);
        assertThat(judge.baselineMean()).isBetween(90.0, 110.0);
    }

    @Test
    void aFarOffFirstSampleDoesNotWidenTheLearnedBand() {
        SignalJudge judge = baselineJudge(Signal.LATENCY, 3, INTERVAL.multipliedBy(3));
        Random random = new Random(2);
        next(judge, 2_000); // a cold first check
        for (int i = 1; i < AnomalyConfig.DEFAULT_WARM_UP; i++) {
            next(judge, 10 + random.nextGaussian());
        }

        assertThat(judge.baselineUpper()).as("the band after warm-up").isLessThan(20);
        assertThat(judge.lastJudgement().lower()).as("never below zero").isGreaterThanOrEqualTo(0);
    }

    @Test
    void staticThresholdsWorkAsTheSeedWritesThemThroughputBelowLatencyAbove() {
        SignalJudge latency = new SignalJudge(Signal.LATENCY, 500, null, 3, 1, INTERVAL, INTERVAL, Duration.ofDays(1));
        SignalJudge throughput = new SignalJudge(Signal.THROUGHPUT, 10, null, 3, 1, INTERVAL, INTERVAL,
                Duration.ofDays(1));

        assertThat(next(latency, 499)).isEqualTo(SignalJudge.Change.NONE);
        assertThat(next(latency, 501)).isEqualTo(SignalJudge.Change.BEGAN);
        assertThat(latency.lastJudgement().method()).isEqualTo("threshold");
        assertThat(latency.lastJudgement().upper()).isEqualTo(500);

        assertThat(next(throughput, 11)).isEqualTo(SignalJudge.Change.NONE);
        assertThat(next(throughput, 9)).isEqualTo(SignalJudge.Change.BEGAN);
        assertThat(throughput.lastJudgement().lower()).isEqualTo(10);
    }

    @Test
    void theBaselineLearnsNothingWhileTheSignalIsOutOfBoundsSoAnAnomalyDoesNotBecomeTheNormal() {
        Random random = new Random(3);
        SignalJudge judge = baselineJudge(Signal.LATENCY, 1, INTERVAL.multipliedBy(1000));
        for (int i = 0; i < 100; i++) {
            next(judge, 100 + 5 * random.nextGaussian());
        }
        double meanBefore = judge.baselineMean();

        for (int i = 0; i < 500; i++) {
            next(judge, 300);
        }

        assertThat(judge.anomalous()).isTrue();
        assertThat(judge.baselineMean()).isEqualTo(meanBefore);
    }

    @Test
    void aBaselineJudgesNothingDuringItsWarmUp() {
        SignalJudge judge = baselineJudge(Signal.LATENCY, 1, INTERVAL);
        for (int i = 0; i < AnomalyConfig.DEFAULT_WARM_UP - 1; i++) {
            next(judge, i % 2 == 0 ? 10 : 1000);
        }

        assertThat(judge.anomalies()).isZero();
        assertThat(judge.baselineMean()).isNaN();
    }
}
