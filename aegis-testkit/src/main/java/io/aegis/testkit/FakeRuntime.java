package io.aegis.testkit;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.WorkloadStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A runtime that pretends: it supports every operation, completes each at once, and records which were asked
 * for. {@link #failing(boolean)} makes every operation fail instead, as a runtime whose daemon is down would.
 * Thread-safe.
 */
public final class FakeRuntime implements RuntimeAdapter {
    private final List<RuntimeOperation> calls = new ArrayList<>();
    private volatile boolean failing;
    private volatile boolean running;

    /** A fake runtime whose operations succeed. */
    public FakeRuntime() {
    }

    /**
     * Makes every operation from now on fail ({@code true}) or succeed ({@code false}); returns this.
     *
     * @param fail {@code true} to fail the stage of every later operation with an {@link IllegalStateException} (the
     *     operation is still recorded in {@link #calls()}), {@code false} to complete them normally again
     * @return this runtime, so that {@code new FakeRuntime().failing(true)} can be passed on at once
     */
    public FakeRuntime failing(boolean fail) {
        this.failing = fail;
        return this;
    }

    /** {@return the operations asked for so far, in order ({@code status()} is not one)} */
    public List<RuntimeOperation> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    /**
     * Waits up to {@code watch} for an operation beyond the first {@code count}, and returns those beyond them
     * (empty when none came): a bounded wait on the recorder, woken by the call itself.
     */
    List<RuntimeOperation> awaitCallsBeyond(int count, Duration watch) throws InterruptedException {
        long deadline = System.nanoTime() + watch.toNanos();
        synchronized (calls) {
            while (calls.size() <= count && deadline - System.nanoTime() > 0) {
                TimeUnit.NANOSECONDS.timedWait(calls, deadline - System.nanoTime());
            }
            return List.copyOf(calls.subList(Math.min(count, calls.size()), calls.size()));
        }
    }

    @Override
    public CompletionStage<Void> start() {
        return operation(RuntimeOperation.START, true);
    }

    @Override
    public CompletionStage<Void> stop() {
        return operation(RuntimeOperation.STOP, false);
    }

    @Override
    public CompletionStage<Void> restart() {
        return operation(RuntimeOperation.RESTART, true);
    }

    @Override
    public CompletionStage<Void> rollback() {
        return operation(RuntimeOperation.ROLLBACK, true);
    }

    @Override
    public CompletionStage<Void> isolate() {
        return operation(RuntimeOperation.ISOLATE, running);
    }

    @Override
    public CompletionStage<WorkloadStatus> status() {
        return CompletableFuture.completedFuture(running ? WorkloadStatus.running("fake") : WorkloadStatus.stopped());
    }

    @Override
    public Set<RuntimeOperation> supportedOperations() {
        return EnumSet.allOf(RuntimeOperation.class);
    }

    private CompletionStage<Void> operation(RuntimeOperation operation, boolean runningAfter) {
        synchronized (calls) {
            calls.add(operation);
            calls.notifyAll();
        }
        if (failing) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "the fake runtime was told to fail (" + operation.name().toLowerCase(java.util.Locale.ROOT) + ")"));
        }
        running = runningAfter;
        return CompletableFuture.completedFuture(null);
    }
}
