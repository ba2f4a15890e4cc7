package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.Alert;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.core.testing.Scrape;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * FLAPPING through the whole engine: a real HTTP server on loopback that answers 200 and 503 in turn, the real
 * http checker, the metrics endpoint. The state-machine details are tested on virtual time (FlappingTest); this
 * shows the wiring: the snapshot, the events, the alerts and {@code aegis_service_state} agree.
 */
class FlappingEngineTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);
    private static final Duration WINDOW = Duration.ofSeconds(2);

    /** Answers 200 and 503 in turn until the test calms it. */
    private final LoopbackHttpServer server = LoopbackHttpServer.start();
    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private Engine engine;

    @BeforeEach
    void flap() {
        server.respondInTurn(200, 503);
    }

    @AfterEach
    void stopAll() {
        if (engine != null) {
            engine.close();
        }
        server.close();
    }

    @Test
    void aServiceWhoseEndpointFlapsIsFlappingWithOneAlertAndLeavesItAfterACalmWindow() throws Exception {
        engine = Engine.builder().metricsEnabled(true).metricsHost("127.0.0.1").metricsPort(0).listener(events::add)
                .service(ServiceDefinition.builder("api")
                        .check("http", server.uri("/health").toString())
                        .interval(Duration.ofMillis(50)).timeout(Duration.ofSeconds(1)).retries(0)
                        .failureThreshold(1).successThreshold(1).onFailure("notify").flapping(4, WINDOW).build())
                .build().start();

        await().atMost(AWAIT).until(() -> state() == ServiceState.FLAPPING);
        await().atMost(AWAIT).until(() -> firing().stream().anyMatch(alert -> alert.name().equals("ServiceFlapping")));
        List<Alert> whenFlappingStarted = firing();
        int checksWhenFlapping = finalChecks();
        await().atMost(AWAIT).until(() -> finalChecks() >= checksWhenFlapping + 40); // 20 more flaps
        assertThat(state()).isEqualTo(ServiceState.FLAPPING);
        assertThat(Scrape.metricsOf(engine)).contains("aegis_service_state{service=\"api\",state=\"flapping\"} 1.0");
        assertThat(firing()).as("no alert per flap").isEqualTo(whenFlappingStarted);
        // With the server's strict alternation: one alert per failure before it counted as flapping, then one.
        assertThat(firing()).extracting(Alert::name)
                .containsExactly("ServiceUnhealthy", "ServiceUnhealthy", "ServiceFlapping");

        server.respondWith(200, "ok");

        await().atMost(AWAIT).until(() -> state() == ServiceState.HEALTHY);
        // Listeners and metrics get their events asynchronously: they may lag the snapshot a little.
        await().atMost(AWAIT).untilAsserted(() -> {
            assertThat(eventsOf(StateChanged.class)).filteredOn(change -> change.from() == ServiceState.FLAPPING)
                    .singleElement().satisfies(change -> {
                        assertThat(change.to()).isEqualTo(ServiceState.HEALTHY);
                        assertThat(change.cause()).isEqualTo("no state change for 2s");
                    });
            assertThat(eventsOf(AlertResolved.class)).extracting(resolved -> resolved.alert().name())
                    .contains("ServiceFlapping");
            assertThat(Scrape.metricsOf(engine)).contains("aegis_service_state{service=\"api\",state=\"flapping\"} 0.0")
                    .contains("aegis_service_state{service=\"api\",state=\"healthy\"} 1.0");
        });
    }

    private ServiceState state() {
        return engine.service("api").orElseThrow().state();
    }

    private int finalChecks() {
        return (int) eventsOf(CheckCompleted.class).stream().filter(CheckCompleted::finalAttempt).count();
    }

    private List<Alert> firing() {
        return eventsOf(AlertFired.class).stream().map(AlertFired::alert).toList();
    }

    private <E extends ServiceEvent> List<E> eventsOf(Class<E> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
