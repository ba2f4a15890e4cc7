package io.aegis.core.event;

import java.time.Instant;
import java.util.Objects;

/**
 * A person acted on a service through the engine's control API ({@code Engine.restart}, {@code reset},
 * {@code pause}, {@code resume}, {@code isolate}).
 *
 * @param serviceName the service
 * @param at when
 * @param kind what was asked
 * @param reason the reason given, for the log and the audit trail
 */
public record OperatorAction(String serviceName, Instant at, Kind kind, String reason) implements ServiceEvent {

    /** What a person asked for. */
    public enum Kind {
        /** Restart the workload now, outside the ladder and its budget. */
        RESTART,
        /** Start over after FAILED or ISOLATED: incident and budget cleared, workload restarted. */
        RESET,
        /** Maintenance: no recovery and no alerts; checks go on. */
        PAUSE,
        /** End of maintenance: the service is judged again at once. */
        RESUME,
        /** Take the workload out of traffic, keep it running, stop automatic recovery. */
        ISOLATE
    }

    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when
     * @param kind what was asked
     * @param reason the reason given, for the log and the audit trail
     */
    public OperatorAction {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reason, "reason");
    }
}
