package io.aegis.testkit.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.FailureReason;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.StateChanged;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.StalledServer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The bundled HTTP checker, whose checks a tick starts inline on its own event loop, against real loopback servers
 * on virtual time: each request happens for real between two timers.
 */
class EngineHarnessWithBundledCheckersTest {

    @Test
    void anHourOfHttpChecksIsOneRequestPerIntervalAndA503TurnsTheServiceUnhealthyAtTheThirdFailure()
            throws Exception {
        try (LoopbackHttpServer server = LoopbackHttpServer.start();
                EngineHarness harness = EngineHarness.startInVirtualTime(ServiceDefinition.builder("api")
                        .check("http", server.uri("/health").toString()).interval(Duration.ofSeconds(30))
                        .timeout(Duration.ofSeconds(5)).retries(0).failureThreshold(3))) {
            harness.advanceUntilState("api", ServiceState.HEALTHY, Duration.ofMinutes(1));
            harness.advance(Duration.ofHours(1));

            int checks = harness.events(CheckCompleted.class).size();
            assertThat(checks).isBetween(120, 121);
            assertThat(server.requests()).hasSize(checks);

            server.respondWith(503, "down for maintenance");
            Instant broke = harness.now();
            StateChanged down = harness.advanceUntilState("api", ServiceState.UNHEALTHY, Duration.ofMinutes(5));
            assertThat(Duration.between(broke, down.at())).isGreaterThan(Duration.ofSeconds(60))
                    .isLessThanOrEqualTo(Duration.ofSeconds(90));
            assertThat(down.cause()).contains("503");
        }
    }

    @Test
    void aServerThatNeverAnswersIsATimeoutOnTheVirtualClockAndItsConnectionIsClosed() throws Exception {
        try (StalledServer server = StalledServer.start();
                EngineHarness harness = EngineHarness.startInVirtualTime(ServiceDefinition.builder("stalled")
                        .check("http", "http://127.0.0.1:" + server.port() + "/health")
                        .interval(Duration.ofSeconds(30)).timeout(Duration.ofSeconds(5)).retries(0)
                        .failureThreshold(1))) {
            Instant start = harness.now();

            StateChanged down = harness.advanceUntilState("stalled", ServiceState.UNHEALTHY, Duration.ofMinutes(1));

            CheckCompleted timedOut = harness.events(CheckCompleted.class).get(0);
            assertThat(timedOut.result().failureReason()).contains(FailureReason.TIMEOUT);
            assertThat(Duration.between(start, down.at())).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(6));
            assertThat(server.awaitNoneOpen(Duration.ofSeconds(5))).as("the timed-out check's connection closed")
                    .isTrue();
        }
    }
}
