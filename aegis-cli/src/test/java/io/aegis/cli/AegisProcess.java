package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;

/**
 * The real {@code aegis-cli/target/aegis} executable, started as a child process with its stdout and stderr in
 * files. {@link #close} kills it and everything it started, so a failed test leaves no process behind.
 */
final class AegisProcess implements AutoCloseable {
    /** The JVM options of aegis under test: a small heap, and fast start-up over peak speed. */
    static final String JAVA_OPTS = "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";
    /** As a value in the {@code env} of {@link #start(Path, Map, String...)}: the variable is removed. */
    static final String UNSET = "(unset by the test)";

    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private AegisProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** The executable the build made ({@code -Daegis.executable}, set by failsafe). */
    static Path executable() {
        Path path = Path.of(requiredProperty("aegis.executable"));
        assertThat(path).as("the aegis executable (run `mvn verify`, which builds it first)").isExecutable();
        return path;
    }

    /** The demo service's jar ({@code -Daegis.demo.jar}, set by failsafe). */
    static Path demoJar() {
        Path path = Path.of(requiredProperty("aegis.demo.jar")).toAbsolutePath().normalize();
        assertThat(path).as("the demo service's jar (built by examples/demo-service)").isRegularFile();
        return path;
    }

    /** The example third-party plugin's jar ({@code -Daegis.plugin.jar}, set by failsafe). */
    static Path customPluginJar() {
        Path path = Path.of(requiredProperty("aegis.plugin.jar")).toAbsolutePath().normalize();
        assertThat(path).as("the custom plugin's jar (built by examples/custom-plugin)").isRegularFile();
        return path;
    }

    /** The {@code java} of the JVM running the tests; aegis and the demo service run on it too. */
    static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** Starts {@code aegis} with {@code args} in {@code dir}; its output goes to files in {@code dir}. */
    static AegisProcess start(Path dir, String... args) {
        return start(dir, Map.of(), args);
    }

    /** Starts {@code aegis args} in {@code dir} with {@code env} added to its environment. */
    static AegisProcess start(Path dir, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>();
        command.add(executable().toString());
        command.addAll(List.of(args));
        return start(dir, env, command);
    }

    /** Starts {@code command} (an aegis launch) in {@code dir}; its output goes to files in {@code dir}. */
    static AegisProcess start(Path dir, List<String> command) {
        return start(dir, Map.of(), command);
    }

    private static AegisProcess start(Path dir, Map<String, String> env, List<String> command) {
        try {
            Path stdout = Files.createTempFile(dir, "aegis-", ".out");
            Path stderr = Files.createTempFile(dir, "aegis-", ".err");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile());
            // The tests decide everything through the config file and flags, never through this shell's env.
            builder.environment().keySet().removeIf(name -> name.startsWith("AEGIS_"));
            builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
            builder.environment().put("JAVA_OPTS", JAVA_OPTS);
            // A config without global.stateDir keeps its state under the test's folder, never in the user's home.
            builder.environment().put("XDG_STATE_HOME", dir.resolve("xdg-state").toAbsolutePath().toString());
            // No class-data-sharing archive, and above all none in the real ~/.cache (CI runs the suite as root on a
            // clean machine): StartupIT turns it on, with its cache in the test's folder.
            builder.environment().put("AEGIS_CDS", "off");
            builder.environment().put("AEGIS_CDS_DIR", dir.resolve("cds").toAbsolutePath().toString());
            builder.environment().putAll(env);
            builder.environment().values().removeIf(UNSET::equals);
            return new AegisProcess(builder.start(), stdout, stderr);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
    }

    /** Runs {@code aegis args} to its end (at most a minute) and returns what it did. */
    static Result run(Path dir, String... args) {
        return run(dir, Map.of(), args);
    }

    /** Runs {@code aegis args} with {@code env} added to its environment, to its end (at most a minute). */
    static Result run(Path dir, Map<String, String> env, String... args) {
        try (AegisProcess aegis = start(dir, env, args)) {
            return aegis.awaitExit(60);
        }
    }

    Process process() {
        return process;
    }

    long pid() {
        return process.pid();
    }

    /** The live descendant whose command line contains {@code text} (the demo service: "demo-service.jar"). */
    Optional<ProcessHandle> descendant(String text) {
        return process.descendants()
                .filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().commandLine().orElse("").contains(text))
                .findFirst();
    }

    /**
     * The live processes of a class-data-sharing training writing into {@code cds}, wherever they are: the launcher
     * forks the training twice, so it is no descendant of aegis.
     */
    static List<ProcessHandle> trainingsInto(Path cds) {
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().commandLine().orElse("").contains(cds + "/"))
                .toList();
    }

    /** The process' direct children, finished ones not yet waited for (zombies) included. */
    List<ProcessHandle> children() {
        return process.children().toList();
    }

    /** Sends SIGTERM ({@link Process#destroy} does on Unix). */
    void terminate() {
        process.destroy();
    }

    /** Sends SIGINT, as Ctrl-C in a terminal does. */
    void interrupt() {
        try {
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -INT sent").isTrue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while sending SIGINT", e);
        }
    }

    /** Awaitility with a 30 s limit that fails at once, with aegis' output, if aegis exits meanwhile. */
    ConditionFactory patiently() {
        return await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .failFast(() -> assertThat(process.isAlive())
                        .as(() -> "aegis is running; it exited with " + process.exitValue() + ":\n" + stderr())
                        .isTrue());
    }

    /** Sends the signal {@code name} ({@code HUP}) with {@code kill}: ProcessHandle can only TERM or KILL. */
    void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -%s sent", name).isTrue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while sending SIG" + name, e);
        }
    }

    /** Waits for the exit and returns the exit code and output; fails if it has not exited in time. */
    Result awaitExit(int seconds) {
        try {
            boolean exited = process.waitFor(seconds, TimeUnit.SECONDS);
            assertThat(exited).as("aegis exited within %ss; stderr so far:%n%s", seconds, stderr()).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for aegis", e);
        }
        return new Result(process.exitValue(), stdout(), stderr());
    }

    String stdout() {
        return read(stdout);
    }

    String stderr() {
        return read(stderr);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(could not read " + file + ": " + e + ")";
        }
    }

    private static String requiredProperty(String name) {
        String value = System.getProperty(name);
        assertThat(value).as("system property %s (set by maven-failsafe-plugin in aegis-cli/pom.xml)", name)
                .isNotBlank();
        return value;
    }

    @Override
    public void close() {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How a finished aegis run ended. */
    record Result(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit code " + exitCode + "\n--- stdout ---\n" + stdout + "--- stderr ---\n" + stderr;
        }
    }
}
