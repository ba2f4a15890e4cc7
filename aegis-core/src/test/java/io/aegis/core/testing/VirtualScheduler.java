package io.aegis.core.testing;

import io.aegis.core.internal.Scheduler;
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
 * and every run is the same. {@link #clock()} reads the same virtual time. Thread-safe, though meant for one
 * test thread.
 */
public final class VirtualScheduler implements Scheduler {
    private final Instant epoch;
    private final PriorityQueue<Entry> queue = new PriorityQueue<>();
    private long nowNanos;
    private long sequence;

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
        Entry entry = new Entry(task, nowNanos + Math.max(0, delay.toNanos()), 0, sequence++);
        queue.add(entry);
        return () -> cancel(entry);
    }

    @Override
    public synchronized Task scheduleAtFixedRate(Runnable task, Duration initialDelay, Duration period) {
        Entry entry = new Entry(task, nowNanos + Math.max(0, initialDelay.toNanos()), period.toNanos(), sequence++);
        queue.add(entry);
        return () -> cancel(entry);
    }

    private synchronized void cancel(Entry entry) {
        entry.cancelled = true;
        queue.remove(entry);
    }

    /** Moves time forward by {@code duration}, running every task that falls due, in order. */
    public void advance(Duration duration) {
        long target;
        synchronized (this) {
            target = nowNanos + duration.toNanos();
        }
        while (true) {
            Entry next;
            synchronized (this) {
                next = queue.peek();
                if (next == null || next.dueNanos > target) {
                    nowNanos = target;
                    return;
                }
                queue.poll();
                nowNanos = Math.max(nowNanos, next.dueNanos);
                if (next.periodNanos > 0) {
                    next.dueNanos += next.periodNanos;
                    next.order = sequence++;
                    queue.add(next);
                }
            }
            next.task.run();
        }
    }

    /** Runs what is due now without moving time. */
    public void runDue() {
        advance(Duration.ZERO);
    }

    /** How many tasks wait. */
    public synchronized int pending() {
        return queue.size();
    }

    private static final class Entry implements Comparable<Entry> {
        private final Runnable task;
        private final long periodNanos;
        private long dueNanos;
        private long order;
        private volatile boolean cancelled;

        Entry(Runnable task, long dueNanos, long periodNanos, long order) {
            this.task = task;
            this.dueNanos = dueNanos;
            this.periodNanos = periodNanos;
            this.order = order;
        }

        @Override
        public int compareTo(Entry other) {
            int byTime = Long.compare(dueNanos, other.dueNanos);
            return byTime != 0 ? byTime : Long.compare(order, other.order);
        }
    }
}
