package io.aegis.core.event;

import io.aegis.api.ActionOutcome;
import java.time.Instant;
import java.util.Objects;

/**
 * A recovery action ended. Its {@code outcome} is what the action reported (a restart that started a new
 * process succeeded), not whether the service is healthy again: that verdict is {@link RecoveryConcluded}.
 *
 * @param serviceName the service
 * @param at when
 * @param action the action's name
 * @param attempt as in the matching {@link RecoveryStarted}
 * @param outcome what it achieved
 */
public record RecoveryFinished(String serviceName, Instant at, String action, int attempt, ActionOutcome outcome)
        implements ServiceEvent {
    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when
     * @param action the action's name
     * @param attempt as in the matching {@link RecoveryStarted}
     * @param outcome what it achieved
     */
    public RecoveryFinished {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(outcome, "outcome");
    }
}
