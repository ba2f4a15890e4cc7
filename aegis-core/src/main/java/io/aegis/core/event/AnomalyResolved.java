package io.aegis.core.event;

import java.time.Instant;
import java.util.Objects;

/**
 * A signal's anomaly ended: its value stayed within the expected range for {@code anomaly_detection.resolveAfter},
 * nothing was measured for that long, or it lasted {@code relearnAfter} and its level is learned as the new normal.
 * Its alert resolves, and a DEGRADED service whose checks pass is HEALTHY again at once unless another of its signals
 * is anomalous.
 *
 * @param serviceName the service
 * @param at when the evaluation that ended it ended
 * @param signal {@code latency}, {@code error_rate} or {@code throughput}
 * @param value the value of that evaluation, in the signal's unit
 */
public record AnomalyResolved(String serviceName, Instant at, String signal, double value) implements ServiceEvent {
    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when the evaluation that ended it ended
     * @param signal {@code latency}, {@code error_rate} or {@code throughput}
     * @param value the value of that evaluation, in the signal's unit
     */
    public AnomalyResolved {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(signal, "signal");
    }
}
