package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;

/**
 * A real Prometheus server ({@code /usr/bin/prometheus}, Debian's prometheus package) as a child process: on a free
 * loopback port, with its TSDB, its output and its config in the test's folder, and nothing of the user's. {@link
 * #close} stops it (SIGTERM, then SIGKILL), and a shutdown hook does the same should the test JVM exit first, so no
 * Prometheus outlives its test.
 */
final class PrometheusServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final int port;
    private final Path output;
    private final Thread killer;

    private PrometheusServer(Process process, int port, Path output) {
        this.process = process;
        this.port = port;
        this.output = output;
        this.killer = new Thread(process::destroyForcibly, "kill-prometheus-" + process.pid());
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /**
     * Starts Prometheus on {@code config} (a file in {@code dir}; relative rule files are found next to it), with
     * its data in {@code dir/prometheus-data}, and waits until it is ready. Skipped (failed on CI) when Prometheus
     * is not installed.
     */
    static PrometheusServer start(Path dir, Path config) {
        Path binary = PrometheusAssets.prometheus();
        int port = Loopback.freePort();
        List<String> command = List.of(binary.toString(),
                "--config.file=" + config.toAbsolutePath(),
                "--storage.tsdb.path=" + dir.resolve("prometheus-data").toAbsolutePath(),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn");
        PrometheusServer server;
        try {
            Path output = Files.createTempFile(dir, "prometheus-", ".log");
            Process process = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            server = new PrometheusServer(process, port, output);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
        try {
            server.patiently().untilAsserted(() -> assertThat(Loopback.status(port, "/-/ready")).isEqualTo(200));
            return server;
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    /** The operating system's handle of the server, to check that it is gone. */
    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Awaitility with a 30 s limit that fails at once, with Prometheus' output, if Prometheus exits meanwhile. */
    ConditionFactory patiently() {
        return await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .failFast(() -> assertThat(process.isAlive())
                        .as(() -> "prometheus is running; it exited with " + process.exitValue() + ":\n" + output())
                        .isTrue());
    }

    /** One sample of an instant query's result: the series' labels (its name under {@code __name__}) and value. */
    record Sample(Map<String, String> labels, double value) {
        String label(String name) {
            return labels.getOrDefault(name, "");
        }
    }

    /** {@code GET /api/v1/query?query=promql}: the instant vector it returns now. */
    List<Sample> query(String promql) {
        JsonNode data = api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        assertThat(data.path("resultType").asText()).as("result type of %s", promql).isEqualTo("vector");
        List<Sample> samples = new ArrayList<>();
        for (JsonNode result : data.path("result")) {
            samples.add(new Sample(labels(result.path("metric")), Double.parseDouble(result.path("value").path(1)
                    .asText())));
        }
        return samples;
    }

    /** An alert from {@code GET /api/v1/alerts}: its labels and its state (pending or firing). */
    record Alert(Map<String, String> labels, String state) {
        String label(String name) {
            return labels.getOrDefault(name, "");
        }
    }

    /** {@code GET /api/v1/alerts}: every alert the rules have pending or firing now. */
    List<Alert> alerts() {
        List<Alert> alerts = new ArrayList<>();
        for (JsonNode alert : api("/api/v1/alerts").path("alerts")) {
            alerts.add(new Alert(labels(alert.path("labels")), alert.path("state").asText()));
        }
        return alerts;
    }

    private JsonNode api(String pathAndQuery) {
        HttpResponse<String> response = Loopback.get(port, pathAndQuery)
                .orElseThrow(() -> new AssertionError("prometheus did not answer GET " + pathAndQuery + "; its"
                        + " output:\n" + output()));
        assertThat(response.statusCode()).as("GET %s: %s", pathAndQuery, response.body()).isEqualTo(200);
        try {
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.path("status").asText()).as("GET %s: %s", pathAndQuery, body).isEqualTo("success");
            return body.path("data");
        } catch (IOException e) {
            throw new AssertionError("GET " + pathAndQuery + " answered no JSON: " + response.body(), e);
        }
    }

    private static Map<String, String> labels(JsonNode object) {
        Map<String, String> labels = new TreeMap<>();
        object.fields().forEachRemaining(field -> labels.put(field.getKey(), field.getValue().asText()));
        return labels;
    }

    String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(could not read " + output + ": " + e + ")";
        }
    }

    /** SIGTERM, so that Prometheus closes its TSDB; SIGKILL if it has not exited within 10 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException e) {
                // The JVM is shutting down already: the hook runs (and finds the process gone).
            }
        }
    }
}
