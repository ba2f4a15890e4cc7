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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 * aegis-dist/Dockerfile, built by the real Docker engine with {@code docker build}, run as users run it with their
 * configuration mounted, and stopped. Built as written (no {@code --build-arg}) when the engine has the image its
 * {@code ARG BASE=} names, {@code debian:bookworm-slim}, which no registry can give here: {@code .ci/bookworm-slim}
 * makes it with debootstrap from Debian's mirror, and CI does. Without it the file is built on a stand-in base
 * ({@link StandInBase}: busybox and the host's C libraries) and {@link #onTheDockerfilesOwnBase} is skipped, saying
 * so; under {@code CI} that is a failure instead. The test that ran, and the line it prints, name the base.
 */
class ContainerImageIT {
    private static final Pattern API = Pattern.compile("API and status page on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final Pattern OWN_BASE = Pattern.compile("(?m)^ARG BASE=(\\S+)$");
    private static final Pattern STARTED = Pattern.compile("(?m)^(\\S+) \\[INFO\\] ServiceMonitor - web: UNKNOWN -> "
            + "HEALTHY");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path work;

    private static DockerEngine engine;
    private static String image;
    /** The image the Dockerfile was built on: its own BASE, or the stand-in's name. */
    private static String base;
    /** Whether {@link #base} is the Dockerfile's own BASE (built without --build-arg). */
    private static boolean ownBase;
    /** Why this machine cannot run these tests (no engine, no busybox), or null. */
    private static String skipped;

    @BeforeAll
    static void buildTheImage() throws IOException {
        Path dockerfile = Path.of(Tarball.property("aegis.dockerfile"));
        Matcher arg = OWN_BASE.matcher(Files.readString(dockerfile));
        assertThat(arg.find()).as("a line 'ARG BASE=<image>' in %s", dockerfile).isTrue();
        String dockerfileBase = arg.group(1);
        List<String> build = new ArrayList<>(List.of("build"));
        try {
            engine = DockerEngine.connectOrSkip();
            ownBase = engine.hasImage(dockerfileBase);
            if (ownBase) {
                base = dockerfileBase;
            } else if (DockerEngine.underCi()) {
                throw new AssertionError("no image " + dockerfileBase + " (the Dockerfile's BASE) in the engine at "
                        + System.getenv("DOCKER_HOST") + ": CI builds the Dockerfile as written, on it; .ci/run makes"
                        + " it with .ci/bookworm-slim before the tests (CI is set, so no stand-in: a failure)");
            } else {
                base = StandInBase.importImage(engine, Tarball.unpack(Files.createDirectory(work.resolve("unpacked"))),
                        work);
                build.addAll(List.of("--build-arg", "BASE=" + base));
            }
        } catch (TestAbortedException e) {
            // reported by each test: a class skipped in @BeforeAll shows in Maven's report as no test at all
            skipped = e.getMessage().replaceFirst("^Assumption failed: ", "");
            return;
        }
        image = engine.name("aegis");
        engine.created(image);
        // --network host: this engine runs with --bridge=none (.ci/run); the training in the build needs loopback only,
        // and a RUN apt-get of the file would need it to reach Debian's mirror
        build.addAll(List.of("--network", "host", "--force-rm", "--label", engine.label(), "-t", image, "-f",
                dockerfile.toString(), dockerfile.getParent().toString()));
        long start = System.nanoTime();
        engine.docker(build.toArray(String[]::new));
        System.out.printf("ContainerImageIT: %s built on %s (%s) in %.1f s: %s, of which %s of base%n", dockerfile,
                baseName(), ownBase ? "its own BASE, no --build-arg" : "--build-arg BASE=" + base,
                (System.nanoTime() - start) / 1e9, engine.sizeOf(image), engine.sizeOf(base));
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

    /**
     * On {@code debian:bookworm-slim}, the Dockerfile built as written: a container supervises the configuration it is
     * given and exits with 0 on {@code docker stop}.
     */
    @Test
    void onTheDockerfilesOwnBase() throws IOException {
        Assumptions.assumeTrue(ownBase, () -> "built on the stand-in " + base + " instead: no image of the Dockerfile's"
                + " BASE in the engine (.ci/bookworm-slim makes debian:bookworm-slim)");
        aContainerSupervisesTheConfigurationItIsGivenAndExitsWithZeroOnDockerStop();
    }

    /** The same on the stand-in base, where the engine has no image of the Dockerfile's BASE (never under CI). */
    @Test
    void onTheStandInBase() throws IOException {
        Assumptions.assumeFalse(ownBase, () -> "built on the Dockerfile's own BASE, " + base + ", instead");
        aContainerSupervisesTheConfigurationItIsGivenAndExitsWithZeroOnDockerStop();
    }

    private static void aContainerSupervisesTheConfigurationItIsGivenAndExitsWithZeroOnDockerStop() throws IOException {
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
            System.out.printf("ContainerImageIT: on %s, the first check %s after the container started%n", baseName(),
                    firstCheckAfterStart(container));
            assertThat(engine.docker("exec", container, "id", "-u")).as("the image's user").isEqualTo("10001");
            // (the JVM prints its settings to stderr)
            assertThat(engine.tryDocker("exec", container, "/opt/aegis/runtime/bin/java", "-XshowSettings:properties",
                    "-version").stderr()).as("the JVM's encodings in the image (ENV LANG=C.UTF-8, the base's locale)")
                    .contains("sun.jnu.encoding = UTF-8").contains("file.encoding = UTF-8");
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

    /** {@code debian:bookworm-slim}, or {@code the stand-in base}. */
    private static String baseName() {
        return ownBase ? base : "the stand-in base";
    }

    /** From the engine's start of the container to aegis' log line of web's first passing check. */
    private static String firstCheckAfterStart(String container) {
        Matcher healthy = STARTED.matcher(logs(container));
        if (!healthy.find()) {
            return "(not measured: no line 'web: UNKNOWN -> HEALTHY' in the log)";
        }
        Instant started = Instant.parse(engine.docker("inspect", "-f", "{{.State.StartedAt}}", container));
        return String.format(Locale.ROOT, "%.3f s",
                Duration.between(started, Instant.parse(healthy.group(1))).toNanos() / 1e9);
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
