package io.aegis.core.internal;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The engine's timer for deadlines (one per check, almost all of them cancelled because the check answered
 * first): Netty's {@link HashedWheelTimer} (Varghese and Lauck's hashed wheel) on a daemon thread of its own.
 *
 * <p>A {@code ScheduledThreadPoolExecutor} pays for each deadline with a lock shared with its timer thread and an
 * O(log n) insert plus an O(log n) removal on cancel, in a queue that also holds every service's tick (40,000
 * entries at 20,000 services). On the wheel, scheduling and cancelling each put the timeout on a lock-free queue
 * that the wheel's thread works off once a {@link #DEFAULT_TICK} tick. A deadline fires up to one tick late, which is
 * nothing against the timeouts it guards (the engine's deadline already has 100 ms or more of slack).
 *
 * <p>Tasks run on the wheel's thread and must only hand work on, as every {@link Scheduler} task must.
 */
public final class TimerWheel implements AutoCloseable {
    /** The wheel's resolution. */
    public static final long DEFAULT_TICK = TimeUnit.MILLISECONDS.toNanos(10);
    /** Buckets: 512 ticks of 10 ms is one turn of 5.12 s, longer than most deadlines, so most need no rounds. */
    static final int BUCKETS = 512;

    private final HashedWheelTimer timer;

    /** Starts a wheel of {@link #DEFAULT_TICK} ticks on a daemon thread named {@code threadName}. */
    public TimerWheel(String threadName) {
        this(threadName, DEFAULT_TICK);
    }

    TimerWheel(String threadName, long tickNanos) {
        this.timer = new HashedWheelTimer(task -> {
            Thread thread = new Thread(task, threadName);
            thread.setDaemon(true);
            return thread;
        }, tickNanos, TimeUnit.NANOSECONDS, BUCKETS);
        timer.start();
    }

    /**
     * Runs {@code task} once after {@code delayNanos} (up to one tick later).
     *
     * @throws RejectedExecutionException when the wheel is closed
     */
    public Scheduler.Task schedule(Runnable task, long delayNanos) {
        Timeout timeout;
        try {
            timeout = timer.newTimeout(ignored -> task.run(), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        } catch (IllegalStateException stopped) {
            throw new RejectedExecutionException("the timer wheel is closed", stopped);
        }
        return timeout::cancel;
    }

    /** Stops the thread; timeouts not yet fired never fire. */
    @Override
    public void close() {
        timer.stop();
    }
}
