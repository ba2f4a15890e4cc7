package io.aegis.core.event;

import java.time.Instant;
import java.util.Objects;

/**
 * A recovery incident ended: the service stayed healthy for {@code actions.resetAfter}, or a person reset it.
 * The next failure starts again from the first step of the ladder; {@code aegis_recovery_ladder_step} is 0.
 *
 * @param serviceName the service
 * @param at when
 * @param lastStep the ladder step the incident had reached, from 1
 * @param detail why it ended
 */
public record IncidentClosed(String serviceName, Instant at, int lastStep, String detail) implements ServiceEvent {
    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when
     * @param lastStep the ladder step the incident had reached, from 1
     * @param detail why it ended
     */
    public IncidentClosed {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(detail, "detail");
    }
}
