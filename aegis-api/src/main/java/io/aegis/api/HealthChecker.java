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

    /** Starts one check attempt; the stage completes with its verdict. */
    CompletionStage<CheckResult> check(CheckContext context);

    /** Releases what this checker holds (connections, channels). Called once, when the engine stops. */
    @Override
    default void close() {
    }
}
