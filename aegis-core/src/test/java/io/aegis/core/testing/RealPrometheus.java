package io.aegis.core.testing;

import static org.awaitility.Awaitility.await;

import io.aegis.testkit.LoopbackPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Prometheus server (Debian's {@code prometheus} package; CI installs it) on a free loopback port, with its
 * configuration and storage under a test's directory. Closing it stops the process and waits for its end.
 */
public final class RealPrometheus implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final int port;
    private final Path log;

    private RealPrometheus(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** The binary: skips the test when it is not installed, unless {@code CI} is set (then fails). */
    public static Path binary() {
        Optional<Path> found = Optional.ofNullable(System.getenv("PATH")).stream()
                .flatMap(path -> Pattern.compile(":").splitAsStream(path))
                .map(dir -> Path.of(dir, "prometheus"))
                .filter(Files::isExecutable)
                .findFirst();
        if (found.isEmpty() && System.getenv("CI") != null) {
            throw new AssertionError("prometheus is not installed but CI is set: .ci/run must install the prometheus"
                    + " package");
        }
        Assumptions.assumeTrue(found.isPresent(), "prometheus not found on PATH: install the prometheus package"
                + " (apt-get install prometheus) to run this test; CI does");
        return found.orElseThrow();
    }

    /** Starts one with {@code config} (prometheus.yml) in {@code dir} and waits until it is ready. */
    public static RealPrometheus start(Path dir, String config) throws IOException {
        Path binary = binary();
        Files.createDirectories(dir);
        Path configFile = dir.resolve("prometheus.yml");
        Files.writeString(configFile, config);
        Path log = dir.resolve("prometheus.log");
        int port = LoopbackPorts.free();
        Process process = new ProcessBuilder(binary.toString(), "--config.file=" + configFile,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        RealPrometheus prometheus = new RealPrometheus(process, port, log);
        try {
            await("Prometheus on port " + port + " ready").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> !process.isAlive() || prometheus.status("/-/ready") == 200);
        } catch (RuntimeException e) {
            prometheus.close();
            throw new AssertionError("Prometheus did not get ready; its log:\n" + prometheus.log(), e);
        }
        if (!process.isAlive()) {
            throw new AssertionError("Prometheus exited at start; its log:\n" + prometheus.log());
        }
        return prometheus;
    }

    /** Its base URL: {@code http://127.0.0.1:PORT}. */
    public String url() {
        return "http://127.0.0.1:" + port;
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
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
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
