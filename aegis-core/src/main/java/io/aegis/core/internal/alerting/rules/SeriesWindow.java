package io.aegis.core.internal.alerting.rules;

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

    private final long widthMillis;
    private final boolean histograms;
    private final Bucket[] slots = new Bucket[BUCKETS + 1];

    SeriesWindow(java.time.Duration window, boolean histograms) {
        this.widthMillis = Math.max(1, (window.toMillis() + BUCKETS - 1) / BUCKETS);
        this.histograms = histograms;
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
        long newest = Math.floorDiv(nowMillis, widthMillis);
        Sum sum = new Sum(histograms);
        for (Bucket bucket : slots) {
            if (bucket != null && bucket.index <= newest && bucket.index >= newest - BUCKETS) {
                sum.add(bucket);
            }
        }
        return sum;
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
            bucket = new Bucket(histograms);
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

        Bucket(boolean histogram) {
            this.histogram = histogram ? new LatencyHistogram() : null;
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

        Sum(boolean histogram) {
            this.histogram = histogram ? new long[LatencyHistogram.BINS] : null;
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
