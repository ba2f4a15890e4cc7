package io.aegis.core.internal;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Where everything in a monitor and its recovery coordinator that waits gets its time and its timers: ticks,
 * retries, backoff, deadlines on plugin calls, the end of an incident. One seam, so that tests run all of it
 * in virtual time (a test implementation with {@code advance(Duration)}, like OkHttp's TaskFaker or
 * Reactor's VirtualTimeScheduler) instead of sleeping. Tasks run on the scheduler's thread and must only
 * hand work on (to a monitor's serial executor) or do short work that never blocks: the only plugin code they run
 * is the {@code check()} of a checker bundled with Aegis ({@code NonBlockingChecker}), which a tick calls inline.
 */
public interface Scheduler {

    /** Monotonic time in nanoseconds, like {@link System#nanoTime()}: only differences mean anything. */
    long nanoTime();

    /**
     * Runs {@code task} once after {@code delay}.
     *
     * @throws RejectedExecutionException when the scheduler is shut down
     */
    Task schedule(Runnable task, Duration delay);

    /**
     * Runs {@code task} first after {@code initialDelay}, then at a fixed rate of {@code period} (a late run
     * does not shift the later ones).
     *
     * @throws RejectedExecutionException when the scheduler is shut down
     */
    Task scheduleAtFixedRate(Runnable task, Duration initialDelay, Duration period);

    /**
     * As {@link #scheduleAtFixedRate}, with the runs on {@code executor}'s own thread (a trusted checker's event
     * loop, {@code NonBlockingChecker.checkLoop()}) rather than on the timer thread: a tick then starts its check on
     * the thread that will carry it, with no wake-up of another. By default (virtual time in tests) the executor is
     * not used and the runs are timed like any other.
     *
     * @throws RejectedExecutionException when the scheduler or {@code executor} is shut down
     */
    default Task scheduleAtFixedRateOn(ScheduledExecutorService executor, Runnable task, Duration initialDelay,
            Duration period) {
        return scheduleAtFixedRate(task, initialDelay, period);
    }

    /**
     * Runs {@code task} once after about {@code delay}: for deadlines, which are almost always cancelled before they
     * fire and may fire a few milliseconds late. The production scheduler keeps them on a {@link TimerWheel}, off
     * the priority queue of the ticks; by default the same as {@link #schedule}.
     *
     * @throws RejectedExecutionException when the scheduler is shut down
     */
    default Task deadline(Runnable task, Duration delay) {
        return schedule(task, delay);
    }

    /**
     * Runs {@code task} on {@code executor} once after {@code delay} (the timer thread only hands it on); null
     * instead of an exception when the scheduler is shut down, for callers that then have nothing left to wait for.
     */
    default Task scheduleOn(Executor executor, Runnable task, Duration delay) {
        try {
            return schedule(() -> executor.execute(task), delay);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /** Cancels {@code task} when there is one (a {@link #scheduleOn} that was refused gives null). */
    static void cancel(Task task) {
        if (task != null) {
            task.cancel();
        }
    }

    /** A scheduled task. */
    interface Task {
        /** Cancels the task if it has not run yet (or stops a periodic one); running it is not interrupted. */
        void cancel();
    }

    /** The production scheduler: the engine's single timer thread and {@link System#nanoTime()}. */
    static Scheduler over(ScheduledExecutorService timer) {
        return over(timer, null);
    }

    /**
     * As {@link #over(ScheduledExecutorService)}, with {@link #deadline deadlines} on {@code deadlines} (null: on the
     * timer thread too).
     */
    static Scheduler over(ScheduledExecutorService timer, TimerWheel deadlines) {
        return new Scheduler() {
            @Override
            public Task deadline(Runnable task, Duration delay) {
                return deadlines == null ? schedule(task, delay) : deadlines.schedule(task, delay.toNanos());
            }

            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public Task schedule(Runnable task, Duration delay) {
                ScheduledFuture<?> future = timer.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
                return () -> future.cancel(false);
            }

            @Override
            public Task scheduleAtFixedRate(Runnable task, Duration initialDelay, Duration period) {
                return scheduleAtFixedRateOn(timer, task, initialDelay, period);
            }

            @Override
            public Task scheduleAtFixedRateOn(ScheduledExecutorService executor, Runnable task, Duration initialDelay,
                    Duration period) {
                ScheduledFuture<?> future = executor.scheduleAtFixedRate(task, Math.max(0, initialDelay.toNanos()),
                        period.toNanos(), TimeUnit.NANOSECONDS);
                return () -> future.cancel(false);
            }
        };
    }
}
