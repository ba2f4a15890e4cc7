package io.aegis.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The Docker engine at {@code $DOCKER_HOST} (the one {@code .ci/run} starts), driven through the {@code docker}
 * command line, with the rules of aegis-cli's {@code DockerEngine}: everything a test makes is labelled
 * {@code io.aegis.test=<run id>} or named {@code aegis-e2e-<run id>-...}, and {@link #close} removes exactly that
 * (the engine may be shared). Without an engine the tests are skipped with a message; under {@code CI} they fail.
 */
final class DockerEngine implements AutoCloseable {
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);

    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final Set<String> images = new LinkedHashSet<>();

    private DockerEngine() {
    }

    /** The engine at {@code $DOCKER_HOST} if it answers; otherwise the calling test is skipped (fails under CI). */
    static DockerEngine connectOrSkip() {
        String host = System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock (the default)");
        DockerEngine engine = new DockerEngine();
        String problem;
        try {
            Command.Result version = engine.tryDocker("version", "--format", "{{.Server.Version}}");
            problem = version.exitCode() == 0 ? null : version.stderr().strip();
        } catch (RuntimeException e) {
            problem = "the docker command could not be run (" + e.getMessage() + ")";
        }
        requireOrSkip(problem == null, "no Docker engine answers at " + host + " (" + problem + "): start dockerd"
                + " and export DOCKER_HOST (.ci/run does both) to test the container image");
        return engine;
    }

    /** Skips the test with {@code message} when {@code condition} is false, or fails when running under CI. */
    static void requireOrSkip(boolean condition, String message) {
        if (!condition && underCi()) {
            throw new AssertionError(message + " (CI is set, so this is a failure, not a skip)");
        }
        Assumptions.assumeTrue(condition, message);
    }

    /** Whether {@code CI} is set (to anything but {@code false}): what would be skipped elsewhere fails. */
    static boolean underCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
    }

    /** Whether the engine has an image of that name (made by this run or not). */
    boolean hasImage(String image) {
        return tryDocker("image", "inspect", "--format", "{{.Id}}", image).exitCode() == 0;
    }

    /** The size of an image in MB (10^6 bytes), as {@code docker images} shows it. */
    String sizeOf(String image) {
        return String.format(Locale.ROOT, "%.1f MB",
                Long.parseLong(docker("image", "inspect", "--format", "{{.Size}}", image)) / 1e6);
    }

    /** {@code io.aegis.test=<run id>}: on every image and container of this run. */
    String label() {
        return "io.aegis.test=" + runId;
    }

    /** A container or image name of this run: {@code aegis-e2e-<run id>-<suffix>}. */
    String name(String suffix) {
        return "aegis-e2e-" + runId + "-" + suffix;
    }

    /** Runs {@code docker args}, which must succeed; returns its output without the trailing line break. */
    String docker(String... args) {
        Command.Result result = tryDocker(args);
        assertThat(result.exitCode()).as("%s", result).isZero();
        return result.stdout().strip();
    }

    /** Runs {@code docker args} and returns how it ended, whatever that was. */
    Command.Result tryDocker(String... args) {
        List<String> command = new ArrayList<>();
        command.add("docker");
        command.addAll(List.of(args));
        Map<String, String> env = new HashMap<>(System.getenv());
        // The classic builder on every client: the docker.io of Debian 12 (CI) uses it, a newer client would pick
        // BuildKit when it is installed. The Dockerfile builds with both; the test builds it one way everywhere.
        env.put("DOCKER_BUILDKIT", "0");
        return Command.run(command, null, env, COMMAND_TIMEOUT);
    }

    /** Remembers an image (name or id) this run made, for {@link #close}. */
    void created(String image) {
        images.add(image);
    }

    /** Removes the containers and images of this run. */
    @Override
    public void close() {
        List<String> containers = docker("ps", "-aq", "--filter", "label=" + label()).lines()
                .filter(line -> !line.isBlank()).toList();
        if (!containers.isEmpty()) {
            List<String> command = new ArrayList<>(List.of("rm", "-f", "-v"));
            command.addAll(containers);
            tryDocker(command.toArray(String[]::new));
        }
        if (!images.isEmpty()) {
            List<String> newestFirst = new ArrayList<>(images); // an image before the base it was built on
            Collections.reverse(newestFirst);
            List<String> command = new ArrayList<>(List.of("rmi", "-f"));
            command.addAll(newestFirst);
            tryDocker(command.toArray(String[]::new));
        }
    }
}
