package io.aegis.core.internal;

import com.google.common.util.concurrent.MoreExecutors;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The engine's limit on checks that block (scripts), and the threads they run on.
 *
 * <p>A monitor asks for a {@link Permit} before it starts a blocking check. With none free it may wait in
 * line ({@link #request}), first come first served, so that services whose ticks come a little later are not
 * starved by those that tick first; the monitor gives up (and skips the tick) when the check could no longer
 * end before its next tick. Waiting is not part of the check: its timeout starts when it is granted a permit
 * and starts. The pool has exactly as many threads as there are permits, and a permit goes back only when
 * the check has its verdict <em>and</em> the work it handed over has returned its thread (a killed script's
 * reader may finish after the verdict): so a granted check always finds a free thread. The work of one
 * permit runs on one thread at a time.
 *
 * <p>Work reaches the permit's thread through {@link #executor()}, the {@code blockingExecutor} of every
 * checker: the engine marks the thread that calls {@code check()} of an admitted check, and what that call
 * hands over belongs to the check. Work handed over without a permit (a third-party checker that does not
 * declare itself blocking, or a callback on another thread) runs on a separate bounded pool for checker
 * work, as before, so it can neither take a permit's thread nor delay process launches or alert delivery.
 */
public final class BlockingChecks implements AutoCloseable {
    /** Default of {@code global.maxConcurrentBlockingChecks}. */
    public static final int DEFAULT_LIMIT = 16;
    /** Threads for checker work without a permit: what the single shared pool had before. */
    static final int SHARED_THREADS = 16;

    private final int limit;
    /** Permits not held by anyone. Guarded by {@code this}. */
    private int available;
    /** Monitors waiting for a permit, oldest first. Guarded by {@code this}. */
    private final Deque<Waiter> waiters = new ArrayDeque<>();
    private final ThreadPoolExecutor permitThreads;
    private final ThreadPoolExecutor sharedThreads;
    private final ThreadLocal<Permit> calling = new ThreadLocal<>();
    private final Executor executor = this::execute;

    /**
     * @param limit how many blocking checks may run at once, at least 1
     * @param threads creates the threads of both pools; they are named by the factory
     * @param sharedThreadFactory threads for checker work without a permit
     */
    public BlockingChecks(int limit, ThreadFactory threads, ThreadFactory sharedThreadFactory) {
        if (limit < 1) {
            throw new IllegalArgumentException("the limit of blocking checks must be at least 1, got " + limit);
        }
        this.limit = limit;
        this.available = limit;
        this.permitThreads = new ThreadPoolExecutor(limit, limit, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                threads);
        permitThreads.allowCoreThreadTimeOut(true);
        this.sharedThreads = new ThreadPoolExecutor(SHARED_THREADS, SHARED_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), sharedThreadFactory);
        sharedThreads.allowCoreThreadTimeOut(true);
    }

    /** How many blocking checks may run at once. */
    public int limit() {
        return limit;
    }

    /** How many permits are held right now (checks running, or their work still returning its thread). */
    public synchronized int inUse() {
        return limit - available;
    }

    /** The {@code blockingExecutor} for checkers' {@code CheckerSpec}. */
    public Executor executor() {
        return executor;
    }

    /**
     * A permit for one blocking check, or empty when {@link #limit()} checks are running or others wait for
     * one (they come first). Never waits.
     */
    public synchronized Optional<Permit> tryAcquire() {
        if (available == 0 || !waiters.isEmpty()) {
            return Optional.empty();
        }
        available--;
        return Optional.of(new Permit());
    }

    /**
     * Gets in line for a permit: {@code onGranted} receives it when one comes free, on the thread that frees
     * it (so it must only hand the permit over, say to the monitor's executor). Call {@link #tryAcquire()}
     * first; call {@link Waiter#cancel()} to leave the line.
     */
    public synchronized Waiter request(Consumer<Permit> onGranted) {
        Waiter waiter = new Waiter(onGranted);
        waiters.add(waiter);
        return waiter;
    }

    /** A permit went back: to the first in line, else to the pool of free permits. */
    private void released() {
        Waiter next;
        synchronized (this) {
            next = waiters.poll();
            if (next == null) {
                available++;
                return;
            }
        }
        next.onGranted.accept(new Permit());
    }

    /** A place in line for a permit. */
    public final class Waiter implements PlaceInLine {
        private final Consumer<Permit> onGranted;

        private Waiter(Consumer<Permit> onGranted) {
            this.onGranted = onGranted;
        }

        /**
         * Leaves the line. Returns false when too late: the permit was granted, and {@code onGranted} has it
         * (or is about to).
         */
        public boolean cancel() {
            synchronized (BlockingChecks.this) {
                return waiters.remove(this);
            }
        }
    }

    /** Stops both pools; work still running is interrupted. */
    @Override
    public void close() {
        permitThreads.shutdownNow();
        sharedThreads.shutdownNow();
    }

    private void execute(Runnable task) {
        Permit permit = calling.get();
        if (permit == null) {
            sharedThreads.execute(task);
        } else {
            permit.execute(task);
        }
    }

    /**
     * One admitted blocking check. Held by the check until {@link #checkEnded()}, and by each piece of work it
     * handed over until that work returns; the permit goes back when all have let go.
     */
    public final class Permit {
        /** The check itself, plus each piece of work not yet finished. */
        private final AtomicInteger holders = new AtomicInteger(1);
        private final Executor oneThread = MoreExecutors.newSequentialExecutor(permitThreads);
        private boolean checkEnded;

        private Permit() {
        }

        /** Calls {@code call} (the checker's {@code check()}) so that the work it hands over uses this permit. */
        public <T> T call(Supplier<T> call) {
            Permit outer = calling.get();
            calling.set(this);
            try {
                return call.get();
            } finally {
                if (outer == null) {
                    calling.remove();
                } else {
                    calling.set(outer);
                }
            }
        }

        /** The check has its verdict (or was given up); idempotent. */
        public synchronized void checkEnded() {
            if (!checkEnded) {
                checkEnded = true;
                release();
            }
        }

        private void execute(Runnable task) {
            holders.incrementAndGet();
            try {
                oneThread.execute(() -> {
                    try {
                        task.run();
                    } finally {
                        release();
                    }
                });
            } catch (RejectedExecutionException e) {
                release();
                throw e;
            }
        }

        private void release() {
            if (holders.decrementAndGet() == 0) {
                released();
            }
        }
    }
}
