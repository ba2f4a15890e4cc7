package io.aegis.core.internal.alerting.rules;

import io.aegis.core.ServiceState;

/**
 * One service's events over one window length, in {@value #BUCKETS} time buckets of {@code window / BUCKETS} each
 * (plus the one filling now), reused round-robin: the memory is fixed when the window is created, whatever the
 * check rate. The window read at time t covers the buckets from t - window to t, so it is exact to one bucket
 * (a 5m window covers between 5m and 5m5s). Events older than the window are ignored. Bucket times are epoch
 * milliseconds from the events' own timestamps and the engine's clock, so virtual time moves them too.
 *
 * <p>Not thread-safe: its owner ({@link RuleEvaluator}) synchronizes per service.
 */
final class SeriesWindow {
    static final int BUCKETS = 60;

    private static final int STATES = ServiceState.values().length;

    private final long widthMillis;
    private final boolean histograms;
    private final boolean states;
    private final Bucket[] slots = new Bucket[BUCKETS + 1];

    SeriesWindow(java.time.Duration window, boolean histograms) {
        this(window, histograms, false);
    }

    /** A window, with a latency histogram per bucket when {@code histograms}, time per state when {@code states}. */
    SeriesWindow(java.time.Duration window, boolean histograms, boolean states) {
        this.widthMillis = Math.max(1, (window.toMillis() + BUCKETS - 1) / BUCKETS);
        this.histograms = histograms;
        this.states = states;
    }

    /**
     * The service was in {@code state} from {@code fromMillis} to {@code toMillis}: spread over the buckets it
     * covers (at most the window's, however long the stay).
     */
    void stayed(ServiceState state, long fromMillis, long toMillis) {
        if (!states || toMillis <= fromMillis) {
            return;
        }
        long from = Math.max(fromMillis, (Math.floorDiv(toMillis, widthMillis) - BUCKETS) * widthMillis);
        for (long index = Math.floorDiv(from, widthMillis); index * widthMillis < toMillis; index++) {
            long start = Math.max(from, index * widthMillis);
            long end = Math.min(toMillis, (index + 1) * widthMillis);
            Bucket bucket = bucket(start);
            if (bucket != null && end > start) {
                bucket.stateMillis[state.ordinal()] += end - start;
            }
        }
    }

    void check(long atMillis, long latencyNanos, boolean finalAttempt, boolean failed) {
        Bucket bucket = bucket(atMillis);
        if (bucket == null) {
            return;
        }
        bucket.latencyCount++;
        bucket.latencySumNanos += latencyNanos;
        bucket.latencyMin = Math.min(bucket.latencyMin, latencyNanos);
        bucket.latencyMax = Math.max(bucket.latencyMax, latencyNanos);
        if (bucket.histogram != null) {
            bucket.histogram.record(latencyNanos);
        }
        if (finalAttempt) {
            bucket.checks++;
            if (failed) {
                bucket.failed++;
            }
        }
    }

    /** Whether it keeps time per state. */
    boolean keepsStates() {
        return states;
    }

    void restart(long atMillis) {
        Bucket bucket = bucket(atMillis);
        if (bucket != null) {
            bucket.restarts++;
        }
    }

    void recovery(long atMillis) {
        Bucket bucket = bucket(atMillis);
        if (bucket != null) {
            bucket.recoveries++;
        }
    }

    /** The sums over the window ending at {@code nowMillis}. */
    WindowAggregate at(long nowMillis) {
        return at(nowMillis, null, nowMillis);
    }

    /**
     * The sums over the window ending at {@code nowMillis}, counting the service as in {@code current} (null when
     * not known) since {@code sinceMillis}: the stay not yet ended by a state change.
     */
    WindowAggregate at(long nowMillis, ServiceState current, long sinceMillis) {
        long newest = Math.floorDiv(nowMillis, widthMillis);
        Sum sum = new Sum(histograms, states);
        for (Bucket bucket : slots) {
            if (bucket != null && bucket.index <= newest && bucket.index >= newest - BUCKETS) {
                sum.add(bucket);
            }
        }
        if (states && current != null) {
            long windowStart = (newest - BUCKETS) * widthMillis;
            sum.stateMillis[current.ordinal()] += Math.max(0, nowMillis - Math.max(sinceMillis, windowStart));
        }
        return sum;
    }

