package ${package};

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aegis.api.RuntimeOperation;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.StateChanged;
import io.aegis.testkit.StalledServer;
import io.aegis.testkit.engine.EngineHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The plugin inside a real aegis engine, found by {@link java.util.ServiceLoader} as when its jar is in
 * {@code --plugin-dir}, on virtual time: the service keeps the 30 s interval an operator would write, and an hour of
 * checks takes a fraction of a second. Each connect happens for real, between two ticks. The runtime {@code fake}
 * records what the engine asks of the workload.
 */
class PortCheckerInEngineTest {

    @Test
    void aPortThatStopsListeningTurnsTheServiceUnhealthyAtTheThirdFailedCheckAndItIsRestarted() throws Exception {
        // Accepts every connection (and never answers: a connect is all this checker asks).
        StalledServer listening = StalledServer.start();
        try (EngineHarness harness = EngineHarness.startInVirtualTime(ServiceDefinition.builder("db")
                .check(PortCheckerFactory.TYPE, "127.0.0.1:" + listening.port())
                .interval(Duration.ofSeconds(30)).timeout(Duration.ofSeconds(5)).retries(0).failureThreshold(3)
                .onFailure("restart").runtime("fake", Map.of()))) {
            harness.advanceUntilState("db", ServiceState.HEALTHY, Duration.ofMinutes(1));
            harness.advance(Duration.ofHours(1));
            assertTrue(harness.events(CheckCompleted.class).size() >= 120, "a check every 30 s for an hour");
            assertTrue(harness.events(CheckCompleted.class).stream().allMatch(check -> check.result().isPassing()));

            listening.close();
            Instant closed = harness.now();
            StateChanged down = harness.advanceUntilState("db", ServiceState.UNHEALTHY, Duration.ofMinutes(5));

            // Three refused connects, 30 s apart on the virtual clock.
            Duration after = Duration.between(closed, down.at());
            assertTrue(after.compareTo(Duration.ofSeconds(60)) > 0 && after.compareTo(Duration.ofSeconds(90)) <= 0,
                    "UNHEALTHY " + after + " after the port closed");
            harness.advanceUntil(RecoveryStarted.class, started -> started.serviceName().equals("db"),
                    Duration.ofMinutes(1));
            assertTrue(harness.runtime("db").calls().contains(RuntimeOperation.RESTART));
        } finally {
            listening.close();
        }
    }
}
