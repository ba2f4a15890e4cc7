package io.aegis.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class WorkloadStatusTest {

    @Test
    void theProcessOnlyConstructorOfEarlierPluginsStillBuildsAStatusWithTheNewFieldsEmpty() {
        WorkloadStatus status = new WorkloadStatus(WorkloadStatus.State.EXITED, OptionalLong.of(7), OptionalInt.of(1),
                "pid 7 exited with code 1");

        assertThat(status).isEqualTo(WorkloadStatus.exited(7, 1));
        assertThat(status.id()).isEmpty();
        assertThat(status.desiredInstances()).isEmpty();
        assertThat(status.readyInstances()).isEmpty();
        assertThat(status.version()).isEmpty();
        assertThat(status.exitReason()).isEmpty();
    }

    @Test
    void aContainerOrAPodSaysWhatItIsWhichVersionRunsAndWhyItEnded() {
        WorkloadStatus container = WorkloadStatus.exited(4242, 137).withId("4f2a1c").withVersion("sha256:abc")
                .withExitReason("OOMKilled");
        WorkloadStatus deployment = WorkloadStatus.running("deployment shop/web").withId("shop/web")
                .withInstances(3, 2).withVersion("revision 7");
        WorkloadStatus pod = WorkloadStatus.exited("pod web-1 container app terminated").withExitCode(1);

        assertThat(container).extracting(WorkloadStatus::state, WorkloadStatus::id, WorkloadStatus::version,
                        WorkloadStatus::exitReason, WorkloadStatus::exitCode)
                .containsExactly(WorkloadStatus.State.EXITED, Optional.of("4f2a1c"), Optional.of("sha256:abc"),
                        Optional.of("OOMKilled"), OptionalInt.of(137));
        assertThat(deployment.desiredInstances()).hasValue(3);
        assertThat(deployment.readyInstances()).hasValue(2);
        assertThat(deployment.isRunning()).isTrue();
        assertThat(pod.pid()).isEmpty();
        assertThat(pod.exitCode()).hasValue(1);
        assertThat(WorkloadStatus.unknown("the API server does not answer").state())
                .isEqualTo(WorkloadStatus.State.UNKNOWN);
    }

    @Test
    void refusesNegativeInstanceCounts() {
        assertThatThrownBy(() -> WorkloadStatus.running("x").withInstances(-1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("instance counts cannot be negative: desired -1, ready 0");
    }
}
