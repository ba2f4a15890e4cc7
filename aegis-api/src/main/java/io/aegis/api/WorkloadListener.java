package io.aegis.api;

/**
 * Told by a {@link RuntimeAdapter} when its workload ends without the engine having asked, so a crash is
 * seen at once rather than at the next probe. Implementations are fast and never throw.
 */
@FunctionalInterface
public interface WorkloadListener {

    /** A listener that ignores everything. */
    WorkloadListener NONE = status -> { };

    /**
     * The workload ended on its own or was killed from outside; {@code status} says how.
     *
     * @param status the workload's status after it ended
     */
    void workloadExited(WorkloadStatus status);
}