    /** The histogram bins allocated over all buckets (for the memory test). */
    int allocatedHistogramBins() {
        int n = 0;
        for (Bucket bucket : slots) {
            n += bucket == null || bucket.histogram == null ? 0 : bucket.histogram.capacity();
        }
        return n;
    }

    /** How many buckets exist (for the memory test): never more than {@code BUCKETS + 1}. */
    int allocatedBuckets() {
        int n = 0;
        for (Bucket bucket : slots) {
            n += bucket == null ? 0 : 1;
        }
        return n;
    }

    private Bucket bucket(long atMillis) {
        long index = Math.floorDiv(atMillis, widthMillis);
        int slot = (int) Math.floorMod(index, (long) slots.length);
        Bucket bucket = slots[slot];
        if (bucket == null) {
            bucket = new Bucket(histograms, states);
            bucket.index = index;
            slots[slot] = bucket;
        } else if (bucket.index < index) {
            bucket.reset(index);
        } else if (bucket.index > index) {
            return null; // older than the window: its slot already holds newer time
        }
        return bucket;
    }

    private static final class Bucket {
        long index;
        long checks;
        long failed;
        long restarts;
        long recoveries;
        long latencyCount;
        double latencySumNanos;
        long latencyMin = Long.MAX_VALUE;
        long latencyMax = Long.MIN_VALUE;
        final LatencyHistogram histogram;
        final long[] stateMillis;

        Bucket(boolean histogram, boolean states) {
            this.histogram = histogram ? new LatencyHistogram() : null;
            this.stateMillis = states ? new long[STATES] : null;
        }

        void reset(long newIndex) {
            index = newIndex;
            checks = 0;
            failed = 0;
            restarts = 0;
            recoveries = 0;
            latencyCount = 0;
            latencySumNanos = 0;
            latencyMin = Long.MAX_VALUE;
            latencyMax = Long.MIN_VALUE;
            if (histogram != null) {
                histogram.clear();
            }
            if (stateMillis != null) {
                java.util.Arrays.fill(stateMillis, 0);
            }
        }
    }

    private static final class Sum implements WindowAggregate {
        long checks;
        long failed;
        long restarts;
        long recoveries;
        long latencyCount;
        double latencySumNanos;
        long latencyMin = Long.MAX_VALUE;
        long latencyMax = Long.MIN_VALUE;
        final long[] histogram;
        final long[] stateMillis;

        Sum(boolean histogram, boolean states) {
            this.histogram = histogram ? new long[LatencyHistogram.BINS] : null;
            this.stateMillis = states ? new long[STATES] : null;
        }

        void add(Bucket bucket) {
            checks += bucket.checks;
            failed += bucket.failed;
            restarts += bucket.restarts;
            recoveries += bucket.recoveries;
            latencyCount += bucket.latencyCount;
            latencySumNanos += bucket.latencySumNanos;
            latencyMin = Math.min(latencyMin, bucket.latencyMin);
            latencyMax = Math.max(latencyMax, bucket.latencyMax);
            if (histogram != null && bucket.histogram != null) {
                bucket.histogram.addTo(histogram);
            }
            if (stateMillis != null && bucket.stateMillis != null) {
                for (int i = 0; i < STATES; i++) {
                    stateMillis[i] += bucket.stateMillis[i];
                }
            }
        }

        @Override
        public long millisIn(ServiceState state) {
            return stateMillis == null ? 0 : stateMillis[state.ordinal()];
        }

        @Override
        public long checks() {
            return checks;
        }

        @Override
        public long failedChecks() {
            return failed;
        }

        @Override
        public long restarts() {
            return restarts;
        }

        @Override
        public long recoveries() {
            return recoveries;
        }

        @Override
        public long latencyCount() {
            return latencyCount;
        }

        @Override
        public double latencySumNanos() {
            return latencySumNanos;
        }

        @Override
        public long latencyMinNanos() {
            return latencyMin;
        }

        @Override
        public long latencyMaxNanos() {
            return latencyMax;
        }

        @Override
        public long latencyQuantileNanos(double q) {
            if (histogram == null) {
                throw new IllegalStateException("this window keeps no histogram");
            }
            return LatencyHistogram.quantile(histogram, latencyCount, q, latencyMin, latencyMax);
        }
    }
}
