package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.AnomalyDetected;
import io.aegis.core.event.AnomalyResolved;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.testing.RealPrometheus;
import io.aegis.core.testing.TestSignalSourceFactory;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anomalies of a service's own numbers: a real service exposing its request counter with client_java 1.x (its own
 * HTTP server, on loopback), scraped by a real engine; and a real Prometheus server queried with PromQL.
 */
class AnomalySourcesEngineTest {
    private static final Duration AWAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService traffic = Executors.newSingleThreadScheduledExecutor();
    private Engine engine;
    private HTTPServer exporter;

    /** Requests per 50 ms tick, and how many of them fail; the test changes them. */
    private volatile int requestsPerTick = 5;
    private volatile int failuresPerTick;

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        traffic.shutdownNow();
        if (exporter != null) {
            exporter.close();
        }
    }

    private <E extends ServiceEvent> List<E> eventsOf(Class<E> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private ServiceState state() {
        return engine.service("shop").orElseThrow().state();
    }

    @Test
    void anErrorCounterThatStartsToClimbIsAnAnomalyThatEndsWhenItStopsAndNoTrafficIsOneToo() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        Counter requests = Counter.builder().name("http_requests_total").help("Requests served.")
                .labelNames("code").register(registry);
        exporter = HTTPServer.builder().hostname("127.0.0.1").port(0).registry(registry).buildAndStart();
        traffic.scheduleAtFixedRate(() -> {
            int failures = failuresPerTick;
            requests.labelValues("200").inc(Math.max(0, requestsPerTick - failures));
            if (failures > 0) {
                requests.labelValues("503").inc(failures);
            }
        }, 0, 50, TimeUnit.MILLISECONDS);
        int port = exporter.getPort();
        AegisConfig config = AegisConfig.parse("""
                services:
                  - name: shop
                    type: tcp
                    endpoint: 127.0.0.1:%d
                    interval: 100ms
                    metrics:
                      url: http://127.0.0.1:%d/metrics
                      interval: 100ms
                      requests: http_requests_total
                      errors: 'http_requests_total{code=~"5.."}'
                anomaly_detection:
                  detection_interval: 300ms
                  for: 2
                  resolveAfter: 600ms
                  baselines: false
                  thresholds:
                    error_rate: [{service: shop, value: 0.1}]
                    throughput: [{service: shop, value: 20}]
                """.formatted(port, port), "aegis.yaml", Map.of());
        engine = Engine.builder().metricsEnabled(false).listener(events::add).config(config).build().start();
        await().atMost(AWAIT).until(() -> state() == ServiceState.HEALTHY);

        failuresPerTick = 3; // 60% of 100 req/s fail

        await().atMost(AWAIT).until(() -> !eventsOf(AnomalyDetected.class).isEmpty());
        assertThat(eventsOf(AnomalyDetected.class)).singleElement().satisfies(anomaly -> {
            assertThat(anomaly.signal()).isEqualTo("error_rate");
            assertThat(anomaly.source()).isEqualTo("metrics");
            assertThat(anomaly.value()).isBetween(0.3, 0.9);
            assertThat(anomaly.upper()).isEqualTo(0.1);
        });
        await().atMost(AWAIT).until(() -> state() == ServiceState.DEGRADED);
        await().atMost(AWAIT).until(() -> engine.alerts().stream()
                .anyMatch(active -> active.alert().name().equals("ErrorRateAnomaly")));

        failuresPerTick = 0;

        await().atMost(AWAIT).until(() -> eventsOf(AlertResolved.class).stream()
                .anyMatch(resolved -> resolved.alert().name().equals("ErrorRateAnomaly")));
        await().atMost(AWAIT).until(() -> state() == ServiceState.HEALTHY);
        assertThat(eventsOf(AnomalyDetected.class)).as("the 100 req/s are above the throughput threshold")
                .extracting(AnomalyDetected::signal).containsExactly("error_rate");

        requestsPerTick = 0; // the traffic stops: the service still answers its checks

        await().atMost(AWAIT).until(() -> eventsOf(AnomalyDetected.class).stream()
                .anyMatch(anomaly -> anomaly.signal().equals("throughput")));
        assertThat(eventsOf(AnomalyDetected.class)).filteredOn(anomaly -> anomaly.signal().equals("throughput"))
                .singleElement().satisfies(anomaly -> {
                    assertThat(anomaly.value()).isZero();
                    assertThat(anomaly.lower()).isEqualTo(20);
                });
        assertThat(eventsOf(AnomalyResolved.class)).extracting(AnomalyResolved::signal).containsExactly("error_rate");
    }

    @Test
    void aThirdPartySignalSourceIsJudgedAndOneThatHangsOrThrowsStallsNothing() {
        TestSignalSourceFactory.RELEASE = new java.util.concurrent.CountDownLatch(1);
        try {
            AegisConfig config = AegisConfig.parse("""
                    services:
                      - name: shop
                        type: tcp
                        endpoint: 127.0.0.1:1
                        interval: 1h
                        signals: {type: test-signals, throughput: 3}
                      - name: stuck
                        type: tcp
                        endpoint: 127.0.0.1:1
                        interval: 1h
                        signals: {type: test-signals, throughput: 3, hang: true}
                      - name: broken
                        type: tcp
                        endpoint: 127.0.0.1:1
                        interval: 1h
                        signals: {type: test-signals, throughput: 3, throw: true}
                    anomaly_detection:
                      detection_interval: 100ms
                      for: 2
                      baselines: false
                      thresholds:
                        throughput: [{service: shop, value: 10}, {service: stuck, value: 10}, {service: broken, value: 10}]
                    """, "aegis.yaml", Map.of());
            engine = Engine.builder().metricsEnabled(false).listener(events::add).config(config).build().start();

            await().atMost(AWAIT).until(() -> !eventsOf(AnomalyDetected.class).isEmpty());
            assertThat(eventsOf(AnomalyDetected.class)).singleElement().satisfies(anomaly -> {
                assertThat(anomaly.serviceName()).isEqualTo("shop");
                assertThat(anomaly.source()).isEqualTo("test-signals");
                assertThat(anomaly.value()).isEqualTo(3);
            });
        } finally {
            TestSignalSourceFactory.RELEASE.countDown();
        }
    }

    @Test
    void anUnknownSignalSourceTypeOrSignalIsAConfigErrorWithItsKeyPath() {
        AegisConfig config = AegisConfig.parse("""
                services:
                  - name: shop
                    type: tcp
                    endpoint: 127.0.0.1:1
                    signals: {type: test-signalz}
                  - name: cart
                    type: tcp
                    endpoint: 127.0.0.1:1
                    signals: {type: test-signals, gives: saturation}
                  - name: till
                    type: tcp
                    endpoint: 127.0.0.1:1
                    query: {url: "http://127.0.0.1:9090/api/v1/query", latency: "vector(1)"}
                anomaly_detection:
                  enabled: true
                  thresholds:
                    latency: [{service: till, value: 100}, {service: till, value: 200}]
                """, "aegis.yaml", Map.of());

        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> Engine.builder().metricsEnabled(false).config(config).build(),
                InvalidConfigurationException.class).errors()).containsExactly(
                "aegis.yaml:5:21: services[0].signals.type: unknown signal source type \"test-signalz\" (installed:"
                        + " test-signals); did you mean \"test-signals\"?",
                "aegis.yaml:9:21: services[1].signals.type: signal source test-signals gives a signal named"
                        + " \"saturation\"; aegis judges latency, error_rate and throughput",
                "aegis.yaml:13:18: services[2].query.url: expected the server's base URL, without /api/v1/...:"
                        + " http://127.0.0.1:9090, found \"http://127.0.0.1:9090/api/v1/query\"",
                "aegis.yaml:17:54: anomaly_detection.thresholds.latency[1].service: another latency threshold names"
                        + " service \"till\" already (anomaly_detection.thresholds.latency[0]); give one");
    }

    @Test
    void aPrometheusQueryIsASourceOfSignalsAndAQueryOfManySeriesIsSaidToBeOne() throws IOException {
        try (RealPrometheus prometheus = RealPrometheus.start(dir.resolve("prometheus"), """
                global:
                  scrape_interval: 15s
                """)) {
            AegisConfig config = AegisConfig.parse("""
                    services:
                      - name: shop
                        type: http
                        endpoint: %s/-/healthy
                        interval: 100ms
                        query:
                          url: %s
                          throughput: scalar(vector(3))
                          latency: vector(250)
                          error_rate: 'label_replace(vector(0.9), "a", "1", "", "") or label_replace(vector(0.9), "a", "2", "", "")'
                      - name: wild
                        type: http
                        endpoint: %s/-/healthy
                        interval: 100ms
                        query:
                          url: %s
                          error_rate: vector(5)
                    anomaly_detection:
                      detection_interval: 300ms
                      for: 2
                      baselines: false
                      thresholds:
                        throughput: [{service: shop, value: 10}]
                        latency: [{service: shop, value: 100}]
                        error_rate: [{service: shop, value: 0.5}, {service: wild, value: 0.5}]
                    """.formatted(prometheus.url(), prometheus.url(), prometheus.url(), prometheus.url()), "aegis.yaml",
                    Map.of());
            engine = Engine.builder().metricsEnabled(false).listener(events::add).config(config).build().start();

            await().atMost(AWAIT).until(() -> eventsOf(AnomalyDetected.class).size() >= 2);

            // the error rate query gives two series above the threshold: no sample (one of them taken would be one);
            // wild's error rate of 5 is no fraction: no sample either (learned, or judged, it was an anomaly)
            assertThat(eventsOf(AnomalyDetected.class)).extracting(AnomalyDetected::signal,
                    AnomalyDetected::value, AnomalyDetected::source).containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple("throughput", 3.0, "query"),
                    org.assertj.core.groups.Tuple.tuple("latency", 250.0, "query"));
            await().atMost(AWAIT).until(() -> state() == ServiceState.DEGRADED);
        }
    }
}
