package io.aegis.api;

/**
 * Told by a {@link RuntimeAdapter} when its workload ends without the engine having asked, so a crash is
 * seen at once rather than at the next probe. Implementations are fast and never throw.
 *
 * <p>A crash can race the engine: a failed check sets off a restart of a workload that has just died, before the
 * adapter has told of its end. The adapter then must not call {@link #workloadExited} once the restart has begun
 * (the engine would take the old workload's end for the new one's), and calls {@link #workloadExitedBeforeStop}
 * instead, so that the crash is still on record.
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

    /**
     * The workload had ended on its own, but the engine asked to stop, restart or replace it before the adapter told
     * of that end. The engine records it (its {@code WorkloadExited} event, {@code aegis_workload_exits_total}, a
     * warning in its log) and does not act on it: whatever runs now is not what ended. An adapter that cannot tell
     * when its workload ended need not call it. The default does nothing.
     *
     * @param status the status of the workload that ended, as for {@link #workloadExited}
     */
    default void workloadExitedBeforeStop(WorkloadStatus status) {
    }
}
