package io.aegis.plugin.support;

import java.time.Duration;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Creates named daemon threads, so a plugin's pool never keeps the JVM alive and shows up clearly in a
 * thread dump ({@code aegis-http-1}, {@code aegis-docker-events-1}). It remembers the threads that still live, so
 * that a {@code close()} can wait for them with {@link #joinAll} after shutting its executor down.
 */
public final class DaemonThreadFactory implements ThreadFactory {
    private final String prefix;
    private final AtomicInteger counter = new AtomicInteger();
    private final Queue<Thread> created = new ConcurrentLinkedQueue<>();

    /**
     * Creates a factory whose threads are called {@code prefix-1}, {@code prefix-2}, ...
     *
     * @param prefix the name of the pool, e.g. {@code aegis-http}
     */
    public DaemonThreadFactory(String prefix) {
        this.prefix = Objects.requireNonNull(prefix, "prefix");
    }

    /**
     * Creates a daemon thread called {@code prefix-n}, not started.
     *
     * @param task what the thread runs
     * @return the thread
     */
    @Override
    public Thread newThread(Runnable task) {
        Thread thread = new Thread(task, prefix + "-" + counter.incrementAndGet());
        thread.setDaemon(true);
        // Idle pool threads time out and are replaced: forget the dead ones rather than collect them forever.
        created.removeIf(old -> old.getState() == Thread.State.TERMINATED);
        created.add(thread);
        return thread;
    }

    /**
     * Waits for every thread this factory created to end: {@link java.util.concurrent.ExecutorService#awaitTermination}
     * returns once the tasks are done, a moment before the threads themselves are gone.
     *
     * @param timeout how long to wait at most, for all of them together
     * @return whether all of them ended within {@code timeout}
     * @throws InterruptedException when the calling thread is interrupted while it waits
     */
    public boolean joinAll(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread thread : created) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return created.stream().noneMatch(Thread::isAlive);
            }
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
        return created.stream().noneMatch(Thread::isAlive);
    }
}
