package io.aegis.testkit.internal;

import io.aegis.testkit.ContractRule;
import io.aegis.testkit.ContractViolation;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls into a plugin as the engine does: from a thread of the kit's own ("the caller", standing in for the engine's
 * scheduler), timing how long the call takes to hand back its stage; plus a pool standing in for the engine's
 * blocking executor. One per contract test; {@link #close()} ends both.
 */
public final class Calls implements AutoCloseable {
    /** A stage, and how long the call took to return it. */
    public record Timed<T>(CompletionStage<T> stage, Duration callTook) {
        /**
         * Checks {@link ContractRule#RETURNS_WITHOUT_BLOCKING}: the call returned its stage within {@code budget}.
         *
         * @param budget how long the call may take to return
         * @param what   the call, for the message, such as {@code check() of the healthy target}
         * @param more   what else the message should say (empty, or a clause starting with "; ")
         * @return this
         */
        public Timed<T> requireWithin(Duration budget, String what, String more) {
            Rules.check(callTook.compareTo(budget) <= 0, ContractRule.RETURNS_WITHOUT_BLOCKING, what + " took "
                    + millis(callTook) + " to return its stage (the budget is " + millis(budget) + ")" + more);
            return this;
        }
    }

    /** What a stage came to: its value, or what it failed with. */
    public record Outcome<T>(T value, Throwable failure) {
        /** Whether it failed. */
        public boolean failed() {
            return failure != null;
        }
    }

    private final ExecutorService caller = Executors.newSingleThreadExecutor(named("aegis-testkit-caller"));
    private final ExecutorService blocking = Executors.newCachedThreadPool(named("aegis-testkit-blocking"));

    /** The stand-in for the engine's blocking executor (threads {@code aegis-testkit-blocking-N}). */
    public ExecutorService blockingExecutor() {
        return blocking;
    }

    /**
     * Makes {@code call} on the caller thread and waits for it to return (not for its stage). A call that does not
     * return within {@code patience} blocks its caller; one that throws instead of returning a stage breaks
     * {@code ifItThrows}.
     */
    public <T> Timed<T> time(String what, Callable<CompletionStage<T>> call, Duration patience,
            ContractRule ifItThrows) throws InterruptedException {
        return time(what, call, patience, ifItThrows, "a stage");
    }

    /**
     * As {@link #time(String, Callable, Duration, ContractRule)}, where a call that throws is said to have thrown
     * "instead of returning {@code instead}" ({@code a failed stage}, say, where failing is what the rule asks).
     */
    public <T> Timed<T> time(String what, Callable<CompletionStage<T>> call, Duration patience,
            ContractRule ifItThrows, String instead) throws InterruptedException {
        long start = System.nanoTime();
        Future<CompletionStage<T>> returned = caller.submit(call);
        try {
            CompletionStage<T> stage = returned.get(patience.toMillis(), TimeUnit.MILLISECONDS);
            if (stage == null) {
                throw new ContractViolation(ContractRule.STAGE_COMPLETES_IN_TIME, what + " returned null, not a stage");
            }
            return new Timed<>(stage, Duration.ofNanos(System.nanoTime() - start));
        } catch (TimeoutException e) {
            throw new ContractViolation(ContractRule.RETURNS_WITHOUT_BLOCKING,
                    what + " had not returned after " + millis(patience) + ": it blocks its caller");
        } catch (ExecutionException e) {
            throw new ContractViolation(ifItThrows, what + " threw " + e.getCause() + " instead of returning " + instead,
                    e.getCause());
        }
    }

    /** Waits for {@code stage} to complete, up to {@code limit}; a stage still open then breaks the timeout rule. */
    public static <T> Outcome<T> await(String what, CompletionStage<T> stage, Duration limit)
            throws InterruptedException {
        try {
            return new Outcome<>(stage.toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS), null);
        } catch (TimeoutException e) {
            throw new ContractViolation(ContractRule.STAGE_COMPLETES_IN_TIME,
                    what + " had not completed " + millis(limit) + " after it started");
        } catch (ExecutionException e) {
            return new Outcome<>(null, e.getCause());
        } catch (java.util.concurrent.CancellationException e) {
            return new Outcome<>(null, e);
        }
    }

    /**
     * Closes {@code closeable} on the caller thread, waiting at most {@code patience}: a {@code close()} that takes
     * longer holds up the engine's shutdown, and breaks {@link ContractRule#CLOSE_RELEASES_EVERYTHING}.
     *
     * @param what      what is closed, for the message
     * @param closeable what to close
     * @param patience  how long close() may take
     * @throws InterruptedException when the calling thread is interrupted while it waits
     */
    public void close(String what, AutoCloseable closeable, Duration patience) throws InterruptedException {
        Future<?> closed = caller.submit(() -> {
            closeable.close();
            return null;
        });
        try {
            closed.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ContractViolation(ContractRule.CLOSE_RELEASES_EVERYTHING,
                    what + " had not returned after " + millis(patience) + ": it holds up the engine's shutdown");
        } catch (ExecutionException e) {
            throw new ContractViolation(ContractRule.CLOSE_RELEASES_EVERYTHING, what + " threw " + e.getCause(),
                    e.getCause());
        }
    }

    /** {@code 1,250 ms}. */
    public static String millis(Duration duration) {
        return String.format("%,d ms", duration.toMillis());
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Ends the caller and the blocking pool. */
    @Override
    public void close() {
        caller.shutdownNow();
        blocking.shutdownNow();
    }
}
