package io.aegis.core.internal;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The tasks handed to an engine's pools and not finished yet, for an engine on virtual time: after each step of time
 * the test kit's harness waits until none is left (and no plugin call is outstanding) before the next, so that what
 * a timer set off has happened before time moves on. Production pools are not counted ({@link #pool} with null).
 */
public final class WorkInFlight {
    private final AtomicInteger tasks = new AtomicInteger();
    private final AtomicLong started = new AtomicLong();

    /** {@return how many tasks were handed to the counted pools and have not finished} */
    public int tasks() {
        return tasks.get();
    }

    /** {@return how many tasks were ever handed to the counted pools: a new one changes it} */
    public long started() {
        return started.get();
    }

    /**
     * A {@link ThreadPoolExecutor} as its constructor makes one, whose tasks {@code work} counts from
     * {@code execute} to their end; a plain one when {@code work} is null.
     */
    public static ThreadPoolExecutor pool(WorkInFlight work, int coreSize, int maxSize, long keepAlive, TimeUnit unit,
            BlockingQueue<Runnable> queue, ThreadFactory threads) {
        if (work == null) {
            return new ThreadPoolExecutor(coreSize, maxSize, keepAlive, unit, queue, threads);
        }
        return new ThreadPoolExecutor(coreSize, maxSize, keepAlive, unit, queue, threads) {
            @Override
            public void execute(Runnable task) {
                // Counted before the hand-over, so a task handing work on is never seen as the last one finishing.
                work.tasks.incrementAndGet();
                work.started.incrementAndGet();
                try {
                    super.execute(task);
                } catch (RuntimeException | Error e) {
                    work.tasks.decrementAndGet();
                    throw e;
                }
            }

            @Override
            protected void afterExecute(Runnable task, Throwable error) {
                work.tasks.decrementAndGet();
            }
        };
    }
}
