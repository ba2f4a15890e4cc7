package io.aegis.core.internal.alerting.rules;

/**
 * Latency counts in logarithmic bins, eight per doubling (each bin about 9% wide, so a quantile read from it is
 * within about 4.5% of the true value), from 1µs to about 1h20m; shorter and longer latencies share the first and
 * last bin. At most 256 bins whatever the number of samples: what keeps a window's memory independent of the check
 * rate (HdrHistogram and DDSketch trade precision for size the same way). Sparse: only the bins that were hit are
 * kept (a service's latencies usually fill a dozen), so a bucket costs about a hundred bytes, not a kilobyte.
 */
final class LatencyHistogram {
    static final int BINS = 256;
    private static final double BINS_PER_DOUBLING = 8;
    private static final double FIRST_NANOS = 1000;

    private short[] bins = new short[8];
    private int[] counts = new int[8];
    private int size;

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
        short bin = (short) bin(nanos);
        for (int i = 0; i < size; i++) {
            if (bins[i] == bin) {
                counts[i]++;
                return;
            }
        }
        if (size == bins.length) {
            bins = java.util.Arrays.copyOf(bins, Math.min(BINS, size * 2));
            counts = java.util.Arrays.copyOf(counts, bins.length);
        }
        bins[size] = bin;
        counts[size] = 1;
        size++;
    }

    /** Empties it, keeping its arrays for the next use of the bucket. */
    void clear() {
        size = 0;
    }

    /** How many bins it holds (for the memory test): at most {@link #BINS}. */
    int capacity() {
        return bins.length;
    }

    /** Adds this histogram's counts to {@code into}, indexed by bin. */
    void addTo(long[] into) {
        for (int i = 0; i < size; i++) {
            into[bins[i]] += counts[i];
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
