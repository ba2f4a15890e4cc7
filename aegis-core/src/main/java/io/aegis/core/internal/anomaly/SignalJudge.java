package io.aegis.core.internal.anomaly;

import io.aegis.api.Durations;
import java.time.Duration;
import java.time.Instant;

/**
 * Judges one signal of one service at each evaluation: against its static threshold and its learned baseline, with
 * hysteresis, so a value hovering at the line does not flap. An anomaly begins after {@code for} evaluations in a row
 * out of bounds and ends once the value has stayed within bounds for {@code resolveAfter} (counted from the start of
 * the first evaluation within bounds), or once no value at all was measured for {@code resolveAfter} (as a
 * Prometheus alert ends when its series goes away: a source that stopped answering must not hold the service
 * DEGRADED on old evidence).
 *
 * <p>The baseline does not learn while the signal is out of bounds, anomalous, or within {@code for} evaluations of a
 * value out of bounds: it would learn the anomaly as the new normal and end it. A baseline anomaly that lasts
 * {@code relearnAfter} is taken for a new normal instead (a service that grew, a slower release kept on purpose):
 * the baseline starts learning afresh and the anomaly ends as if within bounds. A static threshold never relearns.
 * Not thread-safe: the detector's one thread owns it.
 */
public final class SignalJudge {
    /** What an evaluation changed. */
    public enum Change {
        NONE,
        /** The anomaly begins. */
        BEGAN,
        /** The anomaly ended: the value is back within bounds, or nothing was measured for resolveAfter. */
        ENDED
    }

    /** Whether a value is out of bounds, and by which method. */
    public record Judgement(boolean out, String method, double lower, double upper) {
    }

    /** How much nearer its normal a value must be to end an anomaly than to begin one: 10% of the threshold. */
    static final double CLEAR_MARGIN = 0.1;

    private final Signal signal;
    /** The static threshold, or NaN for none. */
    private final double threshold;
    /** The learned baseline, or null when baselines are off. */
    private final Baseline baseline;
    private final double sensitivity;
    private final int forEvaluations;
    private final Duration resolveAfter;
    private final Duration interval;
    /** Evaluations of a baseline anomaly after which its level is learned as the new normal. */
    private final long relearnEvaluations;

    private int outInARow;
    /** Evaluations within bounds since the last one out of bounds (large when there was none). */
    private int withinSinceOut = Integer.MAX_VALUE / 2;
    private Instant withinSince;
    private Instant unmeasuredSince;
    private boolean anomalous;
    private long anomalousEvaluations;
    private String endedBecause = "";
    private double lastValue = Double.NaN;
    private Judgement lastJudgement;
    private long anomalies;

    /**
     * The judge of {@code signal} as {@code config} says (a baseline when {@code config.baselines()}), with the static
     * {@code threshold} (NaN for none).
     */
    public static SignalJudge of(Signal signal, double threshold, AnomalyConfig config) {
        Baseline baseline = config.baselines() ? new Baseline(config.historySize(), config.warmUp(),
                signal.minimumSpread()) : null;
        return new SignalJudge(signal, threshold, baseline, config.sensitivity(), config.forEvaluations(),
                config.resolveAfter(), config.detectionInterval(), config.relearnAfter());
    }

    SignalJudge(Signal signal, double threshold, Baseline baseline, double sensitivity, int forEvaluations,
            Duration resolveAfter, Duration interval, Duration relearnAfter) {
        this.signal = signal;
        this.threshold = threshold;
        this.baseline = baseline;
        this.sensitivity = sensitivity;
        this.forEvaluations = forEvaluations;
        this.resolveAfter = resolveAfter;
        this.interval = interval;
        this.relearnEvaluations = Math.max(1, relearnAfter.toMillis() / Math.max(1, interval.toMillis()));
        this.lastJudgement = judge(Double.NaN);
    }

    /** Judges {@code value}, measured over the evaluation that ends at {@code now}. */
    public Change evaluate(double value, Instant now) {
        unmeasuredSince = null;
        Judgement judgement = judge(value);
        lastValue = value;
        lastJudgement = judgement;
        if (anomalous) {
            anomalousEvaluations++;
            if (judgement.out() && judgement.method().equals("baseline") && anomalousEvaluations >= relearnEvaluations) {
                // Lasted relearnAfter: a new normal, not an incident. Learned afresh from here, the value is judged by
                // the threshold alone meanwhile, and the anomaly ends once within that for resolveAfter.
                baseline.reset();
                judgement = judge(value);
                lastJudgement = judgement;
                endedBecause = "it lasted " + Durations.format(interval.multipliedBy(anomalousEvaluations))
                        + "; its level is learned as the new normal";
            }
        }
        if (judgement.out()) {
            withinSince = null;
            outInARow++;
            withinSinceOut = 0;
            if (!anomalous && outInARow >= forEvaluations) {
                anomalous = true;
                anomalousEvaluations = 0;
                endedBecause = "";
                anomalies++;
                return Change.BEGAN;
            }
            return Change.NONE;
        }
        outInARow = 0;
        if (withinSinceOut < Integer.MAX_VALUE) {
            withinSinceOut++;
        }
        // Not learned just after a value out of bounds either: a moderate step puts some values inside the band, and
        // learning those widened the band until it took the step in (a 40% rise went unnoticed in 8% of trials).
        if (baseline != null && !anomalous && withinSinceOut > forEvaluations) {
            baseline.add(value);
        }
        if (!anomalous) {
            return Change.NONE;
        }
        if (withinSince == null) {
            withinSince = now.minus(interval); // the value was measured over the interval that ends now
        }
        if (!now.isBefore(withinSince.plus(resolveAfter))) {
            return end(endedBecause.isEmpty() ? "within its expected range for " + Durations.format(resolveAfter)
                    : endedBecause);
        }
        return Change.NONE;
    }

