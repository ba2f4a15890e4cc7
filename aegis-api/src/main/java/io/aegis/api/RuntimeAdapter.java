package io.aegis.api;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Controls the workload of one service: a child process, a container, a Kubernetes deployment.
 * Created per service by a {@link RuntimeAdapterFactory}.
 *
 * <p>Every method returns at once; the stage completes when the operation has finished (the process has
 * started, the container has stopped) and completes exceptionally, with a message a person can act on,
 * when it failed. The engine enforces a deadline on each call. When the workload ends unexpectedly the
 * adapter tells the {@link WorkloadListener} given in its {@link RuntimeSpec}.
 */
public interface RuntimeAdapter extends AutoCloseable {

    /**
     * Starts the workload; completes when it runs. Starting a running workload does nothing.
     *
     * @return a stage completed when the workload runs, exceptionally when it could not be started
     */
    CompletionStage<Void> start();

    /**
     * Stops the workload gracefully (then forcibly after the configured grace period).
     *
     * @return a stage completed when the workload has stopped
     */
    CompletionStage<Void> stop();

    /**
     * Reports whether the workload runs. The engine asks after each passing check without waiting (a passing check
     * while the workload has exited or is stopped means something else serves the endpoint), so a runtime that
     * knows at once should return an already completed stage.
     *
     * @return a stage completed with the workload's status
     */
    CompletionStage<WorkloadStatus> status();

    /**
     * Stops, then starts the workload.
     *
     * @return a stage completed when the workload runs again
     */
    default CompletionStage<Void> restart() {
        return stop().thenCompose(ignored -> start());
    }

    /**
     * Goes back to the previous version; fails unless {@link RuntimeOperation#ROLLBACK} is supported.
     *
     * @return a stage completed when the previous version runs
     */
    default CompletionStage<Void> rollback() {
        return CompletableFuture.failedFuture(
                new UnsupportedOperationException(getClass().getSimpleName() + " cannot roll back a workload"));
    }

    /**
     * Takes the workload out of traffic; fails unless {@link RuntimeOperation#ISOLATE} is supported.
     *
     * @return a stage completed when the workload is out of traffic
     */
    default CompletionStage<Void> isolate() {
        return CompletableFuture.failedFuture(
                new UnsupportedOperationException(getClass().getSimpleName() + " cannot isolate a workload"));
    }

    /**
     * Told by the engine after each check cycle that found the service healthy, on the service's own thread: the
     * workload as it runs now serves correctly. A runtime that can {@link #rollback()} records the version running
     * now (an image digest, a ReplicaSet revision, a job version) as the one a rollback goes back to, rather than
     * whatever was deployed before. Must return at once and never throw: do any I/O on the runtime's own executor.
     * By default does nothing.
     */
    default void workloadHealthy() {
    }

    /**
     * {@return whether the workload keeps running when the engine stops or stops supervising the service: true where
     * another system owns it (a Kubernetes Deployment, a Nomad job, a container aegis supervises but did not create),
     * so that shutting aegis down never scales a production service to zero} The engine then never calls {@link
     * #stop()} at shutdown or when the service is removed (it still may for a restart). By default false: what aegis
     * started, aegis stops.
     */
    default boolean outlivesEngine() {
        return false;
    }

    /**
     * {@return how long one operation (start, stop, restart) may take before the engine stops waiting and treats it as
     * failed} By default two minutes; an adapter with a configurable stop grace period returns at least that period
     * plus the time it needs to kill and start.
     */
    default Duration operationTimeout() {
        return Duration.ofMinutes(2);
    }

    /** {@return the operations this adapter implements; by default start, stop and restart} */
    default Set<RuntimeOperation> supportedOperations() {
        return EnumSet.of(RuntimeOperation.START, RuntimeOperation.STOP, RuntimeOperation.RESTART);
    }

    /**
     * Reopens the log files the adapter writes a workload's output to, at their configured paths, creating
     * them if they are gone: called after an external tool such as logrotate renamed them (the engine does
     * it for every runtime when the {@code aegis} command receives SIGUSR1), so that new output goes to the
     * new files. Returns promptly; nothing is lost. By default does nothing: for adapters that keep no log
     * file open.
     */
    default void reopenLogs() {
    }

    /**
     * {@return a source of the workload's own output (a container's log stream), for the log analysis of this service
     * when its {@code logs.files} name no file: the engine {@linkplain LogSource#start starts} it when the service
     * starts and closes it with the service} It follows the workload across restarts and replacements (a new
     * container), delivering each line once. Empty by default: for adapters whose output is a file (see {@link
     * #logFiles()}) or that have none.
     *
     * @param spec the service, where its source remembers how far it read, and the engine's pool for blocking work
     */
    default java.util.Optional<LogSource> logSource(LogSourceSpec spec) {
        return java.util.Optional.empty();
    }

    /**
     * {@return the files the adapter writes the workload's output to (the {@code process} runtime's {@code logFile}),
     * for the log analysis of this service when its {@code logs.files} name no file: the engine follows them as a
     * {@code file} source would, across the adapter's own rotations} Empty by default.
     */
    default java.util.List<java.nio.file.Path> logFiles() {
        return java.util.List.of();
    }

    /**
     * Releases what the adapter holds. The engine calls {@link #stop()} first when the workload should not
     * outlive it; {@code close} itself must not leave a child process behind.
     */
    @Override
    default void close() {
    }
}
