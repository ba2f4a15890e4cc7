package io.aegis.core.internal.alerting;

import io.aegis.core.alerting.Matcher;
import io.aegis.core.alerting.Silence;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A silence as the lifecycle applies it: a fixed window ({@link Silence} as it is) or a weekly schedule whose
 * current window is worked out at the time asked. Immutable.
 */
record SilenceRule(Silence silence, Optional<WeeklySchedule> schedule) {

    static SilenceRule fixed(Silence silence) {
        return new SilenceRule(silence, Optional.empty());
    }

    String id() {
        return silence.id();
    }

    boolean activeAt(Instant now) {
        return schedule.map(weekly -> weekly.activeAt(now)).orElseGet(() -> silence.activeAt(now));
    }

    boolean mutes(Map<String, String> labels, Instant now) {
        return activeAt(now) && Matcher.all(silence.matchers(), labels);
    }

    /** Whether it will never be active again. */
    boolean over(Instant now) {
        return schedule.isEmpty() && !now.isBefore(silence.endsAt());
    }

    /** The next instant after {@code now} at which it starts or ends. */
    Optional<Instant> nextChange(Instant now) {
        if (schedule.isPresent()) {
            return schedule.get().nextChange(now);
        }
        if (now.isBefore(silence.startsAt())) {
            return Optional.of(silence.startsAt());
        }
        return now.isBefore(silence.endsAt()) ? Optional.of(silence.endsAt()) : Optional.empty();
    }

    /** The silence as the API shows it: a weekly one with its current or next window. */
    Silence view(Instant now) {
        if (schedule.isEmpty()) {
            return silence;
        }
        Instant[] window = schedule.get().currentOrNext(now).orElse(new Instant[] {silence.startsAt(),
                silence.endsAt()});
        return new Silence(silence.id(), silence.matchers(), window[0], window[1], silence.createdBy(),
                silence.comment(), silence.schedule());
    }
}
