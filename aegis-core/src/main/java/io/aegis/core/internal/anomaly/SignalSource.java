package io.aegis.core.internal.anomaly;

import java.util.Set;

/**
 * Where some signals of one service come from besides its checks: its own Prometheus endpoint
 * ({@link MetricsSource}) or a Prometheus server ({@link QuerySource}). It polls on its own and keeps what it measured
 * until the detector's next evaluation takes it.
 */
public interface SignalSource extends AutoCloseable {
    /** The signals it measures. */
    Set<Signal> signals();

    /** What the events say the values came from: {@code metrics} or {@code query}. */
    String kind();

    /** Begins polling. */
    void start();

    /**
     * Puts into {@code values} (indexed by {@link Signal#ordinal()}) what was measured since the last call, NaN for a
     * signal with nothing new, and starts the next measurement.
     */
    void drain(double[] values);

    /** Stops polling; a request in flight is abandoned. */
    @Override
    void close();
}
