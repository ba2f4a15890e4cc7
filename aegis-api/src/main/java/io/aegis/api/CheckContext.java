package io.aegis.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Facts about one check attempt, passed to {@link HealthChecker#check(CheckContext)}.
 *
 * @param attempt 1 for the first attempt of a check cycle, 2 for its first retry, and so on
 * @param timeout how long this attempt may take; the engine stops waiting after it
 */
public record CheckContext(int attempt, Duration timeout) {
    /**
     * Validates the values.
     *
     * @param attempt 1 for the first attempt of a check cycle, 2 for its first retry, and so on
     * @param timeout how long this attempt may take; the engine stops waiting after it
     */
    public CheckContext {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt starts at 1, got " + attempt);
        }
        Objects.requireNonNull(timeout, "timeout");
    }
}
