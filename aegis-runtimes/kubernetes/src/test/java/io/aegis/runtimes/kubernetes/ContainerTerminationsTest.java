package io.aegis.runtimes.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.WorkloadStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import org.junit.jupiter.api.Test;

/** Which pod updates are exits aegis reports, and that each is reported once. */
class ContainerTerminationsTest {

    private final ContainerTerminations terminations = new ContainerTerminations();

    private static Pod pod(int restarts, Integer terminatedExit, boolean lastState) {
        ContainerStatusBuilder container = new ContainerStatusBuilder().withName("app").withRestartCount(restarts);
        if (terminatedExit != null && !lastState) {
            container.withNewState().withNewTerminated().withExitCode(terminatedExit).withReason("Error")
                    .withFinishedAt("2026-11-30T18:00:0" + restarts + "Z").endTerminated().endState();
        } else {
            container.withNewState().withNewRunning().endRunning().endState();
        }
        if (terminatedExit != null && lastState) {
            container.withNewLastState().withNewTerminated().withExitCode(terminatedExit).withReason("Error")
                    .withFinishedAt("2026-11-30T18:00:0" + (restarts - 1) + "Z").endTerminated().endLastState();
        }
        return new PodBuilder().withNewMetadata().withName("web-1").addToLabels("app", "web").endMetadata()
                .withStatus(new PodStatusBuilder().withPhase("Running").addToContainerStatuses(container.build())
                        .build()).build();
    }

    @Test
    void crashesBeforeAegisLookedAreHistoryButACrashWhileTheWatchWasClosedIsReportedOnTheNextList() {
        assertThat(terminations.update(pod(3, 1, true), true)).isEmpty();
        // the watch was closed; the re-list shows the restart count went up meanwhile
        assertThat(terminations.update(pod(4, 2, true), false)).extracting(WorkloadStatus::description)
                .containsExactly("pod web-1 container app terminated: Error (exit 2)");
    }

    @Test
    void aTerminationIsReportedOnceThoughTheRestartShowsItAgainInLastState() {
        terminations.update(pod(0, null, false), true);
        assertThat(terminations.update(pod(0, 1, false), false)).hasSize(1);
        assertThat(terminations.update(pod(1, 1, true), false)).isEmpty();
    }

    @Test
    void podsOnTheirWayOutAndIsolatedPodsAreNotReported() {
        terminations.update(pod(0, null, false), true);
        Pod deleting = pod(0, 143, false);
        deleting.getMetadata().setDeletionTimestamp("2026-11-30T18:00:00Z");
        assertThat(terminations.update(deleting, false)).isEmpty();

        ContainerTerminations other = new ContainerTerminations();
        other.update(pod(0, null, false), true);
        Pod isolated = pod(0, 1, false);
        isolated.getMetadata().getLabels().put(PodHealth.ISOLATED_LABEL, "true");
        assertThat(other.update(isolated, false)).isEmpty();
    }

    @Test
    void anEvictedPodIsReportedAsFailed() {
        terminations.update(pod(0, null, false), true);
        Pod evicted = pod(0, null, false);
        evicted.getStatus().setPhase("Failed");
        evicted.getStatus().setReason("Evicted");
        evicted.getStatus().setMessage("The node was low on resource: memory.");
        assertThat(terminations.update(evicted, false)).singleElement().satisfies(exit -> {
            assertThat(exit.description()).isEqualTo("pod web-1 failed: Evicted (The node was low on resource:"
                    + " memory.)");
            assertThat(exit.exitReason()).contains("Evicted");
        });
    }
}
