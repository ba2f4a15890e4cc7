package io.aegis.api;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What a {@link RuntimeAdapter} knows about its workload right now: a process, a container, the pods of a
 * Deployment, the allocations of a Nomad job.
 *
 * <p>Only {@link #state()} and {@link #description()} are always meaningful; the rest is filled in where the runtime
 * has it. Build one from a factory ({@link #running(long)}, {@link #exited(long, int)}, ...) and add what the
 * runtime knows with the {@code with...} methods:
 * {@code WorkloadStatus.running("container 4f2a1c").withId("4f2a1c...").withVersion("sha256:...")}.
 *
 * @param state whether the workload runs
 * @param pid the operating-system process id, when there is one
 * @param exitCode the exit code of the last run, when it has ended
 * @param description a short human-readable line (for example {@code "pid 4242"} or {@code "exited with 137"})
 * @param id what the runtime calls this workload: a container id, a pod or allocation name; empty for a plain
 *     process (its {@link #pid()} identifies it)
 * @param desiredInstances how many instances should run (a Deployment's replicas, a task group's count)
 * @param readyInstances how many of them run and are ready
 * @param version the version running now, immutable where the runtime has one: an image digest, a ReplicaSet's
 *     revision, a Nomad job version, a release directory
 * @param exitReason why the workload ended, in the runtime's words ({@code "OOMKilled"}, {@code "Error"}, a signal)
 */
public record WorkloadStatus(State state, OptionalLong pid, OptionalInt exitCode, String description,
        Optional<String> id, OptionalInt desiredInstances, OptionalInt readyInstances, Optional<String> version,
        Optional<String> exitReason) {

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

    /**
     * Validates the values.
     *
     * @param state whether the workload runs
     * @param pid the operating-system process id, when there is one
     * @param exitCode the exit code of the last run, when it has ended
     * @param description a short human-readable line (for example {@code "pid 4242"} or {@code "exited with 137"})
     * @param id what the runtime calls this workload: a container id, a pod or allocation name; empty for a plain
     *     process (its {@link #pid()} identifies it)
     * @param desiredInstances how many instances should run (a Deployment's replicas, a task group's count)
     * @param readyInstances how many of them run and are ready
     * @param version the version running now, immutable where the runtime has one: an image digest, a ReplicaSet's
     *     revision, a Nomad job version, a release directory
     * @param exitReason why the workload ended, in the runtime's words ({@code "OOMKilled"}, {@code "Error"}, a signal)
     */
    public WorkloadStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(pid, "pid");
        Objects.requireNonNull(exitCode, "exitCode");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(desiredInstances, "desiredInstances");
        Objects.requireNonNull(readyInstances, "readyInstances");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(exitReason, "exitReason");
    }

    /**
     * A status with only the process fields, as before the other fields existed; kept so that runtimes written
     * against it still compile.
     *
     * @param state whether the workload runs
     * @param pid the operating-system process id, when there is one
     * @param exitCode the exit code of the last run, when it has ended
     * @param description a short human-readable line (for example {@code "pid 4242"} or {@code "exited with 137"})
     */
    public WorkloadStatus(State state, OptionalLong pid, OptionalInt exitCode, String description) {
        this(state, pid, exitCode, description, Optional.empty(), OptionalInt.empty(), OptionalInt.empty(),
                Optional.empty(), Optional.empty());
    }

    /**
     * A running workload with a process id.
     *
     * @param pid the operating-system process id
     * @return a running status
     */
    public static WorkloadStatus running(long pid) {
        return new WorkloadStatus(State.RUNNING, OptionalLong.of(pid), OptionalInt.empty(), "pid " + pid);
    }

    /**
     * A running workload described in words (a container id, an allocation).
     *
     * @param description what runs, in words (such as {@code "container 4f2a1c"})
     * @return a running status
     */
    public static WorkloadStatus running(String description) {
        return new WorkloadStatus(State.RUNNING, OptionalLong.empty(), OptionalInt.empty(), description);
    }

    /**
     * A workload that is not running because it was stopped or never started.
     *
     * @return a stopped status
     */
    public static WorkloadStatus stopped() {
        return new WorkloadStatus(State.STOPPED, OptionalLong.empty(), OptionalInt.empty(), "stopped");
    }

    /**
     * A workload that ended by itself or was killed from outside.
     *
     * @param pid the process id it had
     * @param exitCode its exit code
     * @return an exited status
     */
    public static WorkloadStatus exited(long pid, int exitCode) {
        return new WorkloadStatus(State.EXITED, OptionalLong.of(pid), OptionalInt.of(exitCode),
                "pid " + pid + " exited with code " + exitCode);
    }

    /**
     * A workload without a process id of its own (a pod, an allocation) that ended, described in words.
     *
     * @param description how it ended, in words
     * @return an exited status
     */
    public static WorkloadStatus exited(String description) {
        return new WorkloadStatus(State.EXITED, OptionalLong.empty(), OptionalInt.empty(), description);
    }

    /**
     * Whether the runtime cannot tell, described in words (for example its API does not answer).
     *
     * @param description why the runtime cannot tell
     * @return a status whose state is unknown
     */
    public static WorkloadStatus unknown(String description) {
        return new WorkloadStatus(State.UNKNOWN, OptionalLong.empty(), OptionalInt.empty(), description);
    }

    /**
     * This status with the runtime's id of the workload.
     *
     * @param workloadId what the runtime calls the workload (a container id, a pod or allocation name)
     * @return a copy with that id
     */
    public WorkloadStatus withId(String workloadId) {
        return new WorkloadStatus(state, pid, exitCode, description, Optional.of(workloadId), desiredInstances,
                readyInstances, version, exitReason);
    }

    /**
     * This status with the process id of the workload's main process.
     *
     * @param processId the operating-system process id
     * @return a copy with that process id
     */
    public WorkloadStatus withPid(long processId) {
        return new WorkloadStatus(state, OptionalLong.of(processId), exitCode, description, id, desiredInstances,
                readyInstances, version, exitReason);
    }

    /**
     * This status with the exit code of the workload's last run.
     *
     * @param code the exit code
     * @return a copy with that exit code
     */
    public WorkloadStatus withExitCode(int code) {
        return new WorkloadStatus(state, pid, OptionalInt.of(code), description, id, desiredInstances,
                readyInstances, version, exitReason);
    }

    /**
     * This status with how many instances should run and how many are ready.
     *
     * @param desired how many instances should run
     * @param ready how many of them run and are ready
     * @return a copy with those counts
     * @throws IllegalArgumentException when either is negative
     */
    public WorkloadStatus withInstances(int desired, int ready) {
        if (desired < 0 || ready < 0) {
            throw new IllegalArgumentException("instance counts cannot be negative: desired " + desired + ", ready "
                    + ready);
        }
        return new WorkloadStatus(state, pid, exitCode, description, id, OptionalInt.of(desired),
                OptionalInt.of(ready), version, exitReason);
    }

    /**
     * This status with the version running now (an image digest, a revision, a job version).
     *
     * @param runningVersion the version running now (an image digest, a revision, a job version)
     * @return a copy with that version
     */
    public WorkloadStatus withVersion(String runningVersion) {
        return new WorkloadStatus(state, pid, exitCode, description, id, desiredInstances, readyInstances,
                Optional.of(runningVersion), exitReason);
    }

    /**
     * This status with why the workload ended, in the runtime's words.
     *
     * @param reason why the workload ended, in the runtime's words
     * @return a copy with that reason
     */
    public WorkloadStatus withExitReason(String reason) {
        return new WorkloadStatus(state, pid, exitCode, description, id, desiredInstances, readyInstances, version,
                Optional.of(reason));
    }

    /** {@return whether the workload is running} */
    public boolean isRunning() {
        return state == State.RUNNING;
    }

    /** {@return the description, or the state's name when there is none} */
    public Optional<String> describe() {
        return description.isEmpty() ? Optional.of(state.name()) : Optional.of(description);
    }
}
