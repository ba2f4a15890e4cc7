package io.aegis.core.internal;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The engine's threads for plugin work that blocks, one set per purpose, so that no purpose waits behind
 * another: 32 hung scripts must not delay the restart of a crashed process or the delivery of its alert.
 *
 * <ul>
 *   <li>{@link #runtimeWork()}: runtimes' blocking work (launching a process, calling a CLI);
 *   <li>{@link #notifierWork()}: notifiers' blocking work;
 *   <li>{@link #blockingChecks()}: checkers' blocking work, with the limit on blocking checks (scripts);
 *   <li>{@link #deadlines()}: the timer wheel of the deadlines on plugin calls (one per check).
 * </ul>
 * Every pool is bounded, starts its threads on demand and lets idle ones go after 30 s.
 */
public final class EnginePools implements AutoCloseable {
    /** Threads for runtime work: process launches are short, so these are rarely all busy. */
    static final int RUNTIME_THREADS = 16;
    /** Threads for notifier work. */
    static final int NOTIFIER_THREADS = 4;

    private final ThreadPoolExecutor runtimeWork;
    private final ThreadPoolExecutor notifierWork;
    private final BlockingChecks blockingChecks;
    private final TimerWheel deadlines;

    /** @param maxConcurrentBlockingChecks {@code global.maxConcurrentBlockingChecks}, at least 1 */
    public EnginePools(int maxConcurrentBlockingChecks) {
        this.blockingChecks = new BlockingChecks(maxConcurrentBlockingChecks, daemonThreads("aegis-check-%d"),
                daemonThreads("aegis-check-shared-%d"));
        this.runtimeWork = pool(RUNTIME_THREADS, "aegis-runtime-%d");
        this.notifierWork = pool(NOTIFIER_THREADS, "aegis-notifier-%d");
        this.deadlines = new TimerWheel("aegis-deadlines");
    }

    /** The timer of the deadlines on plugin calls (see {@link Scheduler#deadline}). */
    public TimerWheel deadlines() {
        return deadlines;
    }

    /** The {@code blockingExecutor} of runtimes. */
    public Executor runtimeWork() {
        return runtimeWork;
    }

    /** The {@code blockingExecutor} of notifiers. */
    public Executor notifierWork() {
        return notifierWork;
    }

    /** The limit on blocking checks and the {@code blockingExecutor} of checkers. */
    public BlockingChecks blockingChecks() {
        return blockingChecks;
    }

    /** Stops every pool; work still running is interrupted. */
    @Override
    public void close() {
        blockingChecks.close();
        runtimeWork.shutdownNow();
        notifierWork.shutdownNow();
        deadlines.close();
    }

    private static ThreadPoolExecutor pool(int threads, String nameFormat) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemonThreads(nameFormat));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static ThreadFactory daemonThreads(String nameFormat) {
        return new ThreadFactoryBuilder().setNameFormat(nameFormat).setDaemon(true).build();
    }
}
