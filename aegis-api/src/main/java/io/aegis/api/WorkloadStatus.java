package io.aegis.api;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What a {@link RuntimeAdapter} knows about its workload right now.
 *
 * @param state whether the workload runs
 * @param pid the operating-system process id, when there is one
 * @param exitCode the exit code of the last run, when it has ended
 * @param description a short human-readable line (for example {@code "pid 4242"} or {@code "exited with 137"})
 */
public record WorkloadStatus(State state, OptionalLong pid, OptionalInt exitCode, String description) {

    /** Whether a workload runs. */
    public enum State {
        /** Started and alive. */
        RUNNING,
        /** Not running because it was stopped, or never started. */
        STOPPED,
        /** Not running because it ended on its own or was killed from outside. */
        EXITED,
        /** The runtime cannot tell. */
        UNKNOWN
    }

    /** Validates the values. */
    public WorkloadStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(pid, "pid");
        Objects.requireNonNull(exitCode, "exitCode");
        Objects.requireNonNull(description, "description");
    }

    /** A running workload with a process id. */
    public static WorkloadStatus running(long pid) {
        return new WorkloadStatus(State.RUNNING, OptionalLong.of(pid), OptionalInt.empty(), "pid " + pid);
    }

    /** A running workload described in words (a container id, an allocation). */
    public static WorkloadStatus running(String description) {
        return new WorkloadStatus(State.RUNNING, OptionalLong.empty(), OptionalInt.empty(), description);
    }

    /** A workload that is not running because it was stopped or never started. */
    public static WorkloadStatus stopped() {
        return new WorkloadStatus(State.STOPPED, OptionalLong.empty(), OptionalInt.empty(), "stopped");
    }

    /** A workload that ended by itself or was killed from outside. */
    public static WorkloadStatus exited(long pid, int exitCode) {
        return new WorkloadStatus(State.EXITED, OptionalLong.of(pid), OptionalInt.of(exitCode),
                "pid " + pid + " exited with code " + exitCode);
    }

    /** Returns whether the workload is running. */
    public boolean isRunning() {
        return state == State.RUNNING;
    }

    /** The description, or the state's name when there is none. */
    public Optional<String> describe() {
        return description.isEmpty() ? Optional.of(state.name()) : Optional.of(description);
    }
}
