package io.aegis.core.event;

import java.time.Instant;
import java.util.Objects;

/**
 * A signal of a service left its expected range for as many evaluations in a row as {@code anomaly_detection.for}
 * asks: the service turns DEGRADED (while its checks pass), the anomaly's alert fires, and the block's
 * {@code action}, if any, goes to the service's recovery.
 *
 * @param serviceName the service
 * @param at when the evaluation that found it ended
 * @param signal {@code latency} (milliseconds), {@code error_rate} (0 to 1) or {@code throughput} (requests per
 *     second)
 * @param value the value of the last evaluation, in the signal's unit
 * @param lower the lower end of the expected range ({@code -Infinity} when only a rise is an anomaly)
 * @param upper the upper end of the expected range ({@code +Infinity} when only a fall is an anomaly)
 * @param method {@code threshold} (a static threshold of the configuration) or {@code baseline} (a learned one)
 * @param source where the value came from: {@code checks} (the service's health checks) or the metrics it was read
 *     from
 */
public record AnomalyDetected(String serviceName, Instant at, String signal, double value, double lower, double upper,
        String method, String source) implements ServiceEvent {
    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when the evaluation that found it ended
     * @param signal {@code latency} (milliseconds), {@code error_rate} (0 to 1) or {@code throughput} (requests per
     *     second)
     * @param value the value of the last evaluation, in the signal's unit
     * @param lower the lower end of the expected range ({@code -Infinity} when only a rise is an anomaly)
     * @param upper the upper end of the expected range ({@code +Infinity} when only a fall is an anomaly)
     * @param method {@code threshold} (a static threshold of the configuration) or {@code baseline} (a learned one)
     * @param source where the value came from: {@code checks} (the service's health checks) or the metrics it was read
     *     from
     */
    public AnomalyDetected {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(signal, "signal");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(source, "source");
    }
}
