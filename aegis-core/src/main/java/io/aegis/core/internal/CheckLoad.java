package io.aegis.core.internal;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * How the engine degrades under overload instead of collapsing: the cap on checks in flight per checker type
 * ({@code global.maxInFlightChecks}), and how late a timeout's verdict may reach its monitor before the timeout is
 * put down to the engine's own starvation ({@link #BEHIND_TOLERANCE_NANOS}). Shared by every monitor of one engine;
 * thread-safe.
 *
 * <p>The cap has the shape of {@link BlockingChecks}' limit: a monitor takes a slot before its cycle starts and
 * gives it back when the cycle ends; without one it waits in line, first come first served, but only while its
 * check could still end before its next tick (then the tick is skipped and counted as {@code overload}). Without
 * the line the services whose ticks come just after a burst of others would find the cap reached every time and
 * never be checked (hostile-test F4). Checkers that block (scripts) are limited by {@link BlockingChecks} instead.
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

    /** How long a starved monitor's claim on the next free slot lasts if it does not come back for it. */
    static final long STALE_CLAIM_NANOS = TimeUnit.MINUTES.toNanos(1);

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
        /** Monitors waiting for a slot, oldest first. Guarded by {@code this}. */
        private final Deque<Waiter> waiters = new ArrayDeque<>();
        /** {@code waiters.size()}, readable without the lock: the hot path only looks at this. */
        private volatile int waiting;
        /**
         * Monitors whose tick was skipped because the cap was reached and they could not wait (their check could
         * not have ended before their next tick), longest-starved first, with when each was first skipped. A free
         * slot is kept for the first of them until its next tick comes: otherwise the services whose ticks come just
         * after a slot frees (say, those whose targets hang and hold their slot for their whole timeout) would win
         * it every time, and the others would never be checked again. Guarded by {@code this}.
         */
        private final LinkedHashMap<Object, Long> starved = new LinkedHashMap<>();
        /** {@code starved.size()}, readable without the lock. */
        private volatile int starving;

        private Slots() {
        }

        /** Takes a slot for a check cycle; false when the type's cap is reached or others wait for one. Never waits. */
        public boolean tryAcquire() {
            return tryAcquire(null);
        }

        /**
         * As {@link #tryAcquire()}, for {@code monitor}, while monitors are starved ({@link #starved}): one free slot
         * is kept for the longest-starved until its next tick; the other starved take any other free slot at their
         * ticks; the rest get one only if more stay free than there are starved monitors.
         *
         * <p>Not only the longest-starved gets a slot: when the cap was reached by a burst (10,000 services' first
         * checks, each opening a connection), thousands are starved and come back at their own ticks, in another
         * order than they starved in. Had only the first of them been let in, all the others would have been turned
         * away again with the slots free: a few checks per second with the cap empty, for good. The one slot kept
         * for the longest-starved still means that no service loses every time to those whose ticks come first.
         */
        public boolean tryAcquire(Object monitor) {
            if (starving == 0) {
                return waiting == 0 && take();
            }
            synchronized (this) {
                dropStale();
                if (monitor != null && starved.containsKey(monitor)) {
                    boolean longestStarved = starved.keySet().iterator().next().equals(monitor);
                    if (!(longestStarved || freeSlots() > 1) || !take()) {
                        return false;
                    }
                    starved.remove(monitor);
                    starving = starved.size();
                    return true;
                }
                return waiting == 0 && freeSlots() > starved.size() && take();
            }
        }

        /** {@code monitor}'s tick was skipped for want of a slot: it is owed one, after those owed one before it. */
        public void starved(Object monitor) {
            if (maxInFlight == 0) {
                return;
            }
            synchronized (this) {
                starved.putIfAbsent(monitor, System.nanoTime());
                starving = starved.size();
            }
        }

        /** {@code monitor} is gone (closed): it is owed nothing any more. */
        public void forget(Object monitor) {
            synchronized (this) {
                if (starved.remove(monitor) != null) {
                    starving = starved.size();
                }
            }
            if (waiting > 0) {
                grantWaiters();
            }
        }

        /** A first-owed monitor that has not come back for a minute (paused, in a recovery) gives up its claim. */
        private void dropStale() {
            Iterator<Long> firstSkipped = starved.values().iterator();
            long now = System.nanoTime();
            while (firstSkipped.hasNext() && now - firstSkipped.next() > STALE_CLAIM_NANOS) {
                firstSkipped.remove();
            }
            starving = starved.size();
        }

        private int freeSlots() {
            return maxInFlight - inFlight.get();
        }

        /**
         * Gets in line for a slot (after {@link #tryAcquire()} said no): {@code onGranted} runs when one is this
         * monitor's, on the thread that freed it (so it must only hand on, to the monitor's executor), or at once on
         * this thread when one came free meanwhile. Call {@link Waiter#cancel()} to leave the line.
         */
        public Waiter request(Consumer<Waiter> onGranted) {
            Waiter waiter = new Waiter(onGranted);
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
                    // the slots owed to starved monitors are not for the waiters
                    if (waiters.isEmpty() || (starving > 0 && freeSlots() <= starved.size()) || !take()) {
                        return;
                    }
                    next = waiters.poll();
                    waiting = waiters.size();
                }
                next.onGranted.accept(next);
            }
        }

        /** A place in line for a slot. */
        public final class Waiter implements PlaceInLine {
            private final Consumer<Waiter> onGranted;

            private Waiter(Consumer<Waiter> onGranted) {
                this.onGranted = onGranted;
            }

            /** Leaves the line. False when too late: the slot was granted, and {@code onGranted} has it (or will). */
            public boolean cancel() {
                synchronized (Slots.this) {
                    boolean removed = waiters.remove(this);
                    waiting = waiters.size();
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
