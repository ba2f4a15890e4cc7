package io.aegis.core.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How the engine degrades under overload instead of collapsing: the cap on checks in flight per checker type
 * ({@code global.maxInFlightChecks}), and the record of when the engine itself was behind (a tick, or a verdict,
 * reached its monitor later than {@link #BEHIND_TOLERANCE_NANOS}), so that a timeout caused by the engine's own
 * starvation is not taken for the service failing. Shared by every monitor of one engine; thread-safe.
 *
 * <p>The cap has the shape of {@link BlockingChecks}' limit (a monitor takes a slot before its cycle starts and
 * gives it back when the cycle ends; without one the tick is skipped and counted), but nobody waits in line for a
 * slot: a checker that has this many checks in flight is already behind, and a queue would only make every check
 * in it late. Checkers that block (scripts) are limited by {@link BlockingChecks} instead.
 */
public final class CheckLoad {
    /**
     * Default of {@code global.maxInFlightChecks}. A healthy fleet stays far below it (in flight = checks per second
     * × latency: 10,000 services at 1 s with 100 ms answers is 1,000), so it bites only when a checker's answers
     * pile up: slow or hung targets, or a starved checker. It bounds the sockets and buffers that pile-up holds
     * (about 4,096 × a few KB), and keeps the queue a starved checker works through short enough that what it
     * admits still answers within its timeout instead of every check timing out.
     */
    public static final int DEFAULT_MAX_IN_FLIGHT = 4096;
    /**
     * How late a tick or a verdict may reach its monitor before the engine counts as behind: ten times the lag
     * that healthy scheduling shows at 20,000 services here (p99 ≈ 5-10 ms), so GC pauses of a few ms do not count.
     */
    public static final long BEHIND_TOLERANCE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final int maxInFlight;
    private final ConcurrentMap<String, Slots> byType = new ConcurrentHashMap<>();
    /** The scheduler's nanoTime when the engine was last seen behind; only written when it is. */
    private volatile long lastBehindNanos;
    private volatile boolean everBehind;

    /** @param maxInFlight checks in flight per checker type; 0 for no cap */
    public CheckLoad(int maxInFlight) {
        if (maxInFlight < 0) {
            throw new IllegalArgumentException("maxInFlightChecks must be 0 (no cap) or more, got " + maxInFlight);
        }
        this.maxInFlight = maxInFlight;
    }

    /** The cap per checker type; 0 for none. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** The slots of checker type {@code type}; a monitor keeps them (one lookup per service, not per check). */
    public Slots slotsFor(String type) {
        return byType.computeIfAbsent(type, ignored -> new Slots());
    }

    /** Checks of {@code type} in flight now. */
    public int inFlight(String type) {
        Slots slots = byType.get(type);
        return slots == null ? 0 : slots.inFlight();
    }

    /**
     * Something reached a monitor {@code lateNanos} after it was due, at {@code nowNanos}: beyond the tolerance the
     * engine was behind then.
     */
    public void observe(long lateNanos, long nowNanos) {
        if (lateNanos > BEHIND_TOLERANCE_NANOS) {
            lastBehindNanos = nowNanos;
            everBehind = true;
        }
    }

    /** Whether the engine was seen behind at {@code sinceNanos} or later (scheduler time). */
    public boolean behindSince(long sinceNanos) {
        return everBehind && lastBehindNanos - sinceNanos >= 0;
    }

    /** The checks of one checker type in flight, against the cap. */
    public final class Slots {
        private final AtomicInteger inFlight = new AtomicInteger();

        private Slots() {
        }

        /** Takes a slot for a check cycle; false when the type's cap is reached. Never waits. */
        public boolean tryAcquire() {
            if (maxInFlight == 0) {
                inFlight.incrementAndGet();
                return true;
            }
            while (true) {
                int now = inFlight.get();
                if (now >= maxInFlight) {
                    return false;
                }
                if (inFlight.compareAndSet(now, now + 1)) {
                    return true;
                }
            }
        }

        /** Gives a slot back. */
        public void release() {
            inFlight.decrementAndGet();
        }

        /** Check cycles of this type in flight now. */
        public int inFlight() {
            return inFlight.get();
        }
    }
}
