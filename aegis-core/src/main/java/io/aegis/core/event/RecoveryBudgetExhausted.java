package io.aegis.core.event;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The service needed more recoveries than its budget allows. When its recovery ladder ({@code actions.onFailure})
 * has a further step, that step runs next ({@link RecoveryEscalated}); otherwise the engine stops recovering it and
 * marks it {@link io.aegis.core.ServiceState#FAILED}.
 *
 * @param serviceName the service
 * @param at when
 * @param recoveries how many recoveries ran within the window
 * @param window the budget's window
 */
public record RecoveryBudgetExhausted(String serviceName, Instant at, int recoveries, Duration window)
        implements ServiceEvent {
    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when
     * @param recoveries how many recoveries ran within the window
     * @param window the budget's window
     */
    public RecoveryBudgetExhausted {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(window, "window");
    }
}
