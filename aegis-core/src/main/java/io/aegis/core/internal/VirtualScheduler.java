package io.aegis.core.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} on virtual time, for tests (the model is OkHttp's TaskFaker and Reactor's
 * VirtualTimeScheduler): nothing runs until the test calls {@link #advance}, which runs every task due by then in
 * order of due time (tasks scheduled meanwhile included) on the calling thread, moving the clock to each task's
 * time. With direct executors for the workers and plugin calls, a five-minute backoff is tested in a millisecond
 * and every run is the same. {@link #clock()} reads the same virtual time. Thread-safe: an engine on real threads
 * may schedule and cancel from any of them while one test thread advances (the test kit's engine harness does, with
 * {@link #runNext} and {@link #pendingDeadlines} to let the engine's threads settle between tasks).
 */
public final class VirtualScheduler implements Scheduler {
    private final Instant epoch;
    private final PriorityQueue<Entry> queue = new PriorityQueue<>();
    private long nowNanos;
    private long sequence;
    private int pendingDeadlines;
    private long deadlinesScheduled;

    /** A scheduler whose clock starts at {@code start}. */
    public VirtualScheduler(Instant start) {
        this.epoch = start;
    }

    @Override
    public synchronized long nanoTime() {
        return nowNanos;
    }

    /** The virtual time as an instant. */
    public synchronized Instant now() {
        return epoch.plusNanos(nowNanos);
    }

    /** A clock that reads the virtual time. */
    public Clock clock() {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                throw new UnsupportedOperationException("a virtual clock has one zone");
            }

            @Override
            public Instant instant() {
                return now();
            }
        };
    }

    @Override
    public synchronized Task schedule(Runnable task, Duration delay) {
        return add(new Entry(task, nowNanos + Math.max(0, delay.toNanos()), 0, sequence++, -1));
    }

    @Override
    public synchronized Task scheduleAtFixedRate(Runnable task, Duration initialDelay, Duration period) {
        return add(new Entry(task, nowNanos + Math.max(0, initialDelay.toNanos()), period.toNanos(), sequence++,
                -1));
    }

    /** As {@link #schedule}, counted among the {@link #pendingDeadlines} until it runs or is cancelled. */
    @Override
    public synchronized Task deadline(Runnable task, Duration delay) {
        pendingDeadlines++;
        return add(new Entry(task, nowNanos + Math.max(0, delay.toNanos()), 0, sequence++, deadlinesScheduled++));
    }

    private Task add(Entry entry) {
        queue.add(entry);
        return () -> cancel(entry);
    }

    private synchronized void cancel(Entry entry) {
        if (queue.remove(entry) && entry.isDeadline()) {
            pendingDeadlines--;
        }
    }

    /** Moves time forward by {@code duration}, running every task that falls due, in order. */
    public void advance(Duration duration) {
        long target;
        synchronized (this) {
            target = nowNanos + duration.toNanos();
        }
        while (runNext(target)) {
            // one task at a time: each may schedule more, due before the target too
        }
        moveTo(target);
    }

    /**
     * Runs the earliest task due at or before {@code targetNanos} (on {@link #nanoTime()}'s scale), first moving time
     * to its due time; false, running nothing, when none is due by then.
     */
    public boolean runNext(long targetNanos) {
        Entry next;
        synchronized (this) {
            next = queue.peek();
            if (next == null || next.dueNanos > targetNanos) {
                return false;
            }
            queue.poll();
            nowNanos = Math.max(nowNanos, next.dueNanos);
            if (next.periodNanos > 0) {
                next.dueNanos += next.periodNanos;
                next.order = sequence++;
                queue.add(next);
            } else if (next.isDeadline()) {
                pendingDeadlines--;
            }
        }
        next.task.run();
        return true;
    }

    /** Moves time to {@code targetNanos} (never back) without running anything. */
    public synchronized void moveTo(long targetNanos) {
        nowNanos = Math.max(nowNanos, targetNanos);
    }

    /** Runs what is due now without moving time. */
    public void runDue() {
        advance(Duration.ZERO);
    }

    /** How many tasks wait. */
    public synchronized int pending() {
        return queue.size();
    }

    /**
     * How many {@link #deadline deadlines} wait: each is a call into a plugin whose stage has not completed yet (the
     * engine cancels a call's deadline when its stage completes).
     */
    public synchronized int pendingDeadlines() {
        return pendingDeadlines;
    }

    /** How many {@link #deadline deadlines} were ever scheduled: the number the next one will get. */
    public synchronized long deadlinesScheduled() {
        return deadlinesScheduled;
    }

    /**
     * How many of the {@link #pendingDeadlines} were scheduled at or after {@code mark}, a value
     * {@link #deadlinesScheduled} returned: the plugin calls a caller has not already given up waiting for.
     */
    public synchronized int pendingDeadlinesSince(long mark) {
        int count = 0;
        for (Entry entry : queue) {
            if (entry.isDeadline() && entry.deadlineNumber >= mark) {
                count++;
            }
        }
        return count;
    }

    private static final class Entry implements Comparable<Entry> {
        private final Runnable task;
        private final long periodNanos;
        /** Its number among the deadlines; -1 for any other task. */
        private final long deadlineNumber;
        private long dueNanos;
        private long order;

        Entry(Runnable task, long dueNanos, long periodNanos, long order, long deadlineNumber) {
            this.task = task;
            this.dueNanos = dueNanos;
            this.periodNanos = periodNanos;
            this.order = order;
            this.deadlineNumber = deadlineNumber;
        }

        boolean isDeadline() {
            return deadlineNumber >= 0;
        }

        @Override
        public int compareTo(Entry other) {
            int byTime = Long.compare(dueNanos, other.dueNanos);
            return byTime != 0 ? byTime : Long.compare(order, other.order);
        }
    }
}
