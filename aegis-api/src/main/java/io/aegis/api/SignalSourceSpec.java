package io.aegis.api;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Everything needed to create one {@link SignalSource}.
 *
 * @param serviceName the service whose numbers these are
 * @param settings the service's {@code signals:} block ({@code type} and the source's own keys)
 * @param detectionInterval how often the engine asks for what was measured
 *     ({@code anomaly_detection.detection_interval})
 * @param blockingExecutor a bounded pool for blocking work, shared with the engine's other plugins
 */
public record SignalSourceSpec(String serviceName, Settings settings, Duration detectionInterval,
        Executor blockingExecutor) {
    /**
     * Validates the values.
     *
     * @param serviceName the service whose numbers these are
     * @param settings the service's {@code signals:} block ({@code type} and the source's own keys)
     * @param detectionInterval how often the engine asks for what was measured ({@code
     *     anomaly_detection.detection_interval})
     * @param blockingExecutor a bounded pool for blocking work, shared with the engine's other plugins
     */
    public SignalSourceSpec {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(detectionInterval, "detectionInterval");
        Objects.requireNonNull(blockingExecutor, "blockingExecutor");
        if (detectionInterval.isNegative() || detectionInterval.isZero()) {
            throw new IllegalArgumentException("detectionInterval must be positive, got " + detectionInterval);
        }
    }
}
