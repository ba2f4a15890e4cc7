package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.AnomalyDetected;
import io.aegis.core.event.AnomalyResolved;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.testing.ChildProcesses;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.LoopbackPorts;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anomaly_detection:} end to end: a real HTTP service on loopback whose answers slow down, a real engine
 * checking it, the anomaly's event, DEGRADED state, alert and metrics, and their end once it is fast again.
 */
class AnomalyDetectionEngineTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);

    /** The service; the test makes it slow ({@link LoopbackHttpServer#delayAnswers}), not the test waiting. */
    private final LoopbackHttpServer server = LoopbackHttpServer.start();
    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private Engine engine;

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        server.close();
    }

    private Engine start(String anomalyBlock, String metadata) {
        return start(anomalyBlock, metadata, null);
    }

    private Engine start(String anomalyBlock, String metadata, Path stateDirectory) {
        AegisConfig config = AegisConfig.parse("""
                services:
                  - name: api
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 50ms
                    timeout: 2s
                %s
                anomaly_detection:
                %s
                """.formatted(server.port(), metadata, anomalyBlock), "aegis.yaml", Map.of());
        Engine.Builder builder = Engine.builder().metricsEnabled(false)
                .metricsRegistry(stateDirectory == null ? registry : new PrometheusRegistry())
                .listener(events::add).config(config);
        if (stateDirectory != null) {
            builder.stateDirectory(stateDirectory);
        }
        return builder.build().start();
    }

    private ServiceState state() {
        return engine.service("api").orElseThrow().state();
    }

    private <E extends ServiceEvent> List<E> eventsOf(Class<E> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void aLatencyAboveTheSeedsMetadataThresholdIsAnAnomalyUntilTheServiceIsFastAgain() {
        engine = start("""
                  detection_interval: 200ms
                  for: 2
                  resolveAfter: 400ms
                  baselines: false
                """, """
                    metadata:
                      latency_threshold: "100"
                """);
        await().atMost(AWAIT).until(() -> state() == ServiceState.HEALTHY);

        server.delayAnswers(Duration.ofMillis(150));

        await().atMost(AWAIT).until(() -> !eventsOf(AnomalyDetected.class).isEmpty());
        assertThat(eventsOf(AnomalyDetected.class)).singleElement().satisfies(anomaly -> {
            assertThat(anomaly.signal()).isEqualTo("latency");
            assertThat(anomaly.value()).isGreaterThan(100);
            assertThat(anomaly.upper()).isEqualTo(100);
            assertThat(anomaly.method()).isEqualTo("threshold");
            assertThat(anomaly.source()).isEqualTo("checks");
        });
        await().atMost(AWAIT).until(() -> state() == ServiceState.DEGRADED);
        await().atMost(AWAIT).until(() -> engine.alerts().stream()
                .anyMatch(active -> active.alert().name().equals("LatencyAnomaly")));
        assertThat(gauge("aegis_anomaly_active")).isEqualTo(1.0);
        assertThat(gauge("aegis_anomaly_signal_value")).as("seconds").isGreaterThan(0.1).isLessThan(2);
        assertThat(counter("aegis_anomalies_total")).isEqualTo(1.0);

        server.delayAnswers(Duration.ZERO);

        await().atMost(AWAIT).until(() -> !eventsOf(AnomalyResolved.class).isEmpty());
        await().atMost(AWAIT).until(() -> state() == ServiceState.HEALTHY);
        await().atMost(AWAIT).until(() -> eventsOf(AlertResolved.class).stream()
                .anyMatch(resolved -> resolved.alert().name().equals("LatencyAnomaly")));
        assertThat(gauge("aegis_anomaly_active")).isZero();
        assertThat(eventsOf(AlertFired.class)).filteredOn(fired -> fired.alert().name().equals("LatencyAnomaly"))
                .singleElement().satisfies(fired -> assertThat(fired.alert().labels()).containsEntry("signal",
                        "latency"));
        assertThat(eventsOf(AnomalyDetected.class)).as("one anomaly, no flapping").hasSize(1);
    }

    @Test
    void aLearnedBaselineCatchesASlowdownNobodyGaveAThresholdFor() {
        engine = start("""
                  detection_interval: 100ms
                  warmUp: 5
                  for: 2
                  resolveAfter: 300ms
                """, "");
        server.delayAnswers(Duration.ofMillis(5));
        await().atMost(AWAIT).until(() -> !Double.isNaN(gaugeOrNaN("aegis_anomaly_baseline_upper")));

        server.delayAnswers(Duration.ofMillis(300));

        await().atMost(AWAIT).until(() -> !eventsOf(AnomalyDetected.class).isEmpty());
        assertThat(eventsOf(AnomalyDetected.class).get(0)).satisfies(anomaly -> {
            assertThat(anomaly.signal()).isEqualTo("latency");
            assertThat(anomaly.method()).isEqualTo("baseline");
            assertThat(anomaly.upper()).isLessThan(anomaly.value());
        });
        await().atMost(AWAIT).until(() -> state() == ServiceState.DEGRADED);
    }

    @Test
    void anAnomalyAlertStillFiringWhenAegisStoppedIsTakenOverNotResolvedAtTheNextStart(@TempDir Path state) {
        server.delayAnswers(Duration.ofMillis(150));
        engine = start("""
                  detection_interval: 200ms
                  for: 2
                  baselines: false
                """, """
                    metadata:
                      latency_threshold: "100"
                """, state);
        await().atMost(AWAIT).until(() -> engine.alerts().stream()
                .anyMatch(active -> active.alert().name().equals("LatencyAnomaly")));
        engine.close();
        server.delayAnswers(Duration.ZERO); // fixed while aegis was down
        events.clear();

        long started = System.nanoTime();
        engine = start("""
                  detection_interval: 1s
                  for: 2
                  baselines: false
                """, """
                    metadata:
                      latency_threshold: "100"
                """, state);

        // not resolved by the start (as a rule's alert nobody raises any more), and no new notification
        assertThat(engine.alerts()).anyMatch(active -> active.alert().name().equals("LatencyAnomaly"));
        await().atMost(AWAIT).until(() -> eventsOf(AlertResolved.class).stream()
                .anyMatch(resolved -> resolved.alert().name().equals("LatencyAnomaly")));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("resolved once judged again: 2 evaluations")
                .isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        assertThat(eventsOf(AlertFired.class)).noneMatch(fired -> fired.alert().name().equals("LatencyAnomaly"));
    }

    @Test
    void aServiceAddedToTheRunningEngineIsWatchedWithItsOwnThresholdsAndItsMistakesAreRefused() {
        AegisConfig config = AegisConfig.parse("""
                anomaly_detection:
                  detection_interval: 200ms
                  for: 2
                  baselines: false
                """, "aegis.yaml", Map.of());
        engine = Engine.builder().metricsEnabled(false).listener(events::add).config(config).build().start();
        ServiceDefinition.Builder api = ServiceDefinition.builder("api")
                .check("http", "http://127.0.0.1:" + server.port() + "/health")
                .interval(Duration.ofMillis(50)).timeout(Duration.ofSeconds(2));

        assertThatThrownBy(() -> engine.addService(api.metadata(Map.of("latency_threshold", "soon")).build()))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("latency_threshold");
        engine.addService(api.metadata(Map.of("latency_threshold", "100")).build());
        await().atMost(AWAIT).until(() -> state() == ServiceState.HEALTHY);
        server.delayAnswers(Duration.ofMillis(150));

        await().atMost(AWAIT).until(() -> !eventsOf(AnomalyDetected.class).isEmpty());
        await().atMost(AWAIT).until(() -> state() == ServiceState.DEGRADED);
    }

    @Test
    void aSeedMetadataThresholdThatIsNoNumberIsAConfigErrorWithItsKeyPath() {
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(() -> start("  enabled: true", """
                    metadata:
                      latency_threshold: "fast"
                      error_rate_threshold: "2"
                """), InvalidConfigurationException.class).errors()).containsExactly(
                "aegis.yaml:8:26: services[0].metadata.latency_threshold: expected a latency in milliseconds (a number"
                        + " of at least 0, such as 500), found \"fast\"",
                "aegis.yaml:9:29: services[0].metadata.error_rate_threshold: expected a fraction from 0 to 1 (0.05 is"
                        + " 5%), found \"2\"");
    }

    @Test
    void actionRestartRestartsASlowProcessThroughItsRecoveryAndTheAnomalyEndsOnTheFastNewOne(@TempDir Path dir)
            throws Exception {
        int port = LoopbackPorts.free();
        AegisConfig config = AegisConfig.parse("""
                anomaly_detection:
                  detection_interval: 200ms
                  for: 2
                  resolveAfter: 400ms
                  baselines: false
                  action: restart
                """, "aegis.yaml", Map.of());
        engine = Engine.builder().metricsEnabled(false).stateDirectory(dir.resolve("state")).listener(events::add)
                .config(config).service(ServiceDefinition.builder("demo")
                        .check("http", "http://127.0.0.1:" + port + "/health").interval(Duration.ofMillis(50))
                        .timeout(Duration.ofSeconds(2)).metadata(Map.of("latency_threshold", "100"))
                        .onFailure("notify")
                        .runtime("process", ChildProcesses.demoServerRuntime(port, dir.resolve("demo.log")))
                        .build())
                .build().start();
        await().atMost(AWAIT).until(() -> engine.service("demo").orElseThrow().state() == ServiceState.HEALTHY);
        long slowPid = ChildProcesses.demoServerPid(port);

        HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow"))
                .build(), HttpResponse.BodyHandlers.discarding());

        // restarted by the anomaly's action though its ladder only notifies: action: restart names the step
        await().atMost(AWAIT).until(() -> eventsOf(RecoveryStarted.class).stream()
                .anyMatch(started -> started.action().equals("restart")));
        await().atMost(AWAIT).until(() -> !eventsOf(AnomalyResolved.class).isEmpty());
        assertThat(ChildProcesses.demoServerPid(port)).as("a new process").isNotEqualTo(slowPid);
        // (a check refused while the new JVM starts may run the ladder's notify: not the anomaly's doing)
        assertThat(eventsOf(RecoveryStarted.class)).filteredOn(started -> started.action().equals("restart"))
                .singleElement().satisfies(started -> assertThat(started.cause()).contains("latency anomaly")
                        .contains("above its threshold 100 ms"));
        await().atMost(AWAIT).until(() -> engine.service("demo").orElseThrow().state() == ServiceState.HEALTHY);
    }

    private double gauge(String name) {
        double value = gaugeOrNaN(name);
        assertThat(value).as(name).isNotNaN();
        return value;
    }

    private double gaugeOrNaN(String name) {
        return snapshot(name).map(snapshot -> ((GaugeSnapshot) snapshot).getDataPoints().stream()
                .filter(point -> point.getLabels().get("signal").equals("latency")).findFirst()
                .map(GaugeSnapshot.GaugeDataPointSnapshot::getValue).orElse(Double.NaN)).orElse(Double.NaN);
    }

    private double counter(String name) {
        return ((CounterSnapshot) snapshot(name).orElseThrow()).getDataPoints().stream()
                .filter(point -> point.getLabels().get("signal").equals("latency")).findFirst().orElseThrow()
                .getValue();
    }

    private java.util.Optional<MetricSnapshot> snapshot(String name) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(name.replace("_total", "")))
                .findFirst();
    }
}
