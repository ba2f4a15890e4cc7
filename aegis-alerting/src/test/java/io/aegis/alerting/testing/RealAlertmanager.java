package io.aegis.alerting.testing;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.testkit.LoopbackPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code prometheus-alertmanager} (Debian's package; CI installs it) on a free loopback port, with its own
 * configuration and storage under a test's directory and clustering off ({@code --cluster.listen-address=}), so
 * two of them are two independent Alertmanagers, as each member of an HA pair receives alerts. Closing it stops the
 * process and waits for its end.
 */
public final class RealAlertmanager implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final List<String> NAMES = List.of("prometheus-alertmanager", "alertmanager");
    private static final int START_ATTEMPTS = 3;

    private final Process process;
    private final int port;
    private final Path log;

    private RealAlertmanager(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * The Alertmanager binary: skips the test when it is not installed, unless {@code CI} is set (then fails,
     * since CI must install it).
     */
    public static Path binary() {
        Optional<Path> found = Stream.concat(Stream.of(Path.of("/usr/bin/prometheus-alertmanager")),
                        Optional.ofNullable(System.getenv("PATH")).stream()
                                .flatMap(path -> Pattern.compile(":").splitAsStream(path))
                                .flatMap(dir -> NAMES.stream().map(name -> Path.of(dir, name))))
                .filter(Files::isExecutable)
                .findFirst();
        if (found.isEmpty() && System.getenv("CI") != null) {
            throw new AssertionError("prometheus-alertmanager is not installed but CI is set: .ci/run must install the"
                    + " prometheus-alertmanager package");
        }
        Assumptions.assumeTrue(found.isPresent(), "prometheus-alertmanager not found (/usr/bin or PATH): install"
                + " the prometheus-alertmanager package (apt-get install prometheus-alertmanager) to run this test;"
                + " CI does");
        return found.orElseThrow();
    }

    /** Starts one with {@code config} (alertmanager.yml) in {@code dir} and waits until it is ready. */
    public static RealAlertmanager start(Path dir, String config) throws IOException {
        Path binary = binary();
        Files.createDirectories(dir);
        Path configFile = dir.resolve("alertmanager.yml");
        Files.writeString(configFile, config);
        Path log = dir.resolve("alertmanager.log");
        for (int attempt = 1; ; attempt++) {
            int port = LoopbackPorts.free();
            Process process = new ProcessBuilder(binary.toString(),
                    "--config.file=" + configFile,
                    "--storage.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port,
                    "--cluster.listen-address=")
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            RealAlertmanager alertmanager = new RealAlertmanager(process, port, log);
            try {
                await("Alertmanager on port " + port + " ready").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> !process.isAlive() || alertmanager.status("/-/ready") == 200);
            } catch (RuntimeException e) {
                alertmanager.close();
                throw new AssertionError("Alertmanager did not get ready; its log:\n" + alertmanager.log(), e);
            }
            if (process.isAlive()) {
                return alertmanager;
            }
            // another process took the port between our probe and its bind: try another one
            if (attempt == START_ATTEMPTS) {
                throw new AssertionError("Alertmanager exited at start; its log:\n" + alertmanager.log());
            }
        }
    }

    /** Its base URL, as the alertmanager notifier's {@code urls} take it. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** {@code GET /api/v2/alerts}: the alerts it holds that have not resolved. */
    public JsonNode alerts() {
        return get("/api/v2/alerts");
    }

    /** The active alert with {@code fingerprint}, if it holds one. */
    public Optional<JsonNode> alert(String fingerprint) {
        for (JsonNode alert : alerts()) {
            if (fingerprint.equals(alert.path("fingerprint").asText())) {
                return Optional.of(alert);
            }
        }
        return Optional.empty();
    }

    private JsonNode get(String path) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url() + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new AssertionError("GET " + path + " answered " + response.statusCode() + ": " + response.body());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url() + path + " failed; Alertmanager's log:\n" + log(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** What it logged so far. */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
