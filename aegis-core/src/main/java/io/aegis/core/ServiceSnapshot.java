package io.aegis.core;

import io.aegis.api.CheckResult;
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
 * @param paused whether a person paused it (maintenance: no recovery, no new alerts)
 * @param ladderStep the name of the recovery step the service is on ({@code restart}, {@code rollback} ...) while
 *     it has an incident; empty otherwise
 * @param workload what its runtime says of its workload ({@code pid 4242}, {@code container 1a2b3c4d5e6f},
 *     {@code stopped} ...); empty without a runtime, or when the runtime could not say at once
 * @param checkType its checker type ({@code http}, {@code tcp}, {@code script} ...)
 * @param endpoint what its check targets, with credentials in URLs and values from {@code ${VAR}} masked as
 *     {@code ***}
 */
public record ServiceSnapshot(String name, ServiceState state, Instant since, Optional<CheckResult> lastResult,
        int recoveries, boolean paused, Optional<String> ladderStep, Optional<String> workload, String checkType,
        String endpoint) {
    /**
     * Validates the values.
     *
     * @param name the service
     * @param state its state
     * @param since when it entered that state
     * @param lastResult the verdict of its last completed check cycle, if any
     * @param recoveries recoveries since it was last stably healthy
     * @param paused whether a person paused it (maintenance: no recovery, no new alerts)
     * @param ladderStep the name of the recovery step the service is on ({@code restart}, {@code rollback} ...) while
     *     it has an incident; empty otherwise
     * @param workload what its runtime says of its workload ({@code pid 4242}, {@code container 1a2b3c4d5e6f}, {@code
     *     stopped} ...); empty without a runtime, or when the runtime could not say at once
     * @param checkType its checker type ({@code http}, {@code tcp}, {@code script} ...)
     * @param endpoint what its check targets, with credentials in URLs and values from {@code ${VAR}} masked as {@code
     *     ***}
     */
    public ServiceSnapshot {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(lastResult, "lastResult");
        Objects.requireNonNull(ladderStep, "ladderStep");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(checkType, "checkType");
        Objects.requireNonNull(endpoint, "endpoint");
    }
}
