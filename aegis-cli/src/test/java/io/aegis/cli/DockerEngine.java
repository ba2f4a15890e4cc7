package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The Docker engine at {@code $DOCKER_HOST} (the one {@code .ci/run} starts), driven through the {@code docker}
 * command line as a person or a deploy tool would. Everything a test creates through it is labelled
 * {@code io.aegis.test=<run id>} or named {@code aegis-e2e-<run id>-...}, and {@link #close} removes exactly
 * that: the engine may be shared, and objects of others are never touched.
 *
 * <p>Without an engine the tests are skipped with a message; under {@code CI} they fail instead.
 */
final class DockerEngine implements AutoCloseable {
    /** The label on every image, network and container of a test run. */
    static final String TEST_LABEL = "io.aegis.test";

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private final String runId;
    private final String host;
    private final Set<String> images = new LinkedHashSet<>();
    private final Set<String> networks = new LinkedHashSet<>();

    private DockerEngine(String runId, String host) {
        this.runId = runId;
        this.host = host;
    }

    /**
     * The engine at {@code $DOCKER_HOST} if it answers; otherwise the calling test (or class, from
     * {@code @BeforeAll}) is skipped, or fails when the environment says it is CI.
     */
    static DockerEngine connectOrSkip() {
        String host = System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock (the default)");
        DockerEngine engine = new DockerEngine(UUID.randomUUID().toString().substring(0, 8), host);
        String problem;
        try {
            Result version = engine.tryDocker(Duration.ofSeconds(15), "version", "--format",
                    "{{.Server.Version}} (API {{.Server.APIVersion}})");
            problem = version.exitCode() == 0 ? null : version.stderr().strip();
        } catch (UncheckedIOException e) {
            problem = "the docker command could not be run (" + e.getCause().getMessage() + ")";
        }
        requireOrSkip(problem == null, "no Docker engine answers at " + host + " (" + problem + "): start dockerd"
                + " and export DOCKER_HOST (.ci/run does both) to run the Docker end-to-end tests");
        return engine;
    }

    /** Skips the test with {@code message} when {@code condition} is false, or fails when running under CI. */
    static void requireOrSkip(boolean condition, String message) {
        if (!condition && isCi()) {
            throw new AssertionError(message + " (CI is set, so this is a failure, not a skip)");
        }
        Assumptions.assumeTrue(condition, message);
    }

    private static boolean isCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
    }

    /** This run's id: part of every name and the value of every {@link #TEST_LABEL}. */
    String runId() {
        return runId;
    }

    /** {@code io.aegis.test=<run id>}. */
    String label() {
        return TEST_LABEL + "=" + runId;
    }

    /** A container, network or image name of this run: {@code aegis-e2e-<run id>-<suffix>}. */
    String name(String suffix) {
        return "aegis-e2e-" + runId + "-" + suffix;
    }

    /** Where the engine is, as the tests were told. */
    String host() {
        return host;
    }

    /** Runs {@code docker args}, which must succeed; returns its output without the trailing line break. */
    String docker(String... args) {
        Result result = tryDocker(COMMAND_TIMEOUT, args);
        assertThat(result.exitCode()).as("docker %s failed: %s", String.join(" ", args), result.stderr()).isZero();
        return result.stdout().strip();
    }

    /** Runs {@code docker args} and returns how it ended, whatever that was. */
    Result tryDocker(String... args) {
        return tryDocker(COMMAND_TIMEOUT, args);
    }

    private Result tryDocker(Duration timeout, String... args) {
        List<String> command = new ArrayList<>();
        command.add("docker");
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
                    new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CompletableFuture<String> stdout = readAll(process.getInputStream());
        CompletableFuture<String> stderr = readAll(process.getErrorStream());
        try {
            if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not finish within " + timeout.toSeconds() + "s");
            }
            return new Result(process.exitValue(), stdout.join(), stderr.join());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    private static CompletableFuture<String> readAll(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        });
    }

    /** {@code docker inspect -f template container}, e.g. {@code {{.State.Pid}}}. */
    String inspect(String container, String template) {
        return docker("inspect", "-f", template, container);
    }

    /** True when the container exists (in any state). */
    boolean exists(String container) {
        return tryDocker("inspect", "-f", "{{.Id}}", container).exitCode() == 0;
    }

    /** Remembers an image this run made, for {@link #close}. */
    void created(String imageId) {
        images.add(imageId);
    }

    /** Creates an {@code --internal} bridge network of this run (no traffic leaves it) and returns its name. */
    String createInternalNetwork(String suffix) {
        String network = name(suffix);
        docker("network", "create", "--driver", "bridge", "--internal", "--label", label(), network);
        networks.add(network);
        return network;
    }

    /** Removes the containers of this run (labelled, or named {@code aegis-e2e-<run id>-...}). */
    void removeContainers() {
        Set<String> ids = new LinkedHashSet<>();
        ids.addAll(lines(docker("ps", "-aq", "--filter", "label=" + label())));
        // containers made by aegis carry the label of the image they were made from; the name covers the rest
        ids.addAll(lines(docker("ps", "-aq", "--filter", "name=^/aegis-e2e-" + runId + "-")));
        if (!ids.isEmpty()) {
            List<String> command = new ArrayList<>(List.of("rm", "-f", "-v"));
            command.addAll(ids);
            tryDocker(command.toArray(String[]::new));
        }
    }

    /** Removes every container, network and image of this run. */
    @Override
    public void close() {
        removeContainers();
        for (String network : networks) {
            tryDocker("network", "rm", network);
        }
        if (!images.isEmpty()) {
            List<String> command = new ArrayList<>(List.of("rmi", "-f"));
            command.addAll(images);
            tryDocker(command.toArray(String[]::new));
        }
    }

    private static List<String> lines(String text) {
        return text.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
    }

    /** How one {@code docker} command ended. */
    record Result(int exitCode, String stdout, String stderr) {
    }
}
