package io.aegis.core.event;

import java.time.Instant;
import java.util.Objects;

/**
 * The service's workload was taken out of traffic and kept running for debugging; the service is
 * {@link io.aegis.core.ServiceState#ISOLATED} and the engine does no automatic recovery on it until a person
 * calls {@code Engine.reset}.
 *
 * @param serviceName the service
 * @param at when
 * @param reason why (the ladder reached its isolate step, or a person asked)
 */
public record ServiceIsolated(String serviceName, Instant at, String reason) implements ServiceEvent {
    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when
     * @param reason why (the ladder reached its isolate step, or a person asked)
     */
    public ServiceIsolated {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(reason, "reason");
    }
}
