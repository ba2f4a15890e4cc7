package io.aegis.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Everything a {@link RuntimeAdapterFactory} needs to create the adapter of one service.
 *
 * @param serviceName the service's name
 * @param settings the service's {@code runtime:} block (its {@code type} key included)
 * @param listener to tell when the workload ends unexpectedly
 * @param blockingExecutor a pool for the runtime's blocking work (launching and waiting for a process, calling a
 *     CLI); it is the runtime's own, never shared with health checks, so a runtime operation never waits
 *     behind them
 * @param stateDirectory a directory private to this service (owner-only permissions, already created by the
 *     engine) where the runtime keeps what must outlive the engine's process: what it started (so that the next
 *     engine run can find and replace or adopt it) and, by default, the service's output. It is the same
 *     directory in every run of the same configuration ({@code global.stateDir})
 */
public record RuntimeSpec(String serviceName, Settings settings, WorkloadListener listener, Executor blockingExecutor,
        Path stateDirectory) {
    /**
     * Validates the values.
     *
     * @param serviceName the service's name
     * @param settings the service's {@code runtime:} block (its {@code type} key included)
     * @param listener to tell when the workload ends unexpectedly
     * @param blockingExecutor a pool for the runtime's blocking work (launching and waiting for a process, calling a
     *     CLI); it is the runtime's own, never shared with health checks, so a runtime operation never waits behind
     *     them
     * @param stateDirectory a directory private to this service (owner-only permissions, already created by the engine)
     *     where the runtime keeps what must outlive the engine's process: what it started (so that the next engine run
     *     can find and replace or adopt it) and, by default, the service's output. It is the same directory in every
     *     run of the same configuration ({@code global.stateDir})
     */
    public RuntimeSpec {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(blockingExecutor, "blockingExecutor");
        Objects.requireNonNull(stateDirectory, "stateDirectory");
    }

    /**
     * A spec with a fresh private temporary state directory, for plugin tests and callers that keep no state
     * across runs. The directory is deleted when the JVM exits if it is empty then (what the runtime kept in it is
     * left for a person to look at).
     *
     * @param serviceName the service's name
     * @param settings the service's {@code runtime:} block (its {@code type} key included)
     * @param listener to tell when the workload ends unexpectedly
     * @param blockingExecutor a pool for the runtime's blocking work (launching and waiting for a process, calling a
     *     CLI); it is the runtime's own, never shared with health checks, so a runtime operation never waits behind
     *     them
     * @throws UncheckedIOException when the temporary directory cannot be created
     */
    public RuntimeSpec(String serviceName, Settings settings, WorkloadListener listener, Executor blockingExecutor) {
        this(serviceName, settings, listener, blockingExecutor, newTemporaryDirectory());
    }

    private static Path newTemporaryDirectory() {
        try {
            // A random name, owner-only permissions on POSIX: safe in a shared temp directory.
            Path directory = Files.createTempDirectory("aegis-runtime-");
            // The spec has no end of its own to delete it at; without this every test run left dozens behind.
            directory.toFile().deleteOnExit();
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary state directory", e);
        }
    }
}
