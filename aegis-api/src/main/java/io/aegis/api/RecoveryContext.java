package io.aegis.api;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * What a {@link RecoveryAction} may know and use while recovering one service. Implemented by the engine.
 */
public interface RecoveryContext {

    /** {@return the failing service's name} */
    String serviceName();

    /** {@return the service's runtime, when it has one; restart, rollback and isolate need it} */
    Optional<RuntimeAdapter> runtime();

    /** {@return the check result that led to this recovery, when a check did (a process exit has none)} */
    Optional<CheckResult> lastResult();

    /**
     * {@return why recovery started, in words: {@code "3 failed checks: HTTP 503"} or {@code "process exited with
     * 137"}}
     */
    String cause();

    /** {@return 1 for the first recovery since the service was last healthy, 2 for the next, and so on} */
    int attempt();

    /** {@return the engine's current time (use it for {@link Alert#startsAt()}; tests run on an injected clock)} */
    Instant now();

    /**
     * Hands an alert to the engine's notifiers; completes when every notifier has accepted or queued it.
     *
     * @param alert the alert to raise
     * @return a stage completed when every notifier has accepted or queued the alert
     */
    CompletionStage<Void> raiseAlert(Alert alert);
}
