package io.aegis.core.internal.anomaly;

/**
 * A learned baseline of one signal: an exponentially weighted mean and variance (West's incremental form), so its
 * memory is bounded and old behaviour fades. The weight of a new sample is {@code 2 / (historySize + 1)}, the
 * usual span-to-alpha mapping (an EWMA over a span of {@code historySize} samples); during warm-up it is at least
 * {@code 1 / n}, so the first samples give their plain mean and variance instead of hanging on the first one.
 *
 * <p>Why EWMA over a rolling median and MAD: it is O(1) in time and memory per sample (thousands of services times
 * three signals), it follows a slow drift (a daily load curve) without a window to re-sort, and with the
 * hysteresis of {@link SignalJudge} (several evaluations in a row out of bounds) the outliers that make a mean
 * fragile do not raise anything on their own. The band is {@code mean ± sensitivity × spread}, the spread never
 * narrower than the signal's {@link Signal#minimumSpread} or 5% of the mean. Not thread-safe: the detector's one
 * thread owns it.
 */
final class Baseline {
    private static final double RELATIVE_SPREAD_FLOOR = 0.05;
    /** The median absolute deviation of normally distributed values times this is their standard deviation. */
    private static final double MAD_TO_SIGMA = 1.4826;

    private final double alpha;
    private final int warmUp;
    private final double minimumSpread;
    private long samples;
    private double mean;
    private double variance;
    /** The warm-up's samples until it ends. */
    private double[] warmUpSamples;

    Baseline(int historySize, int warmUp, double minimumSpread) {
        this.alpha = 2.0 / (Math.max(1, historySize) + 1);
        this.warmUp = Math.max(1, warmUp);
        this.minimumSpread = minimumSpread;
    }

    /** Learns {@code value}. */
    void add(double value) {
        if (!Double.isFinite(value)) {
            return;
        }
        samples++;
        if (samples <= warmUp) {
            // The warm-up's samples give the start by their median and median absolute deviation: the first checks
            // of a service (a cold connection, a JIT warming) are often far off, and a mean would keep one such
            // outlier in its band for an hour.
            if (warmUpSamples == null) {
                warmUpSamples = new double[warmUp];
            }
            warmUpSamples[(int) samples - 1] = value;
            if (samples == warmUp) {
                double[] sorted = warmUpSamples.clone();
                java.util.Arrays.sort(sorted);
                mean = median(sorted);
                for (int i = 0; i < sorted.length; i++) {
                    sorted[i] = Math.abs(sorted[i] - mean);
                }
                java.util.Arrays.sort(sorted);
                double deviation = MAD_TO_SIGMA * median(sorted);
                variance = deviation * deviation;
                warmUpSamples = null;
            }
            return;
        }
        double weight = alpha;
        double difference = value - mean;
        double increment = weight * difference;
        mean += increment;
        variance = (1 - weight) * (variance + difference * increment);
    }

    /** Forgets what was learned: learning starts afresh, with its warm-up. */
    void reset() {
        samples = 0;
        mean = 0;
        variance = 0;
        warmUpSamples = null;
    }

    private static double median(double[] sorted) {
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** Whether enough samples were learned to judge. */
    boolean warm() {
        return samples >= warmUp;
    }

    long samples() {
        return samples;
    }

    double mean() {
        return mean;
    }

    /** The half-width of the band per unit of sensitivity. */
    double spread() {
        return Math.max(Math.sqrt(Math.max(variance, 0)), Math.max(minimumSpread, RELATIVE_SPREAD_FLOOR * Math.abs(mean)));
    }

    double lower(double sensitivity) {
        return mean - sensitivity * spread();
    }

    double upper(double sensitivity) {
        return mean + sensitivity * spread();
    }
}
