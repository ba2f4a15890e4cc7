package io.aegis.core.event;

import io.aegis.api.WorkloadStatus;
import java.time.Instant;
import java.util.Objects;

/**
 * The service's workload ended without the engine asking (it crashed or was killed).
 *
 * @param serviceName the service
 * @param at when the runtime noticed
 * @param status how it ended
 */
public record WorkloadExited(String serviceName, Instant at, WorkloadStatus status) implements ServiceEvent {
    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when the runtime noticed
     * @param status how it ended
     */
    public WorkloadExited {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(status, "status");
    }
}
