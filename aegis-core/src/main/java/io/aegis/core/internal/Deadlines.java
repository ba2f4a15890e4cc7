package io.aegis.core.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Calls into plugins under a deadline the engine enforces itself: a plugin that throws, returns
 * {@code null} or never completes its stage cannot stall the caller.
 */
public final class Deadlines {
    private Deadlines() {
    }

    /**
     * Invokes {@code call} and returns a future that completes with its value, with
     * {@code onFailure.apply(error)} when the call throws or its stage fails, or with {@code onTimeout.get()}
     * when nothing arrives within {@code deadline}. The timer runs on {@code timer}, never blocking it.
     */
    public static <T> CompletableFuture<T> call(Supplier<? extends CompletionStage<? extends T>> call,
            Duration deadline, ScheduledExecutorService timer, Function<Throwable, T> onFailure,
            Supplier<T> onTimeout) {
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletionStage<? extends T> stage;
        try {
            stage = call.get();
            if (stage == null) {
                throw new NullPointerException("the plugin returned no CompletionStage");
            }
        } catch (RuntimeException | LinkageError e) {
            result.complete(onFailure.apply(e));
            return result;
        }
        ScheduledFuture<?> timeout = timer.schedule(() -> {
            if (!result.isDone()) {
                result.complete(onTimeout.get());
            }
        }, Math.max(1, deadline.toNanos()), TimeUnit.NANOSECONDS);
        stage.whenComplete((value, error) -> {
            timeout.cancel(false);
            if (error != null) {
                result.complete(onFailure.apply(unwrap(error)));
            } else {
                result.complete(value);
            }
        });
        return result;
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
