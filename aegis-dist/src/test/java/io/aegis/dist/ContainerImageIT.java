package io.aegis.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.testkit.LoopbackHttpServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/**
 * aegis-dist/Dockerfile, built by the real Docker engine with {@code docker build} on a stand-in base image (no
 * registry here: {@link StandInBase}), run as users run it with their configuration mounted, and stopped.
 */
class ContainerImageIT {
    private static final Pattern API = Pattern.compile("API and status page on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path work;

    private static DockerEngine engine;
    private static String image;
    /** Why this machine cannot run these tests (no engine, no busybox), or null. */
    private static String skipped;

    @BeforeAll
    static void buildTheImage() throws IOException {
        Path distHome = Tarball.unpack(Files.createDirectory(work.resolve("unpacked")));
        String base;
        try {
            engine = DockerEngine.connectOrSkip();
            base = StandInBase.importImage(engine, distHome, work);
        } catch (TestAbortedException e) {
            // reported by each test: a class skipped in @BeforeAll shows in Maven's report as no test at all
            skipped = e.getMessage().replaceFirst("^Assumption failed: ", "");
            return;
        }
        image = engine.name("aegis");
        Path dockerfile = Path.of(Tarball.property("aegis.dockerfile"));
        engine.created(image);
        // --network host: this engine runs with --bridge=none (.ci/run); the training in the build needs loopback only
        engine.docker("build", "--network", "host", "--force-rm", "--build-arg", "BASE=" + base, "--label",
                engine.label(), "-t", image, "-f", dockerfile.toString(), dockerfile.getParent().toString());
    }

    @AfterAll
    static void removeEverything() {
        if (engine != null) {
            engine.close();
        }
    }

    @BeforeEach
    void skipWithoutAnEngine() {
        Assumptions.assumeTrue(skipped == null, skipped);
    }

    @Test
    void aContainerSupervisesTheConfigurationItIsGivenAndExitsWithZeroOnDockerStop() throws IOException {
        LoopbackHttpServer target = LoopbackHttpServer.start(); // answers 200 and counts the checks
        try {
            Path config = work.resolve("aegis.yaml");
            Files.writeString(config, """
                    global:
                      api: {host: 127.0.0.1, port: 0}
                    services:
                      - name: web
                        type: http
                        endpoint: http://127.0.0.1:%d/health
                        interval: 1s
                        timeout: 500ms
                    """.formatted(target.port()));
            String container = engine.name("run");
            // No --init: aegis is PID 1, the case the image is made for (it forks no training: the archive is in it)
            engine.docker("run", "-d", "--name", container, "--label", engine.label(), "--network", "host",
                    "-v", config + ":/etc/aegis/aegis.yaml:ro", image);

            int apiPort = await("the API's port in the container's log").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .failFast(() -> assertThat(engine.docker("inspect", "-f", "{{.State.Running}}", container))
                            .as(() -> "the container runs; its log:\n" + logs(container)).isEqualTo("true"))
                    .until(() -> apiPort(container), Optional::isPresent).orElseThrow();
            await("web HEALTHY in the API of the aegis in the container").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> get(apiPort, "/api/v1/services/web"), body -> body.contains("\"state\":\"HEALTHY\""));
            assertThat(target.requests()).as("checks the loopback server answered").isNotEmpty();
            assertThat(engine.docker("exec", container, "id", "-u")).as("the image's user").isEqualTo("10001");
            assertThat(engine.docker("exec", container, "cat", "/proc/1/maps"))
                    .as("PID 1 (aegis) maps the class-data-sharing archive made when the image was built")
                    .contains("/var/cache/aegis/cds/aegis-")
                    .contains("/opt/aegis-" + Tarball.property("aegis.version") + "/runtime/lib/server/classes.jsa");

            engine.docker("stop", "-t", "10", container); // SIGTERM, then SIGKILL after 10 s
            String logs = logs(container);
            assertThat(engine.docker("inspect", "-f", "{{.State.ExitCode}}", container))
                    .as("exit code after docker stop (137 would be the SIGKILL); log:%n%s", logs).isEqualTo("0");
            assertThat(logs).contains("received SIGTERM, shutting down").contains("Engine - stopped");
        } finally {
            target.close();
        }
    }

    private static Optional<Integer> apiPort(String container) {
        Matcher matcher = API.matcher(logs(container));
        return matcher.find() ? Optional.of(Integer.parseInt(matcher.group(1))) : Optional.empty();
    }

    private static String logs(String container) {
        Command.Result logs = engine.tryDocker("logs", container);
        return logs.stdout() + logs.stderr();
    }

    private static String get(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
