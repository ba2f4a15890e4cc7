package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.aegis.cli.PrometheusServer.Alert;
import io.aegis.cli.PrometheusServer.Sample;
import io.aegis.testkit.LoopbackHttpServer;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus scraping the real {@code aegis} executable, with the shipped {@code prometheus.yml} and
 * {@code aegis-rules.yml}: its HTTP API returns the state aegis reports for each service, and the shipped rules
 * turn a service that is down into firing alerts.
 *
 * <p>Prometheus runs the shipped files with three changes, written to the test's folder: the target is this test's
 * aegis, it scrapes and evaluates every second (not 15 s), and {@code AegisServiceUnhealthy} waits 2 s instead of
 * its {@code for: 5m}. {@code AegisServiceFailed} has no {@code for} and runs as shipped.
 */
@Timeout(120)
class PrometheusScrapeIT {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path dir;

    /** The health endpoint of both services: 200 "UP" until the test makes them fail. */
    private final LoopbackHttpServer health = LoopbackHttpServer.start();

    @BeforeEach
    void up() {
        health.respondWith(200, "UP\n");
    }

    @AfterEach
    void stopHealthEndpoint() {
        health.close();
    }

    @Test
    void prometheusScrapingAegisSeesEachServiceStateAndFiresTheShippedAlertsForServicesThatAreDown() throws IOException {
        PrometheusAssets.prometheus(); // skipped (failed on CI) before anything starts, when it is not installed
        int metricsPort = Loopback.freePort();
        String endpoint = health.uri("/health").toString();
        // web only notifies: once its check fails it stays UNHEALTHY. worker is restarted (a `sleep` stands in for
        // its workload) and its budget of one restart is spent at its second failure: FAILED.
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsEnabled: true
                  metricsPort: %d
                  metricsHost: 127.0.0.1
                  stateDir: state
                services:
                  - name: web
                    type: http
                    endpoint: %s
                    interval: 500ms
                    timeout: 400ms
                    actions:
                      onFailure: notify
                  - name: worker
                    type: http
                    endpoint: %s
                    interval: 500ms
                    timeout: 400ms
                    startPeriod: 1s
                    actions:
                      onFailure: restart
                      backoff: {initial: 100ms}
                      budget: {max: 1, window: 10m}
                      verifyWithin: 1s
                    runtime:
                      type: process
                      command: [sleep, "600"]
                      stopGracePeriod: 1s
                """.formatted(metricsPort, endpoint, endpoint));
        Path prometheusConfig = prometheusConfigScraping(metricsPort);

        ProcessHandle prometheusProcess;
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml");
                PrometheusServer prometheus = PrometheusServer.start(dir, prometheusConfig)) {
            prometheusProcess = prometheus.handle();

            // Both healthy: what Prometheus scraped from aegis says so, through its query API. No alert either,
            // once a check that failed while aegis started (a slow first request on a busy machine) is behind
            // them: the alerts asserted below are then those of the failure this test makes.
            prometheus.patiently().untilAsserted(() -> {
                assertThat(prometheus.query("aegis_service_status"))
                        .extracting(sample -> sample.label("service"), Sample::value, sample -> sample.label("job"))
                        .containsExactlyInAnyOrder(tuple("web", 1.0, "aegis"), tuple("worker", 1.0, "aegis"));
                assertThat(prometheus.query("aegis_service_state == 1"))
                        .extracting(sample -> sample.label("service"), sample -> sample.label("state"))
                        .containsExactlyInAnyOrder(tuple("web", "healthy"), tuple("worker", "healthy"));
                assertThat(prometheus.alerts()).as("alerts while both are healthy").isEmpty();
            });

            health.respondWith(503, "DOWN\n");

            // web: UNHEALTHY (notify changes nothing); worker: FAILED once its restart did not help.
            prometheus.patiently().untilAsserted(() -> {
                assertThat(prometheus.query("aegis_service_status"))
                        .extracting(sample -> sample.label("service"), Sample::value)
                        .containsExactlyInAnyOrder(tuple("web", 0.0), tuple("worker", 0.0));
                assertThat(prometheus.query("aegis_service_state == 1"))
                        .extracting(sample -> sample.label("service"), sample -> sample.label("state"))
                        .containsExactlyInAnyOrder(tuple("web", "unhealthy"), tuple("worker", "failed"));
            });
            assertThat(prometheus.query("aegis_service_restarts_total{service=\"worker\"}"))
                    .extracting(Sample::value).containsExactly(1.0);

            // The shipped rules fire: AegisServiceFailed at once, AegisServiceUnhealthy after its (shortened) for.
            prometheus.patiently().untilAsserted(() -> assertThat(prometheus.alerts())
                    .filteredOn(alert -> alert.state().equals("firing"))
                    .extracting(alert -> alert.label("alertname"), alert -> alert.label("service"),
                            alert -> alert.label("severity"), alert -> alert.label("job"))
                    .contains(tuple("AegisServiceFailed", "worker", "critical", "aegis"),
                            tuple("AegisServiceUnhealthy", "web", "warning", "aegis")));
            assertThat(prometheus.alerts()).as("aegis itself is up")
                    .extracting(Alert::labels).noneMatch(labels -> "AegisDown".equals(labels.get("alertname")));
        }
        assertThat(prometheusProcess.isAlive()).as("prometheus is stopped with its test").isFalse();
    }

    /**
     * The shipped prometheus.yml and aegis-rules.yml, in the test's folder: scraping this test's aegis every second,
     * evaluating every second, AegisServiceUnhealthy after 2 s.
     */
    private Path prometheusConfigScraping(int metricsPort) throws IOException {
        ObjectNode config = (ObjectNode) YAML.readTree(PrometheusAssets.prometheusConfig().toFile());
        ObjectNode global = (ObjectNode) config.path("global");
        global.put("scrape_interval", "1s");
        global.put("evaluation_interval", "1s");
        assertThat(config.path("rule_files")).extracting(JsonNode::asText).containsExactly("aegis-rules.yml");
        JsonNode scrape = config.path("scrape_configs").path(0);
        assertThat(scrape.path("job_name").asText()).as("the job the shipped rules select").isEqualTo("aegis");
        ArrayNode targets = (ArrayNode) scrape.path("static_configs").path(0).path("targets");
        targets.removeAll().add("127.0.0.1:" + metricsPort);

        ObjectNode rules = (ObjectNode) YAML.readTree(PrometheusAssets.rules().toFile());
        int shortened = 0;
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.path("alert").asText().equals("AegisServiceUnhealthy")) {
                    assertThat(rule.path("for").asText()).isEqualTo("5m");
                    ((ObjectNode) rule).put("for", "2s");
                    shortened++;
                }
            }
        }
        assertThat(shortened).as("AegisServiceUnhealthy rules in %s", PrometheusAssets.rules()).isEqualTo(1);

        YAML.writeValue(dir.resolve("aegis-rules.yml").toFile(), rules);
        Path file = dir.resolve("prometheus.yml");
        YAML.writeValue(file.toFile(), config);
        return file;
    }
}
