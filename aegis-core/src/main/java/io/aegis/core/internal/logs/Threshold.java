package io.aegis.core.internal.logs;

import java.time.Duration;

/**
 * A pattern's {@code threshold: {count, within}}: whether a match is the {@code count}-th within {@code within} (a
 * sliding window over the match times, by the engine's clock). Once it is, the window starts over: the next event
 * needs {@code count} more matches, so a burst of matching lines makes one event (and one action), not one per line.
 * With {@code count: 1} every match is one. Not thread-safe: the caller holds its pattern's lock.
 */
final class Threshold {
    private final int count;
    private final long withinMillis;
    /** The times of the last matches (epoch ms), a ring of {@code count}. */
    private final long[] times;
    private int size;
    private int next;

    Threshold(int count, Duration within) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got " + count);
        }
        this.count = count;
        this.withinMillis = within.toMillis();
        this.times = new long[count];
    }

    /**
     * Counts a match at {@code nowMillis}; whether it makes {@code count} matches within the window (the window then
     * starts over).
     */
    boolean matched(long nowMillis) {
        times[next] = nowMillis;
        next = (next + 1) % count;
        if (size < count) {
            size++;
        }
        if (size < count) {
            return false;
        }
        long oldest = times[next]; // the ring is full: the slot written next holds the oldest time
        if (nowMillis - oldest < withinMillis) {
            size = 0;
            next = 0;
            return true;
        }
        return false;
    }

    /** Matches counted in the window now (for the event): {@code count} when it fired. */
    int count() {
        return count;
    }
}
