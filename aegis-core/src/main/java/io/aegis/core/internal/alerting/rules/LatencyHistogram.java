package io.aegis.core.internal.alerting.rules;

/**
 * Latency counts in logarithmic bins, eight per doubling (each bin about 9% wide, so a quantile read from it is
 * within about 4.5% of the true value), from 1µs to about 1h20m; shorter and longer latencies share the first and
 * last bin. 256 ints whatever the number of samples: what keeps a window's memory independent of the check rate
 * (HdrHistogram and DDSketch trade precision for size the same way).
 */
final class LatencyHistogram {
    static final int BINS = 256;
    private static final double BINS_PER_DOUBLING = 8;
    private static final double FIRST_NANOS = 1000;

    private final int[] counts = new int[BINS];

    static int bin(long nanos) {
        if (nanos < FIRST_NANOS) {
            return 0;
        }
        int bin = 1 + (int) Math.floor(Math.log(nanos / FIRST_NANOS) / Math.log(2) * BINS_PER_DOUBLING);
        return Math.min(BINS - 1, bin);
    }

    /** The geometric middle of {@code bin}, in nanoseconds. */
    static long middle(int bin) {
        if (bin == 0) {
            return (long) (FIRST_NANOS / 2);
        }
        return Math.round(FIRST_NANOS * Math.pow(2, (bin - 0.5) / BINS_PER_DOUBLING));
    }

    void record(long nanos) {
        counts[bin(nanos)]++;
    }

    void clear() {
        java.util.Arrays.fill(counts, 0);
    }

    /** Adds this histogram's counts to {@code into}. */
    void addTo(long[] into) {
        for (int i = 0; i < BINS; i++) {
            into[i] += counts[i];
        }
    }

    /**
     * The nearest-rank quantile {@code q} of {@code counts} ({@code total} samples), clamped into {@code [min, max]}
     * (exact): so a window of equal latencies gives that latency exactly.
     */
    static long quantile(long[] counts, long total, double q, long min, long max) {
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < BINS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.max(min, Math.min(max, middle(i)));
            }
        }
        return max;
    }
}
