package io.aegis.core.event;

import java.time.Instant;
import java.util.Objects;

/**
 * A recovery action began.
 *
 * @param serviceName the service
 * @param at when
 * @param action the action's name ({@code restart})
 * @param attempt 1 for the first recovery since the service was last healthy
 * @param cause why recovery was needed
 * @param step the ladder step this action is (1 for the first entry of {@code actions.onFailure}); the
 *     {@code aegis_recovery_ladder_step} gauge shows it
 */
public record RecoveryStarted(String serviceName, Instant at, String action, int attempt, String cause, int step)
        implements ServiceEvent {

    /**
     * A recovery on the first step of the ladder.
     *
     * @param serviceName the service
     * @param at when
     * @param action the action's name ({@code restart})
     * @param attempt 1 for the first recovery since the service was last healthy
     * @param cause why recovery was needed
     */
    public RecoveryStarted(String serviceName, Instant at, String action, int attempt, String cause) {
        this(serviceName, at, action, attempt, cause, 1);
    }

    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when
     * @param action the action's name ({@code restart})
     * @param attempt 1 for the first recovery since the service was last healthy
     * @param cause why recovery was needed
     * @param step the ladder step this action is (1 for the first entry of {@code actions.onFailure}); the {@code
     *     aegis_recovery_ladder_step} gauge shows it
     */
    public RecoveryStarted {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(cause, "cause");
    }
}
