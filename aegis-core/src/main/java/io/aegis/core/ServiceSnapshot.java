package io.aegis.core;

import io.aegis.api.CheckResult;
import io.aegis.core.ServiceState;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A consistent, immutable view of one service at a moment, for embedding applications and tools.
 *
 * @param name the service
 * @param state its state
 * @param since when it entered that state
 * @param lastResult the verdict of its last completed check cycle, if any
 * @param recoveries recoveries since it was last stably healthy
 */
public record ServiceSnapshot(String name, ServiceState state, Instant since, Optional<CheckResult> lastResult,
        int recoveries) {
    /** Validates the values. */
    public ServiceSnapshot {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(lastResult, "lastResult");
    }
}
