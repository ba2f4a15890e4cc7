package io.aegis.core.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Calls into plugins under a deadline the engine enforces itself: a plugin that throws (anything, Errors
 * included), returns {@code null}, blocks in the call, or never completes its stage cannot stall the caller.
 */
public final class Deadlines {
    private Deadlines() {
    }

    /**
     * Invokes {@code call} on {@code invoker} and returns a future that completes with its value; with
     * {@code onFailure.apply(error)} when the call throws or its stage fails; or with {@code onTimeout.get()}
     * when nothing arrives within {@code deadline}, measured from now, so a call that blocks is covered too.
     * On timeout the plugin's stage is cancelled (a checker may release its connection then). The deadline
     * timer runs on {@code timer} and never runs plugin code. The value may be {@code null}: callers that
     * need one check for it.
     */
    public static <T> CompletableFuture<T> call(Supplier<? extends CompletionStage<? extends T>> call,
            Executor invoker, Duration deadline, ScheduledExecutorService timer, Function<Throwable, T> onFailure,
            Supplier<T> onTimeout) {
        return call(call, invoker, deadline, Scheduler.over(timer), onFailure, onTimeout);
    }

    /** As {@link #call(Supplier, Executor, Duration, ScheduledExecutorService, Function, Supplier)}, timed by a {@link Scheduler}. */
    public static <T> CompletableFuture<T> call(Supplier<? extends CompletionStage<? extends T>> call,
            Executor invoker, Duration deadline, Scheduler timer, Function<Throwable, T> onFailure,
            Supplier<T> onTimeout) {
        CompletableFuture<T> result = new CompletableFuture<>();
        AtomicReference<CompletionStage<?>> pluginStage = new AtomicReference<>();
        Scheduler.Task timeout;
        try {
            timeout = timer.deadline(() -> {
                if (result.complete(onTimeout.get())) {
                    cancel(pluginStage.get());
                }
            }, Duration.ofNanos(Math.max(1, deadline.toNanos())));
        } catch (RejectedExecutionException e) {
            result.complete(onFailure.apply(new IllegalStateException("the engine is shutting down", e)));
            return result;
        }
        Runnable invoke = () -> {
            CompletionStage<? extends T> stage;
            try {
                stage = call.get();
                if (stage == null) {
                    throw new NullPointerException("the plugin returned no CompletionStage");
                }
            } catch (Throwable e) {
                // The result before the deadline goes: what it sets off is under way (handed to a pool) by the time
                // no deadline is pending (an engine on virtual time takes that as the call having settled).
                result.complete(onFailure.apply(e));
                timeout.cancel();
                rethrowIfFatal(e);
                return;
            }
            pluginStage.set(stage);
            if (result.isDone()) {
                cancel(stage);
            }
            stage.whenComplete((value, error) -> {
                result.complete(error != null ? onFailure.apply(unwrap(error)) : value);
                timeout.cancel();
            });
        };
        try {
            invoker.execute(invoke);
        } catch (RejectedExecutionException e) {
            timeout.cancel();
            result.complete(onFailure.apply(new IllegalStateException("the engine is shutting down", e)));
        }
        return result;
    }

    private static void cancel(CompletionStage<?> stage) {
        if (stage instanceof Future) {
            try {
                ((Future<?>) stage).cancel(true);
            } catch (RuntimeException ignored) {
                // a stage that refuses to be cancelled is simply left to finish; its result is ignored
            }
        }
    }

    private static void rethrowIfFatal(Throwable e) {
        if (e instanceof VirtualMachineError) {
            throw (VirtualMachineError) e;
        }
    }

    /** Strips the CompletionException/ExecutionException wrapping that async plumbing adds. */
    public static Throwable unwrap(Throwable error) {
        Throwable current = error;
        while ((current instanceof java.util.concurrent.CompletionException
                || current instanceof java.util.concurrent.ExecutionException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    /** A one-line description of a failure: its message, or its type when it has none. */
    public static String describe(Throwable error) {
        Throwable e = unwrap(error);
        return e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
    }
}
