package io.aegis.core.internal.alerting.rules;

/** What a {@link SeriesWindow} holds over its window, summed over its buckets; what expressions are computed from. */
interface WindowAggregate {
    long checks();

    long failedChecks();

    long restarts();

    long recoveries();

    long latencyCount();

    /** Sum of the latencies, in nanoseconds (a double: a day of one-second checks overflows no long, but why risk it). */
    double latencySumNanos();

    long latencyMinNanos();

    long latencyMaxNanos();

    /** Milliseconds spent in {@code state} within the window (0 unless the window keeps time per state). */
    long millisIn(io.aegis.core.ServiceState state);

    /** The latency at quantile {@code q} (0 &lt; q &lt; 1), nearest rank, within the histogram's precision. */
    long latencyQuantileNanos(double q);
}
