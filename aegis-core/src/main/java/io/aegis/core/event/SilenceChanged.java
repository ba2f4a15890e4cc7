package io.aegis.core.event;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A person added or ended a silence ({@code Engine.addSilence}, {@code Engine.expireSilence}, the API, {@code aegis
 * silence}). An event about the engine itself, not one service: {@link #serviceName()} is the empty string.
 *
 * @param at when, by the engine's clock
 * @param kind added or expired
 * @param id the silence's id
 * @param matchers its matchers as Alertmanager writes them ({@code service="web"})
 * @param endsAt when it ends (for an expired one: now)
 * @param createdBy who added it
 * @param comment why it was added
 */
public record SilenceChanged(Instant at, Kind kind, String id, List<String> matchers, Instant endsAt, String createdBy,
        String comment) implements ServiceEvent {

    /** What happened to the silence. */
    public enum Kind {
        /** Added: the alerts it matches are not notified until it ends. */
        ADDED,
        /** Ended before its time. */
        EXPIRED
    }

    /**
     * Validates and copies the values.
     *
     * @param at when, by the engine's clock
     * @param kind added or expired
     * @param id the silence's id
     * @param matchers its matchers as Alertmanager writes them ({@code service="web"})
     * @param endsAt when it ends (for an expired one: now)
     * @param createdBy who added it
     * @param comment why it was added
     */
    public SilenceChanged {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(id, "id");
        matchers = List.copyOf(matchers);
        Objects.requireNonNull(endsAt, "endsAt");
        Objects.requireNonNull(createdBy, "createdBy");
        Objects.requireNonNull(comment, "comment");
    }

    /** The empty string: this event is about the engine itself, not one service. */
    @Override
    public String serviceName() {
        return "";
    }
}
