package io.aegis.core.event;

import java.time.Instant;
import java.util.Objects;

/**
 * The recovery ladder moved on: the step before did not make the service healthy (its attempts or its budget
 * are spent, or it runs once per incident), so the next entry of {@code actions.onFailure} runs. The engine
 * also logs it at WARN and raises a {@code RecoveryEscalated} warning alert.
 *
 * @param serviceName the service
 * @param at when
 * @param fromAction the step given up on
 * @param toAction the step that runs next
 * @param step the ladder step of {@code toAction}, from 1
 * @param reason why the previous step was given up on
 */
public record RecoveryEscalated(String serviceName, Instant at, String fromAction, String toAction, int step,
        String reason) implements ServiceEvent {
    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when
     * @param fromAction the step given up on
     * @param toAction the step that runs next
     * @param step the ladder step of {@code toAction}, from 1
     * @param reason why the previous step was given up on
     */
    public RecoveryEscalated {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(fromAction, "fromAction");
        Objects.requireNonNull(toAction, "toAction");
        Objects.requireNonNull(reason, "reason");
    }
}
