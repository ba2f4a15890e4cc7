package io.aegis.benchmarks.jmh;

import io.aegis.core.internal.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hashed timer wheel (Varghese and Lauck; the shape of Netty's {@code HashedWheelTimer}) for the engine's
 * deadlines: one per check, and almost all of them cancelled because the check answered first.
 *
 * <p>A {@code ScheduledThreadPoolExecutor} pays for each deadline with a lock shared with its timer thread and an
 * O(log n) insert plus an O(log n) removal on cancel, in a queue that also holds every service's tick (40,000
 * entries at 20,000 services). Here scheduling pushes the timeout onto a lock-free stack (one CAS, no lock, no
 * wake-up), cancelling is one CAS on the timeout, and the wheel's own thread sorts new timeouts into buckets and
 * fires the due ones every {@link #DEFAULT_TICK} tick. A deadline fires up to one tick late, which is nothing
 * against the timeouts it guards (the engine's deadline already has 100 ms or more of slack). Cancelled timeouts
 * leave their bucket when the wheel passes it.
 *
 * <p>Tasks run on the wheel's thread and must only hand work on, as every {@link Scheduler} task must.
 */
final class OwnTimerWheel implements AutoCloseable {
    /** The wheel's resolution. */
    public static final long DEFAULT_TICK = TimeUnit.MILLISECONDS.toNanos(10);
    /** Buckets: 512 ticks of 10 ms is one turn of 5.12 s, longer than most deadlines, so most need no rounds. */
    static final int BUCKETS = 512;
    private static final Logger log = LoggerFactory.getLogger(OwnTimerWheel.class);

    private final long tickNanos;
    private final List<List<Timeout>> buckets = new ArrayList<>(BUCKETS);
    /** Timeouts scheduled since the wheel's thread last looked, newest first (a Treiber stack through next). */
    private final AtomicReference<Timeout> added = new AtomicReference<>();
    private final Thread thread;
    private final long startNanos;
    private volatile boolean closed;
    /** Ticks processed so far; only the wheel's thread touches it. */
    private long tick;

    /** Starts a wheel of {@link #DEFAULT_TICK} ticks on a daemon thread named {@code threadName}. */
    OwnTimerWheel(String threadName) {
        this(threadName, DEFAULT_TICK);
    }

    OwnTimerWheel(String threadName, long tickNanos) {
        this.tickNanos = tickNanos;
        for (int i = 0; i < BUCKETS; i++) {
            buckets.add(new ArrayList<>());
        }
        this.startNanos = System.nanoTime();
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Runs {@code task} once after {@code delayNanos} (up to one tick later).
     *
     * @throws RejectedExecutionException when the wheel is closed
     */
    public Scheduler.Task schedule(Runnable task, long delayNanos) {
        if (closed) {
            throw new RejectedExecutionException("the timer wheel is closed");
        }
        Timeout timeout = new Timeout(task, System.nanoTime() + Math.max(0, delayNanos));
        Timeout head;
        do {
            head = added.get();
            timeout.next = head;
        } while (!added.compareAndSet(head, timeout));
        return timeout;
    }

    /** Stops the thread; timeouts not yet fired never fire. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }

    private void run() {
        while (!closed) {
            long tickEnd = startNanos + (tick + 1) * tickNanos;
            long wait;
            while ((wait = tickEnd - System.nanoTime()) > 0 && !closed) {
                LockSupport.parkNanos(this, wait);
            }
            if (closed) {
                return;
            }
            try {
                sortAdded();
                expire(buckets.get((int) (tick & (BUCKETS - 1))));
            } catch (RuntimeException | Error e) {
                log.error("the engine's deadline timer failed a tick; it keeps running", e);
            }
            tick++;
        }
    }

    /** Moves the timeouts scheduled meanwhile into their buckets. */
    private void sortAdded() {
        Timeout timeout = added.getAndSet(null);
        while (timeout != null) {
            Timeout next = timeout.next;
            timeout.next = null;
            if (timeout.state == Timeout.PENDING) {
                // The tick whose end passes the deadline; never one already processed.
                long dueTick = Math.max(tick, (timeout.deadlineNanos - startNanos + tickNanos - 1) / tickNanos - 1);
                timeout.rounds = (dueTick - tick) / BUCKETS;
                buckets.get((int) (dueTick & (BUCKETS - 1))).add(timeout);
            }
            timeout = next;
        }
    }

    private void expire(List<Timeout> bucket) {
        int kept = 0;
        for (int i = 0; i < bucket.size(); i++) {
            Timeout timeout = bucket.get(i);
            if (timeout.state != Timeout.PENDING) {
                continue;
            }
            if (timeout.rounds > 0) {
                timeout.rounds--;
                bucket.set(kept++, timeout);
                continue;
            }
            if (Timeout.STATE.compareAndSet(timeout, Timeout.PENDING, Timeout.FIRED)) {
                try {
                    timeout.task.run();
                } catch (RuntimeException e) {
                    log.warn("a deadline's task failed", e);
                }
            }
        }
        // Drop what fired or was cancelled; keep the ones for later turns.
        bucket.subList(kept, bucket.size()).clear();
    }

    private static final class Timeout implements Scheduler.Task {
        static final int PENDING = 0;
        static final int CANCELLED = 1;
        static final int FIRED = 2;
        static final AtomicIntegerFieldUpdater<Timeout> STATE =
                AtomicIntegerFieldUpdater.newUpdater(Timeout.class, "state");

        final Runnable task;
        final long deadlineNanos;
        volatile int state;
        /** Turns of the wheel left; the wheel's thread only. */
        long rounds;
        /** The next in the stack of added timeouts; the wheel's thread clears it. */
        Timeout next;

        Timeout(Runnable task, long deadlineNanos) {
            this.task = task;
            this.deadlineNanos = deadlineNanos;
        }

        @Override
        public void cancel() {
            STATE.compareAndSet(this, PENDING, CANCELLED);
        }
    }
}
