package io.aegis.core.internal.alerting;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A weekly maintenance window ({@code schedule: {weekdays, times, timeZone}} of a configured silence): active on
 * the given weekdays (every day when none is given) during the given local times, in the given time zone. Local
 * times are wall-clock times: across a daylight-saving change a 02:00-04:00 window still starts at 02:00 local
 * time (or when the clock jumps past it, for a time that does not exist that night). Immutable.
 */
record WeeklySchedule(Set<DayOfWeek> weekdays, List<TimeRange> times, ZoneId zone) {

    /** A local time range; {@code end} 00:00 (written 24:00) means midnight at the end of the day. */
    record TimeRange(LocalTime start, LocalTime end) {
        boolean contains(LocalTime time) {
            return !time.isBefore(start) && (end.equals(LocalTime.MIDNIGHT) || time.isBefore(end));
        }

        @Override
        public String toString() {
            return start + "-" + (end.equals(LocalTime.MIDNIGHT) ? "24:00" : end.toString());
        }
    }

    WeeklySchedule {
        weekdays = Set.copyOf(weekdays);
        times = List.copyOf(times);
    }

    /** Whether the window is open at {@code now}. */
    boolean activeAt(Instant now) {
        ZonedDateTime local = now.atZone(zone);
        if (!weekdays.isEmpty() && !weekdays.contains(local.getDayOfWeek())) {
            return false;
        }
        return times.stream().anyMatch(range -> range.contains(local.toLocalTime()));
    }

    /**
     * The window open at {@code now}, or the next one to open, as instants; empty when there is none within a
     * week (which only an empty schedule gives).
     */
    Optional<Instant[]> currentOrNext(Instant now) {
        LocalDate today = now.atZone(zone).toLocalDate();
        Instant[] best = null;
        for (int day = -1; day <= 8; day++) {
            LocalDate date = today.plusDays(day);
            if (!weekdays.isEmpty() && !weekdays.contains(date.getDayOfWeek())) {
                continue;
            }
            for (TimeRange range : times) {
                Instant start = ZonedDateTime.of(date, range.start(), zone).toInstant();
                Instant end = range.end().equals(LocalTime.MIDNIGHT)
                        ? ZonedDateTime.of(date.plusDays(1), LocalTime.MIDNIGHT, zone).toInstant()
                        : ZonedDateTime.of(date, range.end(), zone).toInstant();
                if (end.isAfter(now) && (best == null || start.isBefore(best[0]))) {
                    best = new Instant[] {start, end};
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** The next instant after {@code now} at which the window opens or closes. */
    Optional<Instant> nextChange(Instant now) {
        return currentOrNext(now).map(window -> window[0].isAfter(now) ? window[0] : window[1]);
    }

    @Override
    public String toString() {
        String days = weekdays.isEmpty() ? "every day" : weekdays.stream().sorted()
                .map(day -> day.name().toLowerCase(java.util.Locale.ROOT)).collect(Collectors.joining(","));
        return days + " " + times.stream().map(TimeRange::toString).collect(Collectors.joining(",")) + " " + zone;
    }
}
