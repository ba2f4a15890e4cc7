package io.aegis.runtimes.docker;

import java.util.HashSet;
import java.util.Set;

/**
 * Where the event stream got to, so that after it breaks (dockerd restarted, the connection dropped) it is opened
 * again from there with {@code since}, and the events seen twice (Docker replays every event at or after
 * {@code since}) are passed on once. Events come in daemon time order; several can share one nanosecond.
 */
final class EventCursor {
    private long lastNanos = -1;
    private final Set<String> seenAtLast = new HashSet<>();

    /**
     * Whether the event is new: later than the last one, or at the same nanosecond but not seen yet.
     *
     * @param timeNanos the event's {@code timeNano}
     * @param key what tells apart events of the same nanosecond (container id and action)
     */
    synchronized boolean accept(long timeNanos, String key) {
        if (timeNanos < lastNanos) {
            return false;
        }
        if (timeNanos == lastNanos) {
            return seenAtLast.add(key);
        }
        lastNanos = timeNanos;
        seenAtLast.clear();
        seenAtLast.add(key);
        return true;
    }

    /**
     * The {@code since} to reopen the stream with: the last event's time ({@code seconds.nanoseconds}, which the
     * Engine API takes), or {@code fallbackNanos} (epoch nanoseconds) when no event came yet.
     */
    synchronized String since(long fallbackNanos) {
        long nanos = lastNanos >= 0 ? lastNanos : Math.max(0, fallbackNanos);
        return (nanos / 1_000_000_000L) + "." + String.format("%09d", nanos % 1_000_000_000L);
    }
}
