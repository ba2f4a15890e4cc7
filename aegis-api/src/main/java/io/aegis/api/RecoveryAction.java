package io.aegis.api;

import java.util.concurrent.CompletionStage;

/**
 * One way to recover a failing service (restart, roll back, isolate, notify). Created by a
 * {@link RecoveryActionFactory}. Must not block: return a stage and complete it when done. The engine
 * enforces a deadline and verifies afterwards that the service is healthy again.
 */
@FunctionalInterface
public interface RecoveryAction {

    /**
     * Performs the action once for the service described by {@code context}.
     *
     * @param context the service, its runtime and why recovery started
     * @return a stage completed with what the action achieved
     */
    CompletionStage<ActionOutcome> execute(RecoveryContext context);
}
