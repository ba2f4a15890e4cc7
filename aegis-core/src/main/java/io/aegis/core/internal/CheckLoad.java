package io.aegis.core.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How the engine degrades under overload instead of collapsing: the cap on checks in flight per checker type
 * ({@code global.maxInFlightChecks}), and how late a timeout's verdict may reach its monitor before the timeout is
 * put down to the engine's own starvation ({@link #BEHIND_TOLERANCE_NANOS}). Shared by every monitor of one engine;
 * thread-safe.
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
     * How late a timeout's verdict may reach its monitor, after the engine's deadline, before the engine counts as
     * having been behind: far beyond what healthy scheduling shows at 20,000 services (lag p99 of a few ms to tens of
     * ms, one 10 ms tick of the deadline wheel) and beyond GC pauses, so that only real starvation excuses a timeout.
     */
    public static final long BEHIND_TOLERANCE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final int maxInFlight;
    private final ConcurrentMap<String, Slots> byType = new ConcurrentHashMap<>();

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
