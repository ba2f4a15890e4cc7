package io.aegis.core.alerting;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A silence: while it is active, alerts whose labels match all its matchers are not notified (they still fire,
 * are listed by {@code Engine.alerts()} as silenced and counted in {@code aegis_alerts_firing}). Either added at
 * run time ({@code Engine.addSilence}) or a maintenance window of the configuration ({@code alerting.silences}).
 * Immutable.
 *
 * @param id unique: a UUID for a silence added at run time, {@code config-<index>} for one of the configuration
 * @param matchers every one must match an alert's labels; never empty
 * @param startsAt when it starts (for a weekly schedule: the start of the current or next window)
 * @param endsAt when it ends (for a weekly schedule: the end of the current or next window)
 * @param createdBy who added it ({@code configuration} for one of the configuration)
 * @param comment why
 * @param schedule for a weekly maintenance window of the configuration, the schedule as written (for example
 *     {@code saturday,sunday 02:00-04:00 Europe/Berlin}); empty for a one-off window
 */
public record Silence(String id, List<Matcher> matchers, Instant startsAt, Instant endsAt, String createdBy,
        String comment, Optional<String> schedule) {

    /**
     * Validates and copies the values.
     *
     * @param id unique: a UUID for a silence added at run time, {@code config-<index>} for one of the configuration
     * @param matchers every one must match an alert's labels; never empty
     * @param startsAt when it starts (for a weekly schedule: the start of the current or next window)
     * @param endsAt when it ends (for a weekly schedule: the end of the current or next window)
     * @param createdBy who added it ({@code configuration} for one of the configuration)
     * @param comment why
     * @param schedule for a weekly maintenance window of the configuration, the schedule as written (for example {@code
     *     saturday,sunday 02:00-04:00 Europe/Berlin}); empty for a one-off window
     */
    public Silence {
        Objects.requireNonNull(id, "id");
        matchers = List.copyOf(matchers);
        Objects.requireNonNull(startsAt, "startsAt");
        Objects.requireNonNull(endsAt, "endsAt");
        Objects.requireNonNull(createdBy, "createdBy");
        Objects.requireNonNull(comment, "comment");
        Objects.requireNonNull(schedule, "schedule");
        if (matchers.isEmpty()) {
            throw new IllegalArgumentException("a silence needs at least one matcher");
        }
    }

    /**
     * {@return whether the silence is in effect at {@code now}}
     *
     * @param now the time to ask about
     */
    public boolean activeAt(Instant now) {
        return !now.isBefore(startsAt) && now.isBefore(endsAt);
    }

    /** {@return whether it comes from the configuration (it cannot be expired through the API then)} */
    public boolean configured() {
        return id.startsWith("config-");
    }
}
