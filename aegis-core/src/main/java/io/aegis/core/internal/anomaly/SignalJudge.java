package io.aegis.core.internal.anomaly;

import java.time.Duration;
import java.time.Instant;

/**
 * Judges one signal of one service at each evaluation: against its static threshold and its learned baseline, with
 * hysteresis, so a value hovering at the line does not flap. An anomaly begins after {@code for} evaluations in a row
 * out of bounds and ends once the value has stayed within bounds for {@code resolveAfter}. The baseline does not
 * learn while the signal is out of bounds, anomalous, or within {@code for} evaluations of a value out of bounds: it
 * would learn the anomaly as the new normal and end it.
 * Not thread-safe: the detector's one thread owns it.
 */
public final class SignalJudge {
    /** What an evaluation changed. */
    public enum Change {
        NONE,
        /** The anomaly begins. */
        BEGAN,
        /** The anomaly ended. */
        ENDED
    }

    /** Whether a value is out of bounds, and by which method. */
    public record Judgement(boolean out, String method, double lower, double upper) {
    }

    private final Signal signal;
    /** The static threshold, or NaN for none. */
    private final double threshold;
    /** The learned baseline, or null when baselines are off. */
    private final Baseline baseline;
    private final double sensitivity;
    private final int forEvaluations;
    private final Duration resolveAfter;

    private int outInARow;
    /** Evaluations within bounds since the last one out of bounds (large when there was none). */
    private int withinSinceOut = Integer.MAX_VALUE / 2;
    private Instant withinSince;
    private boolean anomalous;
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
                config.resolveAfter());
    }

    SignalJudge(Signal signal, double threshold, Baseline baseline, double sensitivity, int forEvaluations,
            Duration resolveAfter) {
        this.signal = signal;
        this.threshold = threshold;
        this.baseline = baseline;
        this.sensitivity = sensitivity;
        this.forEvaluations = forEvaluations;
        this.resolveAfter = resolveAfter;
        this.lastJudgement = judge(Double.NaN);
    }

    /** Judges {@code value}, measured over the evaluation that ends at {@code now}. */
    public Change evaluate(double value, Instant now) {
        Judgement judgement = judge(value);
        lastValue = value;
        lastJudgement = judgement;
        if (judgement.out()) {
            withinSince = null;
            outInARow++;
            withinSinceOut = 0;
            if (!anomalous && outInARow >= forEvaluations) {
                anomalous = true;
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
            withinSince = now;
        }
        if (!now.isBefore(withinSince.plus(resolveAfter))) {
            anomalous = false;
            withinSince = null;
            return Change.ENDED;
        }
        return Change.NONE;
    }

    private Judgement judge(double value) {
        boolean hasThreshold = !Double.isNaN(threshold);
        boolean judgedByBaseline = baseline != null && baseline.warm();
        double lower = judgedByBaseline && signal.downIsAnomalous() ? baseline.lower(sensitivity)
                : signal == Signal.THROUGHPUT && hasThreshold ? threshold : Double.NEGATIVE_INFINITY;
        double upper = judgedByBaseline && signal.upIsAnomalous() ? baseline.upper(sensitivity)
                : Double.POSITIVE_INFINITY;
        if (hasThreshold && signal != Signal.THROUGHPUT) {
            upper = judgedByBaseline ? Math.min(upper, threshold) : threshold;
        } else if (hasThreshold) {
            lower = judgedByBaseline ? Math.max(lower, threshold) : threshold;
        }
        if (Double.isNaN(value)) {
            return new Judgement(false, "", lower, upper);
        }
        if (hasThreshold && signal.breaks(value, threshold)) {
            return new Judgement(true, "threshold", lower, upper);
        }
        if (judgedByBaseline && ((signal.upIsAnomalous() && value > baseline.upper(sensitivity))
                || (signal.downIsAnomalous() && value < baseline.lower(sensitivity)))) {
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
