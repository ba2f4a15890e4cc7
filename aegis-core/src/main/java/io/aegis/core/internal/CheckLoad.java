package io.aegis.core.internal;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * How the engine degrades under overload instead of collapsing: the cap on checks in flight per checker type
 * ({@code global.maxInFlightChecks}), and how late a timeout's verdict may reach its monitor before the timeout is
 * put down to the engine's own starvation ({@link #BEHIND_TOLERANCE_NANOS}). Shared by every monitor of one engine;
 * thread-safe.
 *
 * <p>The cap has the shape of {@link BlockingChecks}' limit: a monitor takes a slot before its cycle starts and
 * gives it back when the cycle ends; without one it waits in line, first come first served, for as long as it takes
 * (its ticks that come meanwhile are skipped as {@code overload}). A line and not a skipped tick, because a freed
 * slot can only go to a monitor that asks for it: had the monitors that found the cap reached given up their tick
 * and been owed a slot at the next, the slots would have gone to whoever ticked just after one came free, and either
 * the same services would have won every time (hostile-test F4), or (with free slots kept for the owed) the slots
 * would have stayed free until the owed came back while the others were turned away: half the room unused at 20,000
 * services, and after the 10,000-service start burst, a few checks per second with the cap empty for good. The line
 * keeps every slot busy while anyone waits, and serves every service in turn.
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
     * The default cap in this process: {@link #DEFAULT_MAX_IN_FLIGHT}, or half its file descriptor limit when that is
     * lower (at least 64). Every check in flight holds a socket: under {@code ulimit -n 512} with hung targets, 4,096
     * let the checks take every descriptor, and the metrics server, the log files and the runtimes' pipes got
     * "Too many open files" (hostile test, Dec 2).
     */
    public static int defaultMaxInFlight() {
        long limit = -1;
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            limit = unix.getMaxFileDescriptorCount();
        }
        return defaultMaxInFlight(limit);
    }

    /** {@link #defaultMaxInFlight()} for a file descriptor limit of {@code fileDescriptorLimit} (≤ 0: unknown). */
    static int defaultMaxInFlight(long fileDescriptorLimit) {
        if (fileDescriptorLimit <= 0) {
            return DEFAULT_MAX_IN_FLIGHT;
        }
        return (int) Math.min(DEFAULT_MAX_IN_FLIGHT, Math.max(64, fileDescriptorLimit / 2));
    }
    /**
     * How late a timeout's verdict may reach its monitor, after the engine's deadline, before the engine counts as
     * having been behind: far beyond what healthy scheduling shows at 20,000 services (lag p99 of a few ms to tens of
     * ms, one 10 ms tick of the deadline wheel) and beyond GC pauses, so that only real starvation excuses a timeout.
     */
    public static final long BEHIND_TOLERANCE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    /**
     * A line in which every check granted a slot for {@link #STANDING_LINE_NANOS} had waited at least this long is a
     * standing one: the lag target of a fleet at 1 s (p99 ≤ 50 ms).
     */
    static final long LONG_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** See {@link #LONG_WAIT_NANOS}: one interval of the usual fleet. */
    static final long STANDING_LINE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long NEVER = Long.MIN_VALUE;

    private final int maxInFlight;
    private final LongSupplier nanoTime;
    private final ConcurrentMap<String, Slots> byType = new ConcurrentHashMap<>();

    /** @param maxInFlight checks in flight per checker type; 0 for no cap */
    public CheckLoad(int maxInFlight) {
        this(maxInFlight, System::nanoTime);
    }

    /**
     * @param maxInFlight checks in flight per checker type; 0 for no cap
     * @param nanoTime the clock that times the waits in line (the engine's scheduler's, virtual in tests)
     */
    public CheckLoad(int maxInFlight, LongSupplier nanoTime) {
        if (maxInFlight < 0) {
            throw new IllegalArgumentException("maxInFlightChecks must be 0 (no cap) or more, got " + maxInFlight);
        }
        this.maxInFlight = maxInFlight;
        this.nanoTime = nanoTime;
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
        /**
         * Monitors waiting for a slot, oldest first; a set, because under overload thousands wait and a service
         * removed from the engine leaves the line from anywhere in it. Guarded by {@code this}.
         */
        private final Set<Waiter> waiters = new LinkedHashSet<>();
        /** {@code waiters.size()}, readable without the lock: the hot path only looks at this. */
        private volatile int waiting;
        /** Since when every check granted a slot from the line had waited long; {@link #NEVER}. Guarded by this. */
        private long longWaitsSince = NEVER;
        /** Whether the line stands ({@link #shedding()}). */
        private volatile boolean shedding;

        private Slots() {
        }

        /** Takes a slot for a check cycle; false when the type's cap is reached or others wait for one. Never waits. */
        public boolean tryAcquire() {
            // (no line stands when none waits: the grant or the leave that emptied it said so, lineGone)
            return waiting == 0 && take();
        }

        /**
         * Whether the line stands: for {@link #STANDING_LINE_NANOS}, every check granted a slot had waited at least
         * {@link #LONG_WAIT_NANOS}. Then the ticks that find the cap reached are skipped instead of joining the line
         * (a service whose last tick was skipped still joins it, so that every one is checked in turn).
         *
         * <p>A line alone never drains once the checks it lets through are slow because of the load it sends (the
         * targets, or aegis' own loops, working through the cap's worth of requests): as many checks join it per
         * second as leave it, each late by the same wait, for good. Measured: after 20,000 services dropped to
         * 10,000, every check stayed 30-300 ms late with the CPU half idle. Shedding what joins it lets it drain, as
         * CoDel does for a router's queue.
         */
        public boolean shedding() {
            return shedding;
        }

        /**
         * Gets in line for a slot (after {@link #tryAcquire()} said no): {@code onGranted} runs when one is this
         * monitor's, on the thread that freed it (so it must only hand on, to the monitor's executor), or at once on
         * this thread when one came free meanwhile. Call {@link Waiter#cancel()} to leave the line.
         */
        public Waiter request(Consumer<Waiter> onGranted) {
            Waiter waiter = new Waiter(onGranted, nanoTime.getAsLong());
            synchronized (this) {
                waiters.add(waiter);
                waiting = waiters.size();
            }
            // A slot freed before we were in line was not offered to us: look again now that we are.
            grantWaiters();
            return waiter;
        }

        private boolean take() {
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

        /** Gives a slot back: to the first in line, if any. */
        public void release() {
            inFlight.decrementAndGet();
            if (waiting > 0) {
                grantWaiters();
            }
        }

        /** Hands free slots to the waiters, oldest first; each runs its {@code onGranted} outside the lock. */
        private void grantWaiters() {
            while (true) {
                Waiter next;
                synchronized (this) {
                    if (waiters.isEmpty() || !take()) {
                        return;
                    }
                    Iterator<Waiter> first = waiters.iterator();
                    next = first.next();
                    first.remove();
                    waiting = waiters.size();
                    waited(next.sinceNanos);
                }
                next.onGranted.accept(next);
            }
        }

        /** A check granted a slot had waited in line since {@code sinceNanos}: is the line standing? */
        private void waited(long sinceNanos) {
            long now = nanoTime.getAsLong();
            if (now - sinceNanos < LONG_WAIT_NANOS || waiters.isEmpty()) {
                lineGone();
            } else if (longWaitsSince == NEVER) {
                longWaitsSince = now;
            } else if (now - longWaitsSince >= STANDING_LINE_NANOS) {
                shedding = true;
            }
        }

        /** No line stands (any more): the next one is judged afresh. Under the lock. */
        private void lineGone() {
            longWaitsSince = NEVER;
            shedding = false;
        }

        /** A place in line for a slot. */
        public final class Waiter implements PlaceInLine {
            private final Consumer<Waiter> onGranted;
            private final long sinceNanos;

            private Waiter(Consumer<Waiter> onGranted, long sinceNanos) {
                this.onGranted = onGranted;
                this.sinceNanos = sinceNanos;
            }

            /** Leaves the line. False when too late: the slot was granted, and {@code onGranted} has it (or will). */
            public boolean cancel() {
                synchronized (Slots.this) {
                    boolean removed = waiters.remove(this);
                    waiting = waiters.size();
                    if (waiters.isEmpty()) {
                        lineGone(); // emptied by leavers (services removed)
                    }
                    return removed;
                }
            }
        }

        /** Check cycles of this type in flight now. */
        public int inFlight() {
            return inFlight.get();
        }
    }
}
