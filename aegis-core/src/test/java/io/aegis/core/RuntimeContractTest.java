package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.WorkloadStatus;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.core.event.WorkloadExited;
import io.aegis.core.testing.RecordingRuntimeFactory;
import io.aegis.core.testing.RecordingRuntimeFactory.Calls;
import io.aegis.testkit.LoopbackPorts;
import io.aegis.core.testing.Scrape;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's side of the runtime contract that runtimes owned by another system rely on: it never stops a
 * workload that outlives it, and it tells the runtime of every healthy check cycle (the rollback target), and of
 * nothing else, whatever the runtime does with it.
 */
class RuntimeContractTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);
    private static final Duration FAST = Duration.ofMillis(50);

    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private Engine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private static ServiceDefinition service(String name, String checkType, String endpoint, Map<String, Object> runtime) {
        return ServiceDefinition.builder(name).check(checkType, endpoint).interval(FAST).timeout(Duration.ofSeconds(1))
                .startPeriod(Duration.ZERO).runtime("test-recording", runtime).build();
    }

    @Test
    void aWorkloadThatOutlivesTheEngineIsNotStoppedWhenItCloses() {
        engine = Engine.builder().metricsEnabled(false)
                .service(service("deployment", "test-pass", "nowhere", Map.of("outlives", true)))
                .service(service("child", "test-pass", "nowhere", Map.of()))
                .build().start();
        Calls deployment = RecordingRuntimeFactory.calls("deployment");
        Calls child = RecordingRuntimeFactory.calls("child");
        await().atMost(AWAIT).until(() -> deployment.starts.get() == 1 && child.starts.get() == 1);

        engine.close();

        assertThat(deployment.stops).as("a Deployment is not aegis' to scale to zero").hasValue(0);
        assertThat(child.stops).as("what aegis started, aegis stops").hasValue(1);
    }

    @Test
    void theRuntimeHearsOfEveryHealthyCycleAndOfNoFailingOne() {
        engine = Engine.builder().metricsEnabled(false).listener(events::add)
                .service(service("up", "test-pass", "nowhere", Map.of()))
                .service(service("down", "tcp", "127.0.0.1:" + LoopbackPorts.free(), Map.of()))
                .build().start();
        Calls up = RecordingRuntimeFactory.calls("up");
        Calls down = RecordingRuntimeFactory.calls("down");

        await().atMost(AWAIT).until(() -> up.healthy.get() >= 3);
        await().atMost(AWAIT).until(() -> events.stream().filter(e -> e instanceof CheckCompleted c
                && c.serviceName().equals("down") && c.finalAttempt()).count() >= 3);

        assertThat(down.healthy).as("a failing service has no version worth going back to").hasValue(0);
    }

    @Test
    void aRuntimeThatThrowsWhenToldOfHealthKeepsItsServiceCheckedAndHealthy() {
        engine = Engine.builder().metricsEnabled(false)
                .service(service("careless", "test-pass", "nowhere", Map.of("throwOnHealthy", true)))
                .build().start();
        Calls careless = RecordingRuntimeFactory.calls("careless");

        await().atMost(AWAIT).until(() -> careless.healthy.get() >= 3);

        assertThat(engine.service("careless").orElseThrow().state()).isEqualTo(ServiceState.HEALTHY);
    }

    @Test
    void anEndToldAsOneBeforeTheStopIsOnRecordAndSetsOffNothing() {
        // A runtime whose process crashed and that a failed check restarted before it told of the crash: the end is
        // counted and published, but what runs now is not what ended, so the service is neither failed nor restarted.
        engine = Engine.builder().metricsEnabled(true).metricsHost("127.0.0.1").metricsPort(0).listener(events::add)
                .service(service("crashed", "test-pass", "nowhere", Map.of()))
                .build().start();
        Calls crashed = RecordingRuntimeFactory.calls("crashed");
        await().atMost(AWAIT).until(() -> engine.service("crashed").orElseThrow().state() == ServiceState.HEALTHY);

        int eventsBefore = events.size();
        crashed.listener.workloadExitedBeforeStop(WorkloadStatus.exited(4242, 137));

        await().atMost(AWAIT).until(() -> events.stream().anyMatch(e -> e instanceof WorkloadExited exit
                && exit.status().pid().equals(OptionalLong.of(4242))));
        await().atMost(AWAIT).untilAsserted(() -> assertThat(Scrape.metricsOf(engine))
                .contains("aegis_workload_exits_total{service=\"crashed\"} 1.0"));
        int healthyCycles = crashed.healthy.get();
        await().atMost(AWAIT).until(() -> crashed.healthy.get() >= healthyCycles + 3);
        assertThat(events.subList(eventsBefore, events.size()))
                .noneMatch(e -> e instanceof StateChanged || e instanceof RecoveryStarted);
        assertThat(crashed.starts).hasValue(1);
        assertThat(crashed.stops).hasValue(0);

        // The same end told as a crash of what runs sets off the service's recovery.
        crashed.listener.workloadExited(WorkloadStatus.exited(4243, 137));
        await().atMost(AWAIT).until(() -> events.stream().anyMatch(e -> e instanceof StateChanged change
                && change.to() == ServiceState.UNHEALTHY));
    }
}
