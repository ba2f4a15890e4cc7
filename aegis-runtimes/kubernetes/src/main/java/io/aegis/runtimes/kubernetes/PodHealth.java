package io.aegis.runtimes.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** What a pod's status says about it: whether it is in trouble, and which of several pods is the worst. */
final class PodHealth {

    /** The label (and value) isolate puts on a pod it took out of traffic. */
    static final String ISOLATED_LABEL = "aegis.io/isolated";

    /** Waiting reasons of a container that will not come up by itself soon. */
    private static final Set<String> STUCK = Set.of("CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff",
            "CreateContainerConfigError", "CreateContainerError", "InvalidImageName", "RunContainerError");

    /** Worst first: the most container restarts, then the oldest, then by name (so the choice is repeatable). */
    static final Comparator<Pod> WORST_FIRST = Comparator.comparingInt(PodHealth::restarts).reversed()
            .thenComparing(pod -> String.valueOf(pod.getMetadata().getCreationTimestamp()))
            .thenComparing(pod -> pod.getMetadata().getName());

    private PodHealth() {
    }

    /** Whether the pod is on its way out (deleted, or replaced by a rollout): nothing to act on or report. */
    static boolean terminating(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() != null;
    }

    /** Whether aegis isolated this pod earlier. */
    static boolean isolated(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        return labels != null && "true".equals(labels.get(ISOLATED_LABEL));
    }

    /** Why the pod is bad (failed, a container crash-looping or terminated, not ready), or empty when it is fine. */
    static Optional<String> trouble(Pod pod) {
        if (pod.getStatus() == null) {
            return Optional.of("has no status yet");
        }
        if ("Failed".equals(pod.getStatus().getPhase())) {
            String reason = pod.getStatus().getReason();
            return Optional.of(reason == null ? "failed" : "failed: " + reason);
        }
        for (ContainerStatus container : containers(pod)) {
            if (container.getState() != null && container.getState().getWaiting() != null
                    && STUCK.contains(container.getState().getWaiting().getReason())) {
                return Optional.of("container " + container.getName() + " is waiting: "
                        + container.getState().getWaiting().getReason());
            }
            if (container.getState() != null && container.getState().getTerminated() != null) {
                return Optional.of("container " + container.getName() + " terminated: "
                        + ContainerTerminations.describe(container.getState().getTerminated()));
            }
        }
        return ready(pod) ? Optional.empty() : Optional.of("is not ready");
    }

    /**
     * Why the scheduler cannot place the pod ({@code PodScheduled=False}, reason {@code Unschedulable}: no node has the
     * CPU, memory, ports or affinity it asks for), or empty when it is placed or may still be. A replacement would
     * wait the same way, so deleting such a pod helps nothing.
     */
    static Optional<String> unschedulable(Pod pod) {
        if (pod.getStatus() == null || !"Pending".equals(pod.getStatus().getPhase())
                || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream()
                .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())
                        && "Unschedulable".equals(c.getReason()))
                .findFirst()
                .map(c -> c.getMessage() == null ? "Unschedulable" : c.getMessage());
    }

    /** Whether the pod's Ready condition is True. */
    static boolean ready(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return false;
        }
        for (PodCondition condition : pod.getStatus().getConditions()) {
            if ("Ready".equals(condition.getType())) {
                return "True".equals(condition.getStatus());
            }
        }
        return false;
    }

    /** The sum of its containers' restart counts. */
    static int restarts(Pod pod) {
        return containers(pod).stream().mapToInt(c -> c.getRestartCount() == null ? 0 : c.getRestartCount()).sum();
    }

    static List<ContainerStatus> containers(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return List.of();
        }
        return pod.getStatus().getContainerStatuses();
    }
}
