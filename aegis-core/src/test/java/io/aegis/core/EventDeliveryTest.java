package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.aegis.api.Alert;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.ServiceEvent;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.core.testing.Scrape;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the engine hands its events to listeners (asynchronously, a bounded queue each, overflow counted), alerts as
 * events, and an application's own metrics registry: the real engine against a real server on loopback.
 */
class EventDeliveryTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);

    private final LoopbackHttpServer server = LoopbackHttpServer.start();
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<Engine> engines = new ArrayList<>();

    @AfterEach
    void stopAll() {
        release.countDown();
        engines.forEach(Engine::close);
        server.close();
    }

    private ServiceDefinition service(String name) {
        return ServiceDefinition.builder(name).check("http", server.uri("/health").toString())
                .interval(Duration.ofMillis(100)).onFailure("notify").build();
    }

    private Engine started(Engine.Builder builder) {
        Engine engine = builder.build();
        engines.add(engine);
        return engine.start();
    }

    /** A listener that never returns until the test ends. */
    private Consumer<ServiceEvent> blocked() {
        return event -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    private static ServiceState stateOf(Engine engine, String service) {
        return engine.service(service).orElseThrow().state();
    }

    @Test
    void aListenerThatBlocksForeverStallsTheChecksOfNoService() {
        Engine engine = started(Engine.builder().metricsEnabled(false).listener(blocked())
                .service(service("api")).service(service("db")));

        await().atMost(AWAIT).until(() -> stateOf(engine, "api") == ServiceState.HEALTHY
                && stateOf(engine, "db") == ServiceState.HEALTHY);
        server.respondWith(500, "");

        await().atMost(AWAIT).until(() -> stateOf(engine, "api") == ServiceState.UNHEALTHY
                && stateOf(engine, "db") == ServiceState.UNHEALTHY);
    }

    @Test
    void eventsALaggingListenerCannotTakeAreCountedPerSubscriberAndLogged() throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Engine engine;
        try {
            engine = started(Engine.builder().metricsHost("127.0.0.1").metricsPort(0).eventQueueCapacity(5)
                    .listener(blocked()).service(service("api")));
            await().atMost(AWAIT).until(() -> Scrape.metricsOf(engine).lines().anyMatch(line -> line.matches(
                    "aegis_events_dropped_total\\{subscriber=\"EventDeliveryTest\"} [1-9][0-9]*\\.0")));
            // the drop is counted first and logged right after: wait for the line rather than race it
            await().atMost(AWAIT).untilAsserted(() -> assertThat(captured.toString(StandardCharsets.UTF_8))
                    .contains("WARN io.aegis.core.internal.EventBus - api: event listener EventDeliveryTest is 5 events"
                            + " behind (it is slow or blocked); dropping its"));
        } finally {
            System.setErr(original);
        }

        // The engine's own subscribers never drop: the metrics kept counting every check.
        assertThat(Scrape.metricsOf(engine)).doesNotContain("subscriber=\"EngineMetrics\"")
                .doesNotContain("subscriber=\"AlertLifecycle\"");
        await().atMost(AWAIT).until(() -> Scrape.metricsOf(engine).lines()
                .anyMatch(line -> line.matches("aegis_health_checks_total\\{result=\"healthy\",service=\"api\"} "
                        + "([1-9][0-9]+)\\.0")));
    }

    @Test
    void embeddersSeeAlertsFireAndResolveAsEvents() {
        List<ServiceEvent> alerts = new CopyOnWriteArrayList<>();
        Engine engine = started(Engine.builder().metricsEnabled(false).listener(AlertFired.class, alerts::add)
                .listener(AlertResolved.class, alerts::add).service(service("api")));
        await().atMost(AWAIT).until(() -> stateOf(engine, "api") == ServiceState.HEALTHY);

        server.respondWith(500, "");
        await().atMost(AWAIT).until(() -> alerts.size() == 1);
        server.respondWith(200, "");
        await().atMost(AWAIT).until(() -> alerts.size() == 2);

        assertThat(alerts.get(0)).isInstanceOfSatisfying(AlertFired.class, fired -> {
            assertThat(fired.serviceName()).isEqualTo("api");
            assertThat(fired.alert().name()).isEqualTo("ServiceUnhealthy");
            assertThat(fired.alert().state()).isEqualTo(Alert.State.FIRING);
        });
        assertThat(alerts.get(1)).isInstanceOfSatisfying(AlertResolved.class, resolved -> {
            assertThat(resolved.alert().name()).isEqualTo("ServiceUnhealthy");
            assertThat(resolved.alert().state()).isEqualTo(Alert.State.RESOLVED);
            assertThat(resolved.at()).isEqualTo(resolved.alert().endsAt().orElseThrow());
        });
    }

    @Test
    void registersItsMetricsInTheApplicationsRegistryWithoutItsOwnServerAndTakesThemOutOnClose() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        Engine engine = started(Engine.builder().metricsRegistry(registry).service(service("api")));
        await().atMost(AWAIT).until(() -> stateOf(engine, "api") == ServiceState.HEALTHY);

        assertThat(engine.metricsPort()).as("the engine's own metrics server").isEmpty();
        await().atMost(AWAIT).until(() -> text(registry).contains("aegis_service_status{service=\"api\"} 1.0"));
        assertThat(text(registry)).as("JVM metrics are the application's business")
                .doesNotContain("jvm_memory_used_bytes");

        engine.close();
        assertThat(text(registry)).doesNotContain("aegis_");
    }

    @Test
    void servesTheApplicationsRegistryWhenItsOwnServerIsAskedFor() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        Counter.builder().name("app_requests_total").help("The application's own metric.").register(registry).inc();
        Engine engine = started(Engine.builder().metricsRegistry(registry).metricsHost("127.0.0.1").metricsPort(0)
                .service(service("api")));

        await().atMost(AWAIT).until(() -> Scrape.metricsOf(engine).contains("aegis_service_status{service=\"api\"} 1.0"));
        assertThat(Scrape.metricsOf(engine)).contains("app_requests_total 1.0");
    }

    @Test
    void aSecondOpenEngineOnTheSameRegistryIsRefusedAndOneAfterTheFirstClosedIsNot() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        Engine first = started(Engine.builder().metricsRegistry(registry).service(service("api")));

        assertThatThrownBy(() -> Engine.builder().metricsRegistry(registry).service(service("db")).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the metrics registry given to Engine.Builder.metricsRegistry already holds aegis"
                        + " metrics")
                .hasMessageContaining("give each engine its own registry, or close the other engine first");
        first.close();

        Engine second = started(Engine.builder().metricsRegistry(registry).service(service("db")));
        await().atMost(AWAIT).until(() -> text(registry).contains("aegis_service_status{service=\"db\"}"));
        assertThat(text(registry)).doesNotContain("service=\"api\"");
        second.close();
    }

    private static String text(PrometheusRegistry registry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, registry.scrape(),
                EscapingScheme.ALLOW_UTF8);
        return out.toString(StandardCharsets.UTF_8);
    }
}