    /**
     * Nothing was measured in the evaluation that ends at {@code now} (no check ended, the scrape failed, the query
     * found no series): nothing is judged or learned, but an anomaly with nothing measured for resolveAfter ends.
     */
    public Change unmeasured(Instant now) {
        if (!anomalous) {
            return Change.NONE;
        }
        if (unmeasuredSince == null) {
            unmeasuredSince = now.minus(interval);
        }
        if (!now.isBefore(unmeasuredSince.plus(resolveAfter))) {
            return end("nothing measured for " + Durations.format(resolveAfter));
        }
        return Change.NONE;
    }

    private Change end(String because) {
        anomalous = false;
        withinSince = null;
        unmeasuredSince = null;
        outInARow = 0;
        endedBecause = because;
        return Change.ENDED;
    }

    /** Why the last anomaly ended, in words: {@code within its expected range for 1m30s}. */
    public String endedBecause() {
        return endedBecause;
    }

    private Judgement judge(double value) {
        // While anomalous, the way back is narrower than the way in (a Schmitt trigger): a value hovering at the line
        // stays anomalous instead of ending and beginning again at every streak (hostile M2: 7 alerts in 3.5 min).
        double effectiveThreshold = Double.isNaN(threshold) || !anomalous ? threshold
                : signal == Signal.THROUGHPUT ? threshold * (1 + CLEAR_MARGIN) : threshold * (1 - CLEAR_MARGIN);
        double effectiveSensitivity = anomalous ? sensitivity * (1 - CLEAR_MARGIN) : sensitivity;
        boolean hasThreshold = !Double.isNaN(effectiveThreshold);
        boolean judgedByBaseline = baseline != null && baseline.warm();
        double lower = judgedByBaseline && signal.downIsAnomalous() ? baseline.lower(effectiveSensitivity)
                : signal == Signal.THROUGHPUT && hasThreshold ? effectiveThreshold : Double.NEGATIVE_INFINITY;
        double upper = judgedByBaseline && signal.upIsAnomalous() ? baseline.upper(effectiveSensitivity)
                : Double.POSITIVE_INFINITY;
        if (hasThreshold && signal != Signal.THROUGHPUT) {
            upper = judgedByBaseline ? Math.min(upper, effectiveThreshold) : effectiveThreshold;
        } else if (hasThreshold) {
            lower = judgedByBaseline ? Math.max(lower, effectiveThreshold) : effectiveThreshold;
        }
        // every signal is at least 0, an error rate at most 1: a band beyond those says nothing
        lower = Math.max(lower, 0);
        if (signal == Signal.ERROR_RATE) {
            upper = Math.min(upper, 1);
        }
        if (Double.isNaN(value)) {
            return new Judgement(false, "", lower, upper);
        }
        if (hasThreshold && signal.breaks(value, effectiveThreshold)) {
            return new Judgement(true, "threshold", lower, upper);
        }
        if (judgedByBaseline && ((signal.upIsAnomalous() && value > baseline.upper(effectiveSensitivity))
                || (signal.downIsAnomalous() && value < baseline.lower(effectiveSensitivity)))) {
            return new Judgement(true, "baseline", lower, upper);
        }
        return new Judgement(false, "", lower, upper);
    }

    public Signal signal() {
        return signal;
    }

    /** The static threshold, or NaN for none. */
    public double threshold() {
        return threshold;
    }

    public boolean anomalous() {
        return anomalous;
    }

    /** The last value judged; NaN before the first. */
    public double lastValue() {
        return lastValue;
    }

    /** The bounds and method of the last evaluation. */
    public Judgement lastJudgement() {
        return lastJudgement;
    }

    /** How many anomalies began. */
    public long anomalies() {
        return anomalies;
    }

    /** The baseline's mean, or NaN while there is none (off, or still warming up). */
    public double baselineMean() {
        return baseline != null && baseline.warm() ? baseline.mean() : Double.NaN;
    }

    /** The baseline's lower bound, or NaN while there is none. */
    public double baselineLower() {
        return baseline != null && baseline.warm() ? baseline.lower(sensitivity) : Double.NaN;
    }

    /** The baseline's upper bound, or NaN while there is none. */
    public double baselineUpper() {
        return baseline != null && baseline.warm() ? baseline.upper(sensitivity) : Double.NaN;
    }
}
