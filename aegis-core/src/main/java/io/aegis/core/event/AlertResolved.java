package io.aegis.core.event;

import io.aegis.api.Alert;
import java.time.Instant;
import java.util.Objects;

/**
 * An alert that was firing about the service is resolved: the service is healthy again. The engine's
 * notifiers are delivering the resolution.
 *
 * @param serviceName the service, as in {@link Alert#serviceName()}
 * @param at when it was resolved
 * @param alert the alert, {@link Alert.State#RESOLVED}, with the start of the firing alert and its end
 */
public record AlertResolved(String serviceName, Instant at, Alert alert) implements ServiceEvent {
    /**
     * Validates the values: the alert must be resolved and about {@code serviceName}.
     *
     * @param serviceName the service, as in {@link Alert#serviceName()}
     * @param at when it was resolved
     * @param alert the alert, {@link Alert.State#RESOLVED}, with the start of the firing alert and its end
     */
    public AlertResolved {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(alert, "alert");
        if (alert.state() != Alert.State.RESOLVED) {
            throw new IllegalArgumentException("AlertResolved needs a resolved alert, got a firing " + alert.name());
        }
        if (!alert.serviceName().equals(serviceName)) {
            throw new IllegalArgumentException("alert " + alert.name() + " is about " + alert.serviceName()
                    + ", not " + serviceName);
        }
    }

    /**
     * The event of {@code alert} being resolved, at the time it ends.
     *
     * @param alert a resolved alert
     * @return the event
     */
    public static AlertResolved of(Alert alert) {
        return new AlertResolved(alert.serviceName(), alert.endsAt().orElseThrow(), alert);
    }
}
