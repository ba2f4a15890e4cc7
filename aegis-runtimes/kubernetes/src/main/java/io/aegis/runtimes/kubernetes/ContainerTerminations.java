package io.aegis.runtimes.kubernetes;

import io.aegis.api.WorkloadStatus;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the pod updates of a watch into the container terminations aegis reports, each once: a container whose
 * state became {@code terminated}, or whose restart count went up (the kubelet restarted it before the watch saw the
 * terminated state; {@code lastState} says why), or a pod that failed (evicted). Not thread-safe: the watch delivers
 * events one at a time.
 *
 * <p>Pods on their way out (a deletion timestamp: a rollout or a person replaced them) and pods aegis isolated are
 * not reported: their containers stop because someone asked them to. Neither is a pod deleted outright, which its
 * ReplicaSet replaces by itself.
 */
final class ContainerTerminations {

    private final Map<String, Map<String, Integer>> restartCounts = new HashMap<>();
    private final Set<String> reported = new HashSet<>();

    /**
     * The terminations in {@code pod} not seen before. With {@code remember} only, the pod's current state is taken
     * as known without reporting it: for the first list, whose crashes are history.
     */
    List<WorkloadStatus> update(Pod pod, boolean rememberOnly) {
        String name = pod.getMetadata().getName();
        Map<String, Integer> counts = restartCounts.computeIfAbsent(name, n -> new HashMap<>());
        List<WorkloadStatus> exits = new ArrayList<>();
        boolean quiet = rememberOnly || PodHealth.terminating(pod) || PodHealth.isolated(pod);
        if ("Failed".equals(pod.getStatus() == null ? null : pod.getStatus().getPhase())
                && reported.add(name + "/failed") && !quiet) {
            String reason = pod.getStatus().getReason() == null ? "Failed" : pod.getStatus().getReason();
            String detail = pod.getStatus().getMessage() == null ? "" : " (" + pod.getStatus().getMessage() + ")";
            exits.add(WorkloadStatus.exited("pod " + name + " failed: " + reason + detail).withId(name)
                    .withExitReason(reason));
        }
        for (ContainerStatus container : PodHealth.containers(pod)) {
            int restarts = container.getRestartCount() == null ? 0 : container.getRestartCount();
            Integer before = counts.put(container.getName(), restarts);
            ContainerStateTerminated terminated = container.getState() == null ? null
                    : container.getState().getTerminated();
            if (terminated == null && before != null && restarts > before && container.getLastState() != null) {
                terminated = container.getLastState().getTerminated();
            }
            boolean restarted = before != null && restarts > before;
            if (terminated == null && !restarted) {
                continue;
            }
            String key = terminated == null ? name + "/" + container.getName() + "/restart/" + restarts
                    : name + "/" + container.getName() + "/" + terminated.getContainerID() + "/"
                            + terminated.getStartedAt() + "/" + terminated.getFinishedAt() + "/"
                            + terminated.getExitCode();
            if (!reported.add(key) || quiet) {
                continue;
            }
            if (terminated == null) {
                exits.add(WorkloadStatus.exited("pod " + name + " container " + container.getName()
                        + " restarted (restart " + restarts + ")").withId(name));
                continue;
            }
            WorkloadStatus exit = WorkloadStatus.exited("pod " + name + " container " + container.getName()
                    + " terminated: " + describe(terminated)).withId(name);
            if (terminated.getExitCode() != null) {
                exit = exit.withExitCode(terminated.getExitCode());
            }
            if (terminated.getReason() != null) {
                exit = exit.withExitReason(terminated.getReason());
            }
            exits.add(exit);
        }
        return exits;
    }

    /** Forgets a pod that is gone, so the maps do not grow with every pod a Deployment ever had. */
    void forget(String podName) {
        restartCounts.remove(podName);
        reported.removeIf(key -> key.startsWith(podName + "/"));
    }

    /** {@code OOMKilled (exit 137)}, {@code Error (exit 1)}, {@code exit 0}, {@code signal 9}. */
    static String describe(ContainerStateTerminated terminated) {
        String code = terminated.getExitCode() != null ? "exit " + terminated.getExitCode()
                : terminated.getSignal() != null ? "signal " + terminated.getSignal() : "no exit code";
        return terminated.getReason() == null ? code : terminated.getReason() + " (" + code + ")";
    }
}
