package io.aegis.api;

import java.util.concurrent.CompletionStage;

/**
 * Checks the health of one service. Created per service by a {@link HealthCheckerFactory}.
 *
 * <p>{@link #check} must not block the calling thread: it is the engine's scheduler. Do network I/O
 * asynchronously, and run unavoidable blocking work on {@link CheckerSpec#blockingExecutor()}. The engine
 * enforces the timeout itself: a stage that never completes becomes an {@link HealthStatus#UNKNOWN}
 * result with {@link FailureReason#TIMEOUT}, and a stage that completes exceptionally becomes one with
 * {@link FailureReason#PLUGIN_ERROR}. Return failures of the service as results, not as exceptions.
 */
@FunctionalInterface
public interface HealthChecker extends AutoCloseable {

    /**
     * Starts one check attempt; the stage completes with its verdict.
     *
     * @param context facts about this attempt: its number within the cycle and its timeout
     * @return a stage completed with the attempt's result
     */
    CompletionStage<CheckResult> check(CheckContext context);

    /**
     * {@return whether each check holds a thread for its whole duration (it runs a script and waits for it), rather
     * than doing non-blocking I/O} Default {@code false}.
     *
     * <p>The engine limits how many such checks run at once across all services
     * ({@code global.maxConcurrentBlockingChecks}) and gives each one it admits a thread of its own: work
     * that {@link #check} hands to {@link CheckerSpec#blockingExecutor()} <em>during the call</em> starts at
     * once, so the check's timeout measures the check, not a wait in a queue. A check that finds the limit
     * reached waits its turn, but only while it could still end before its next tick; otherwise it is not
     * started: the tick is skipped and counted, and no result is reported for it.
     * Work handed to the executor from another thread (a callback) runs on the engine's shared pool for
     * checker work instead.
     */
    default boolean blocking() {
        return false;
    }

    /** Releases what this checker holds (connections, channels). Called once, when the engine stops. */
    @Override
    default void close() {
    }
}
