package io.aegis.runtimes.process;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The validated {@code runtime:} block of one service that runs as a child process; see
 * {@link ProcessRuntimeFactory} for the keys and their defaults.
 *
 * @param command the program and its arguments, exactly as handed to the operating system (already wrapped in
 *     {@code /bin/sh -c} when {@code shell: true}, with {@code args} appended)
 * @param environment variables added to the engine's own environment
 * @param workingDirectory where the process runs; empty to run in the engine's working directory
 * @param logFile where stdout and stderr are appended
 * @param stopGracePeriod how long {@code stop} waits after SIGTERM before it kills
 * @param commandKeyPath the key path of {@code command}, for error messages at start
 */
record ProcessRuntimeSettings(
        List<String> command,
        Map<String, String> environment,
        Optional<Path> workingDirectory,
        Path logFile,
        Duration stopGracePeriod,
        String commandKeyPath) {

    /** The grace period between SIGTERM and SIGKILL when {@code stopGracePeriod} is not set. */
    static final Duration DEFAULT_STOP_GRACE_PERIOD = Duration.ofSeconds(10);

    /** The shell used for {@code shell: true}; POSIX only. */
    static final String SHELL = "/bin/sh";

    private static final String EXPECTED_COMMAND = "the command to run, as a list like [java, -jar, app.jar]";

    /** Copies the collections so the record is immutable. */
    ProcessRuntimeSettings {
        command = List.copyOf(command);
        environment = Map.copyOf(environment);
        Objects.requireNonNull(workingDirectory, "workingDirectory");
        Objects.requireNonNull(logFile, "logFile");
        Objects.requireNonNull(stopGracePeriod, "stopGracePeriod");
        Objects.requireNonNull(commandKeyPath, "commandKeyPath");
    }

    /**
     * Reads and validates the settings of service {@code serviceName}.
     *
     * @throws ConfigException naming every invalid key at once
     */
    static ProcessRuntimeSettings from(String serviceName, Settings settings) {
        List<ConfigProblem> problems = new ArrayList<>();
        boolean shell = read(problems, () -> settings.bool("shell", false)).orElse(false);
        List<String> args = read(problems, () -> settings.stringList("args")).orElse(List.of());
        Optional<List<String>> command = read(problems, () -> command(settings, shell, args));
        Map<String, String> environment = read(problems, () -> environment(settings)).orElse(Map.of());
        Optional<Path> workingDirectory = read(problems, () -> workingDirectory(settings)).flatMap(dir -> dir);
        Optional<Path> logFile = read(problems, () -> logFile(serviceName, settings));
        Optional<Duration> stopGracePeriod =
                read(problems, () -> settings.duration("stopGracePeriod", DEFAULT_STOP_GRACE_PERIOD));
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new ProcessRuntimeSettings(command.orElseThrow(), environment, workingDirectory, logFile.orElseThrow(),
                stopGracePeriod.orElseThrow(), settings.keyPath("command"));
    }

    /** The default log file of a service: {@code <java.io.tmpdir>/aegis-<service>.log}. */
    static Path defaultLogFile(String serviceName) {
        // Service names come from YAML and could hold '/' or other characters a file name must not.
        String safeName = serviceName.replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "aegis-" + safeName + ".log").toAbsolutePath();
    }

    private static List<String> command(Settings settings, boolean shell, List<String> args) {
        String key = "command";
        Object raw = settings.raw(key)
                .orElseThrow(() -> new ConfigException(settings.keyPath(key), "missing: expected " + EXPECTED_COMMAND));
        if (raw instanceof List) {
            if (shell) {
                throw new ConfigException(settings.keyPath("shell"), "expected false when command is a list, because"
                        + " a list runs without a shell; write command as one string to run it with " + SHELL + " -c");
            }
            List<String> words = settings.stringList(key);
            if (words.isEmpty()) {
                throw new ConfigException(settings.keyPath(key), "expected " + EXPECTED_COMMAND + ", found an empty list");
            }
            if (words.get(0).isBlank()) {
                throw new ConfigException(settings.keyPath(key) + "[0]", "expected the program to run, found an empty value");
            }
            return concat(words, args);
        }
        if (raw instanceof Map) {
            throw settings.invalid(key, "expected " + EXPECTED_COMMAND, raw);
        }
        String text = settings.string(key).orElseThrow();
        if (text.isBlank()) {
            throw new ConfigException(settings.keyPath(key), "expected " + EXPECTED_COMMAND + ", found an empty value");
        }
        if (shell) {
            StringBuilder script = new StringBuilder(text);
            // Quoted so that each extra argument reaches the program as one word, as it would without a shell.
            args.forEach(arg -> script.append(' ').append(CommandLine.shellQuote(arg)));
            return List.of(SHELL, "-c", script.toString());
        }
        try {
            return concat(CommandLine.split(text), args);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(settings.keyPath(key), e.getMessage());
        }
    }

    private static Map<String, String> environment(Settings settings) {
        Map<String, String> environment = settings.stringMap("env");
        for (String name : environment.keySet()) {
            if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
                throw new ConfigException(settings.keyPath("env"),
                        "expected environment variable names without '=', found \"" + name + "\"");
            }
        }
        return environment;
    }

    private static Optional<Path> workingDirectory(Settings settings) {
        String key = "workingDir";
        if (!settings.has(key)) {
            return Optional.empty();
        }
        String text = settings.requireString(key, "an existing directory");
        Path dir = path(settings, key, text);
        if (!Files.exists(dir)) {
            throw new ConfigException(settings.keyPath(key),
                    "expected an existing directory, found \"" + text + "\", which does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new ConfigException(settings.keyPath(key),
                    "expected an existing directory, found \"" + text + "\", which is not a directory");
        }
        return Optional.of(dir);
    }

    private static Path logFile(String serviceName, Settings settings) {
        String key = "logFile";
        if (!settings.has(key)) {
            return defaultLogFile(serviceName);
        }
        String text = settings.requireString(key, "a file to append the process's output to");
        Path file = path(settings, key, text);
        if (Files.isDirectory(file)) {
            throw new ConfigException(settings.keyPath(key),
                    "expected a file to append the process's output to, found \"" + text + "\", which is a directory");
        }
        Path parent = file.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new ConfigException(settings.keyPath(key), "expected a file in an existing directory, found \""
                    + text + "\", but the directory " + parent + " does not exist");
        }
        return file;
    }

    /** Resolves a configured path against the engine's working directory, which is where it was started. */
    private static Path path(Settings settings, String key, String text) {
        try {
            return Path.of(text).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new ConfigException(settings.keyPath(key), "expected a path, found \"" + text + "\": " + e.getReason());
        }
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    /** Runs one validation step, recording its problems so every invalid key is reported in one go. */
    private static <T> Optional<T> read(List<ConfigProblem> problems, java.util.function.Supplier<T> step) {
        try {
            return Optional.of(step.get());
        } catch (ConfigException e) {
            problems.addAll(e.problems());
            return Optional.empty();
        }
    }
}
