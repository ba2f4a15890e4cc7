package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.aegis.core.alerting.ActiveAlert;
import io.aegis.core.alerting.Matcher;
import io.aegis.core.alerting.Silence;
import io.aegis.testkit.LoopbackHttpServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The alert lifecycle in a real engine: webhook deliveries, the Engine API, the metric, restarts. */
class AlertingEngineTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);

    @TempDir
    Path tempDir;

    /** The service's health endpoint. */
    private final LoopbackHttpServer service = LoopbackHttpServer.start();
    /** The webhook receiver. */
    private final LoopbackHttpServer receiver = LoopbackHttpServer.start();
    private Engine engine;

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        service.close();
        receiver.close();
    }

    /** The bodies the receiver got, oldest first. */
    private List<String> received() {
        return receiver.requests().stream().map(LoopbackHttpServer.Request::body).toList();
    }

    private Path config(String serviceName, String... alerting) throws IOException {
        List<String> lines = new java.util.ArrayList<>(List.of(
                "services:",
                "  - name: " + serviceName,
                "    type: http",
                "    endpoint: " + service.uri("/health"),
                "    interval: 100ms",
                "    metadata: {team: payments, tier: gold}",
                "    actions: {onFailure: notify}",
                "notifications:",
                "  webhook:",
                "    endpoint: " + receiver.uri("/hook"),
                "alerting:",
                "  route: {groupWait: 0s, groupInterval: 0s}"));
        lines.addAll(List.of(alerting));
        Path file = tempDir.resolve("aegis.yaml");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    private Engine start(Path config, Path state) {
        return Engine.builder().config(config).stateDirectory(state).metricsEnabled(false).build().start();
    }

    @Test
    void anAlertNotifiedAsFiringIsResolvedAfterARestartOnceItsServiceIsHealthy() throws IOException {
        Path state = tempDir.resolve("state");
        Path config = config("api");
        engine = start(config, state);
        service.respondWith(503, "");
        await().atMost(AWAIT).until(() -> received().size() == 1);
        assertThat(received().get(0)).contains("\"status\":\"firing\"").contains("ServiceUnhealthy");
        engine.close();

        service.respondWith(200, "");
        engine = start(config, state);

        await().atMost(AWAIT).until(() -> received().size() == 2);
        assertThat(received().get(1)).contains("\"status\":\"resolved\"").contains("ServiceUnhealthy")
                .contains("\"service\":\"api\"");
        assertThat(engine.alerts()).isEmpty();
    }

    @Test
    void aRestoredAlertOfAServiceNoLongerConfiguredIsResolvedAtStart() throws IOException {
        Path state = tempDir.resolve("state");
        engine = start(config("api"), state);
        service.respondWith(503, "");
        await().atMost(AWAIT).until(() -> received().size() == 1);
        engine.close();

        service.respondWith(200, "");
        engine = start(config("web"), state);

        await().atMost(AWAIT).until(() -> received().size() == 2);
        assertThat(received().get(1)).contains("\"status\":\"resolved\"").contains("\"service\":\"api\"");
    }

    @Test
    void theApiListsFiringAlertsWithTheirMetadataLabelsAndSilencesMuteThemUntilExpired() throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        engine = Engine.builder().config(config("api", "  metadataLabels: [team]"))
                .stateDirectory(tempDir.resolve("state")).metricsEnabled(false).metricsRegistry(registry).build()
                .start();
        Silence silence = engine.addSilence(List.of(Matcher.equal("team", "payments")), Instant.now(),
                Instant.now().plus(Duration.ofHours(1)), "alice", "deploying");
        assertThat(engine.silences()).containsExactly(silence);

        service.respondWith(503, "");
        await().atMost(AWAIT).until(() -> !engine.alerts().isEmpty());
        ActiveAlert active = engine.alerts().get(0);
        assertThat(active.alert().labels()).containsEntry("team", "payments").doesNotContainKey("tier");
        assertThat(active.silencedBy()).containsExactly(silence.id());
        assertThat(received()).isEmpty();
        GaugeSnapshot firing = (GaugeSnapshot) registry.scrape().stream()
                .filter(s -> s.getMetadata().getName().equals("aegis_alerts_firing")).findFirst().orElseThrow();
        assertThat(firing.getDataPoints()).singleElement().satisfies(point -> {
            assertThat(point.getValue()).isEqualTo(1.0);
            assertThat(point.getLabels().get("service")).isEqualTo("api");
            assertThat(point.getLabels().get("alertname")).isEqualTo("ServiceUnhealthy");
            assertThat(point.getLabels().get("severity")).isEqualTo("critical");
        });

        assertThat(engine.expireSilence(silence.id())).isTrue();

        await().atMost(AWAIT).until(() -> received().size() == 1);
        assertThat(received().get(0)).contains("\"status\":\"firing\"").contains("\"team\":\"payments\"");
        assertThat(engine.silences()).isEmpty();
    }

    @Test
    void mistakesInTheAlertingSectionFailTheBuildWithFileLineAndKeyPath() throws IOException {
        Path config = config("api",
                "  routes: []",
                "  silences:",
                "    - matchers: [service=api]",
                "      schedule: {weekdays: [caturday], times: [{start: \"02:00\", end: \"04:00\"}]}");

        assertThatThrownBy(() -> Engine.builder().config(config).metricsEnabled(false).build())
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .anySatisfy(line -> assertThat(line).contains("aegis.yaml:13:").contains("alerting.routes")
                                .contains("unknown key"))
                        .anySatisfy(line -> assertThat(line).contains("aegis.yaml:16:")
                                .contains("alerting.silences[0].schedule.weekdays[0]").contains("caturday")));
    }
}
