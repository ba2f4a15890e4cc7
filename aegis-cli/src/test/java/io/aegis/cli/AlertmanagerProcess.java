package io.aegis.cli;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * A real {@code prometheus-alertmanager} (CI installs Debian's package) on a free loopback port with its own
 * configuration and storage in a test's folder and clustering off. Skips the test when it is not installed,
 * unless {@code CI} is set (then fails). Closing it stops the process and waits for its end.
 */
final class AlertmanagerProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final int START_ATTEMPTS = 3;

    private final Process process;
    private final int port;
    private final Path log;

    private AlertmanagerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static Path binary() {
        Optional<Path> found = Stream.concat(Stream.of(Path.of("/usr/bin/prometheus-alertmanager")),
                        Optional.ofNullable(System.getenv("PATH")).stream()
                                .flatMap(path -> Pattern.compile(":").splitAsStream(path))
                                .flatMap(dir -> Stream.of("prometheus-alertmanager", "alertmanager")
                                        .map(name -> Path.of(dir, name))))
                .filter(Files::isExecutable)
                .findFirst();
        if (found.isEmpty() && System.getenv("CI") != null) {
            throw new AssertionError("prometheus-alertmanager is not installed but CI is set: .ci/run must install the"
                    + " prometheus-alertmanager package");
        }
        Assumptions.assumeTrue(found.isPresent(), "prometheus-alertmanager not found (/usr/bin or PATH): install"
                + " the prometheus-alertmanager package to run this test; CI does");
        return found.orElseThrow();
    }

    /** Starts one with {@code config} (alertmanager.yml) in {@code dir} and waits until it is ready. */
    static AlertmanagerProcess start(Path dir, String config) throws IOException {
        Path binary = binary();
        Files.createDirectories(dir);
        Path configFile = Files.writeString(dir.resolve("alertmanager.yml"), config);
        Path log = dir.resolve("alertmanager.log");
        for (int attempt = 1; ; attempt++) {
            int port = Loopback.freePort();
            Process process = new ProcessBuilder(binary.toString(), "--config.file=" + configFile,
                    "--storage.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                    "--cluster.listen-address=")
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            AlertmanagerProcess alertmanager = new AlertmanagerProcess(process, port, log);
            try {
                await("Alertmanager on port " + port + " ready").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> !process.isAlive() || Loopback.status(port, "/-/ready") == 200);
            } catch (RuntimeException e) {
                alertmanager.close();
                throw new AssertionError("Alertmanager did not get ready; its log:\n" + alertmanager.log(), e);
            }
            if (process.isAlive()) {
                return alertmanager;
            }
            if (attempt == START_ATTEMPTS) { // else another process took the port before it bound: try another
                throw new AssertionError("Alertmanager exited at start; its log:\n" + alertmanager.log());
            }
        }
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** {@code GET /api/v2/alerts}: the alerts it holds that have not resolved. */
    List<JsonNode> alerts() {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/api/v2/alerts"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new AssertionError("GET /api/v2/alerts answered " + response.statusCode() + ": "
                        + response.body());
            }
            return Stream.of(JSON.readTree(response.body())).flatMap(array -> {
                List<JsonNode> items = new java.util.ArrayList<>();
                array.forEach(items::add);
                return items.stream();
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("GET /api/v2/alerts failed; Alertmanager's log:\n" + log(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    String log() {
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
