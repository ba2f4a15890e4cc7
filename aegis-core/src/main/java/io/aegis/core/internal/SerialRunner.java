package io.aegis.core.internal;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One monitor's serial execution over the shared worker pool (like Guava's sequential executor), which can also run
 * a task at once on the calling thread when nothing of this monitor runs or waits ({@link #runInline}): an "actor"
 * that trampolines. A tick arriving on the timer thread, or a check's verdict arriving on the checker's event loop,
 * then needs no hand-off to a worker (a futex wake-up each, which was most of the engine's CPU per check).
 *
 * <p>Tasks never overlap and each sees the effects of the ones before (the running flag is a volatile handshake).
 * A task that asks for more work while one runs (reentrant calls included) only queues it. After an inline task,
 * work queued meanwhile goes to the workers rather than being drained by the caller: the timer thread and an event
 * loop run only the task they brought, never a recovery step or a person's request that happened to queue up.
 */
final class SerialRunner implements Executor {
    private final Executor workers;
    private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
    /** Whether a thread runs (or a worker was asked to run) this monitor's tasks. */
    private final AtomicBoolean running = new AtomicBoolean();
    private final Runnable drain = this::drain;

    SerialRunner(Executor workers) {
        this.workers = workers;
    }

    /**
     * Queues {@code task} to run on a worker after everything queued before it.
     *
     * @throws RejectedExecutionException when the workers refuse it (the engine is shutting down)
     */
    @Override
    public void execute(Runnable task) {
        queue.add(task);
        if (running.compareAndSet(false, true)) {
            try {
                workers.execute(drain);
            } catch (RejectedExecutionException e) {
                queue.remove(task);
                running.set(false);
                throw e;
            }
        }
    }

    /**
     * Runs {@code task} now on the calling thread when no task of this monitor runs or waits, else queues it as
     * {@link #execute} does. It must not block: it runs on whatever thread calls (the timer, an event loop).
     *
     * @throws RejectedExecutionException when it had to be queued and the workers refuse it
     */
    void runInline(Runnable task) {
        if (!queue.isEmpty() || !running.compareAndSet(false, true)) {
            execute(task);
            return;
        }
        try {
            task.run();
        } finally {
            // (a task that throws still releases the monitor; its throwable goes to the caller)
            if (queue.isEmpty()) {
                running.set(false);
                // A task queued between the check and the release found us running: it is ours to hand on.
                if (!queue.isEmpty() && running.compareAndSet(false, true)) {
                    handOn();
                }
            } else {
                handOn();
            }
        }
    }

    /** Gives the queued tasks (this runner holds {@link #running}) to a worker; dropped when it refuses. */
    private void handOn() {
        try {
            workers.execute(drain);
        } catch (RejectedExecutionException e) {
            // The engine is shutting down: the workers are gone, and so is everything that would run these.
            queue.clear();
            running.set(false);
        }
    }

    private void drain() {
        boolean done = false;
        try {
            while (true) {
                Runnable task = queue.poll();
                if (task == null) {
                    running.set(false);
                    if (queue.isEmpty() || !running.compareAndSet(false, true)) {
                        done = true;
                        return;
                    }
                    continue;
                }
                task.run();
            }
        } finally {
            if (!done) {
                // A task threw (an Error): the rest still runs, on a fresh worker task, in order.
                handOn();
            }
        }
    }
}
