package io.aegis.core.event;

import io.aegis.api.CheckResult;
import java.time.Instant;
import java.util.Objects;

/**
 * One check attempt finished.
 *
 * @param serviceName the service
 * @param at when the attempt finished
 * @param result its verdict
 * @param attempt 1 for the first attempt of a cycle, more for retries
 * @param finalAttempt whether this attempt decided the cycle (it passed, or no retry is left)
 */
public record CheckCompleted(String serviceName, Instant at, CheckResult result, int attempt, boolean finalAttempt)
        implements ServiceEvent {
    /**
     * Validates the values.
     *
     * @param serviceName the service
     * @param at when the attempt finished
     * @param result its verdict
     * @param attempt 1 for the first attempt of a cycle, more for retries
     * @param finalAttempt whether this attempt decided the cycle (it passed, or no retry is left)
     */
    public CheckCompleted {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(result, "result");
    }
}
