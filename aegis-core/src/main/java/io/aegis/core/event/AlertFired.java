package io.aegis.core.event;

import io.aegis.api.Alert;
import java.time.Instant;
import java.util.Objects;

/**
 * An alert about the service started firing: the engine (or a recovery action) raised it, and the engine's
 * notifiers are delivering it. Embedders can subscribe to it to route alerts their own way.
 *
 * @param serviceName the service, as in {@link Alert#serviceName()}
 * @param at when it was raised
 * @param alert the alert, {@link Alert.State#FIRING}
 */
public record AlertFired(String serviceName, Instant at, Alert alert) implements ServiceEvent {
    /**
     * Validates the values: the alert must be firing and about {@code serviceName}.
     *
     * @param serviceName the service, as in {@link Alert#serviceName()}
     * @param at when it was raised
     * @param alert the alert, {@link Alert.State#FIRING}
     */
    public AlertFired {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(alert, "alert");
        if (alert.state() != Alert.State.FIRING) {
            throw new IllegalArgumentException("AlertFired needs a firing alert, got a resolved " + alert.name());
        }
        if (!alert.serviceName().equals(serviceName)) {
            throw new IllegalArgumentException("alert " + alert.name() + " is about " + alert.serviceName()
                    + ", not " + serviceName);
        }
    }

    /**
     * The event of {@code alert} firing, at the time it starts.
     *
     * @param alert a firing alert
     * @return the event
     */
    public static AlertFired of(Alert alert) {
        return new AlertFired(alert.serviceName(), alert.startsAt(), alert);
    }
}
