package io.aegis.api;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Everything a {@link RuntimeAdapterFactory} needs to create the adapter of one service.
 *
 * @param serviceName the service's name
 * @param settings the service's {@code runtime:} block (its {@code type} key included)
 * @param listener to tell when the workload ends unexpectedly
 * @param blockingExecutor a bounded pool for blocking work (waiting for a process, calling a CLI)
 */
public record RuntimeSpec(String serviceName, Settings settings, WorkloadListener listener, Executor blockingExecutor) {
    /** Validates the values. */
    public RuntimeSpec {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(blockingExecutor, "blockingExecutor");
    }
}
