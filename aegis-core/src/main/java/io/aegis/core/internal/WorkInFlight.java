package io.aegis.core.internal;

import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
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
    /** The numbers of the tasks in flight, in the order {@link #started} gave them. */
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();

    /** {@return how many tasks were handed to the counted pools and have not finished} */
    public int tasks() {
        return tasks.get();
    }

    /** {@return how many tasks were ever handed to the counted pools: the number the next one will get} */
    public long started() {
        return started.get();
    }

    /**
     * {@return how many of the tasks in flight were handed over at or after {@code mark}, a value {@link #started}
     * returned: the ones a caller has not already given up waiting for}
     */
    public int inFlightSince(long mark) {
        int count = 0;
        for (long number : inFlight) {
            if (number >= mark) {
                count++;
            }
        }
        return count;
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
                Numbered numbered = new Numbered(work.started.getAndIncrement(), task);
                work.inFlight.add(numbered.number);
                work.tasks.incrementAndGet();
                try {
                    super.execute(numbered);
                } catch (RuntimeException | Error e) {
                    work.ended(numbered);
                    throw e;
                }
            }

            @Override
            protected void afterExecute(Runnable task, Throwable error) {
                work.ended((Numbered) task);
            }
        };
    }

    private void ended(Numbered task) {
        inFlight.remove(task.number);
        tasks.decrementAndGet();
    }

    /** A task with the number {@link #started} gave it. */
    private record Numbered(long number, Runnable task) implements Runnable {
        @Override
        public void run() {
            task.run();
        }
    }
}
