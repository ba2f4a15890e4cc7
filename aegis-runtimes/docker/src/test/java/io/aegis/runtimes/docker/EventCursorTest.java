package io.aegis.runtimes.docker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EventCursorTest {

    @Test
    void replayedEventsAreRejectedAndNewOnesPassed() {
        EventCursor cursor = new EventCursor();
        assertThat(cursor.accept(1_000, "a die")).isTrue();
        assertThat(cursor.accept(2_000, "b die")).isTrue();

        // the stream broke; Docker replays everything at or after since = the last event's time
        assertThat(cursor.accept(1_000, "a die")).as("before since: old").isFalse();
        assertThat(cursor.accept(2_000, "b die")).as("the last one again").isFalse();
        assertThat(cursor.accept(3_000, "c die")).as("missed while away").isTrue();
    }

    @Test
    void eventsOfTheSameNanosecondAreToldApartByTheirKey() {
        EventCursor cursor = new EventCursor();
        assertThat(cursor.accept(5_000, "a oom")).isTrue();
        assertThat(cursor.accept(5_000, "a die")).isTrue();
        assertThat(cursor.accept(5_000, "a oom")).isFalse();
        assertThat(cursor.accept(5_000, "a die")).isFalse();
    }

    @Test
    void sinceIsTheLastEventsTimeInSecondsAndNanosecondsOrTheFallback() {
        EventCursor cursor = new EventCursor();
        assertThat(cursor.since(1_700_000_000_000_000_123L)).isEqualTo("1700000000.000000123");
        cursor.accept(1_700_000_123_450_000_000L, "a die");
        assertThat(cursor.since(0)).isEqualTo("1700000123.450000000");
    }
}
