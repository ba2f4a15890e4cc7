package io.aegis.core.event;

import io.aegis.core.ServiceState;
import java.time.Instant;
import java.util.Objects;

/**
 * A service moved from one state to another.
 *
 * @param serviceName the service
 * @param at when
 * @param from the previous state
 * @param to the new state
 * @param cause why, in words ({@code "3 consecutive failed checks: HTTP 503"})
 */
public record StateChanged(String serviceName, Instant at, ServiceState from, ServiceState to, String cause)
        implements ServiceEvent {
    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when
     * @param from the previous state
     * @param to the new state
     * @param cause why, in words ({@code "3 consecutive failed checks: HTTP 503"})
     */
    public StateChanged {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(cause, "cause");
    }
}
