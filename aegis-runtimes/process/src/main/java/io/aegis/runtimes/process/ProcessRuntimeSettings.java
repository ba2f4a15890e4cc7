package io.aegis.runtimes.process;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Durations;
import io.aegis.api.Settings;
import io.aegis.plugin.support.ConfigProblems;
import io.aegis.plugin.support.EnvironmentSettings;
import io.aegis.plugin.support.ShellWords;
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
 * @param logMaxSize the size in bytes past which {@code logFile} is rotated; 0 to never rotate it
 * @param logBackups how many rotated files ({@code logFile.1} ... {@code logFile.<n>}) are kept; 0 to truncate
 *     {@code logFile} in place
 * @param stopGracePeriod how long {@code stop} waits after SIGTERM before it kills
 * @param commandKeyPath the key path of {@code command}, for error messages at start
 * @param stateDirectory the service's private state directory: the default log file and the output pipe
 * @param rollbackCommand {@code rollback.command}: the command line of the previous known-good release, run by
 *     {@code rollback} in place of {@code command} (same {@code env} and {@code workingDir}, no {@code args});
 *     empty when the service declares none
 * @param rollbackReleases {@code rollback.releases}: a release layout ({@code current -> releases/<id>}, see
 *     {@link ReleaseLayout}) whose {@code current} link {@code rollback} repoints to the previous release; empty when
 *     not set. A service declares this or {@code rollbackCommand}, or neither, and then it cannot be rolled back
 * @param isolateCommand {@code isolate.command}: the hook {@code isolate} runs (to drain the service from a load
 *     balancer, say) while the service's process keeps running; empty to run none
 * @param isolateTimeout {@code isolate.timeout}: how long the isolate hook may run before it is killed and the
 *     isolation fails
 */
record ProcessRuntimeSettings(
        List<String> command,
        Map<String, String> environment,
        Optional<Path> workingDirectory,
        Path logFile,
        long logMaxSize,
        int logBackups,
        Duration stopGracePeriod,
        String commandKeyPath,
        Path stateDirectory,
        Optional<ConfiguredCommand> rollbackCommand,
        Optional<Path> rollbackReleases,
        Optional<ConfiguredCommand> isolateCommand,
        Duration isolateTimeout) {

    /**
     * A command line read from the configuration, and where: the key path that error messages name.
     *
     * @param words the program and its arguments, exactly as handed to the operating system
     * @param keyPath the key it was read from, such as {@code services[0].runtime.rollback.command}
     */
    record ConfiguredCommand(List<String> words, String keyPath) {
        ConfiguredCommand {
            words = List.copyOf(words);
            Objects.requireNonNull(keyPath, "keyPath");
        }
    }

    /** The grace period between SIGTERM and SIGKILL when {@code stopGracePeriod} is not set. */
    static final Duration DEFAULT_STOP_GRACE_PERIOD = Duration.ofSeconds(10);

    /** The size past which the log file is rotated when {@code logMaxSize} is not set: supervisord's 50 MB. */
    static final long DEFAULT_LOG_MAX_SIZE = 50L * 1024 * 1024;

    /** How many rotated log files are kept when {@code logBackups} is not set: supervisord's 10. */
    static final int DEFAULT_LOG_BACKUPS = 10;

    /** The smallest {@code logMaxSize} but 0: anything smaller would rotate the file for almost every line. */
    static final long MIN_LOG_MAX_SIZE = 1024;

    /** Each rotation renames every backup: more than this is a typo, not a retention policy. */
    static final int MAX_LOG_BACKUPS = 1000;

    /** How long the isolate hook may run when {@code isolate.timeout} is not set. */
    static final Duration DEFAULT_ISOLATE_TIMEOUT = Duration.ofSeconds(30);

    /** The longest {@code isolate.timeout}: a hook that needs longer is a job, not a step of a recovery. */
    static final Duration MAX_ISOLATE_TIMEOUT = Duration.ofMinutes(10);

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
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(rollbackCommand, "rollbackCommand");
        Objects.requireNonNull(rollbackReleases, "rollbackReleases");
        Objects.requireNonNull(isolateCommand, "isolateCommand");
        Objects.requireNonNull(isolateTimeout, "isolateTimeout");
    }

    /**
     * Reads and validates the settings of service {@code serviceName}, whose private state directory is
     * {@code stateDirectory}, without looking for the program.
     *
     * @throws ConfigException naming every invalid key at once
     */
    static ProcessRuntimeSettings from(String serviceName, Settings settings, Path stateDirectory) {
        return from(serviceName, settings, stateDirectory, null);
    }

    /**
     * Reads and validates the settings of service {@code serviceName}, whose private state directory is
     * {@code stateDirectory}, and checks that the program exists and is
     * executable, looked up like the operating system will start it: on {@code searchPath} (aegis' own
     * {@code PATH}, which is what the JDK searches, not the service's {@code env}) when it has no {@code /}, else
     * relative to {@code workingDir}. A null {@code searchPath} skips that check.
     *
     * @throws ConfigException naming every invalid key at once
     */
    static ProcessRuntimeSettings from(String serviceName, Settings settings, Path stateDirectory, String searchPath) {
        ConfigProblems problems = new ConfigProblems();
        boolean shell = problems.read(() -> settings.bool("shell", false)).orElse(false);
        List<String> args = problems.read(() -> settings.stringList("args")).orElse(List.of());
        Optional<List<String>> command = problems.read(() -> command(settings, shell, args));
        Map<String, String> environment = problems.read(() -> EnvironmentSettings.read(settings, "env"))
                .orElse(Map.of());
        Optional<Path> workingDirectory = problems.read(() -> workingDirectory(settings)).flatMap(dir -> dir);
        Optional<Path> logFile = problems.read(() -> logFile(stateDirectory, settings));
        Optional<Long> logMaxSize = problems.read(() -> logMaxSize(settings));
        Optional<Long> logBackups = problems.read(() -> settings.integer("logBackups", DEFAULT_LOG_BACKUPS, 0, MAX_LOG_BACKUPS));
        Optional<Duration> stopGracePeriod =
                problems.read(() -> settings.duration("stopGracePeriod", DEFAULT_STOP_GRACE_PERIOD));
        // a workingDir that is wrong is reported as such; the program is then looked for only once it is right
        if (searchPath != null && command.isPresent() && (workingDirectory.isPresent() || !settings.has("workingDir"))) {
            command.flatMap(words -> programProblem(words.get(0), workingDirectory, searchPath, settings))
                    .ifPresent(problems::add);
        }
        String extraSearchPath = searchPath != null && (workingDirectory.isPresent() || !settings.has("workingDir"))
                ? searchPath : null;
        Optional<Settings> rollback = problems.read(() -> settings.section("rollback")).flatMap(section -> section);
        boolean layout = rollback.filter(section -> section.has("releases")).isPresent();
        Optional<ConfiguredCommand> rollbackCommand = rollback.filter(section -> !layout)
                .flatMap(section -> extraCommand(problems, section, workingDirectory, extraSearchPath));
        Optional<Path> rollbackReleases = rollback.filter(section -> layout).flatMap(section -> problems.read(() -> releases(section, command.orElse(List.of()), workingDirectory)));
        Optional<Settings> isolate = problems.read(() -> settings.section("isolate")).flatMap(section -> section);
        Optional<ConfiguredCommand> isolateCommand =
                isolate.flatMap(section -> extraCommand(problems, section, workingDirectory, extraSearchPath));
        Optional<Duration> isolateTimeout = problems.read(() -> isolate.map(ProcessRuntimeSettings::isolateTimeout)
                .orElse(DEFAULT_ISOLATE_TIMEOUT));
        problems.throwIfAny();
        return new ProcessRuntimeSettings(command.orElseThrow(), environment, workingDirectory, logFile.orElseThrow(),
                logMaxSize.orElseThrow(), logBackups.orElseThrow().intValue(), stopGracePeriod.orElseThrow(),
                settings.keyPath("command"), stateDirectory, rollbackCommand, rollbackReleases, isolateCommand,
                isolateTimeout.orElseThrow());
    }

    /**
     * Reads the {@code command} (and {@code shell}) of a {@code rollback:} or {@code isolate:} block: the same forms
     * as the service's own {@code command}, run in the same {@code workingDir} with the same {@code env}, and checked
     * for the program the same way when {@code searchPath} is not null. Problems go to {@code problems}; empty then.
     */
    private static Optional<ConfiguredCommand> extraCommand(ConfigProblems problems, Settings section,
            Optional<Path> workingDirectory, String searchPath) {
        boolean shell = problems.read(() -> section.bool("shell", false)).orElse(false);
        Optional<List<String>> words = problems.read(() -> command(section, shell, List.of()));
        if (searchPath != null) {
            words.flatMap(w -> programProblem(w.get(0), workingDirectory, searchPath, section))
                    .ifPresent(problems::add);
        }
        return words.map(w -> new ConfiguredCommand(w, section.keyPath("command")));
    }

    /**
     * Reads {@code rollback.releases}, the folder of a release layout, which must be valid now and be what the
     * service runs through: repointing its {@code current} link would change nothing otherwise.
     */
    private static Path releases(Settings rollback, List<String> command, Optional<Path> workingDirectory) {
        String key = "releases";
        if (rollback.has("command")) {
            throw new ConfigException(rollback.keyPath(key), "expected either rollback.command (the previous release's"
                    + " command line) or rollback.releases (a release layout), found both; keep one");
        }
        String text = rollback.requireString(key, "the folder that holds current and releases/<id>");
        Path root = path(rollback, key, text);
        ReleaseLayout.problem(root).ifPresent(problem -> {
            throw new ConfigException(rollback.keyPath(key), problem);
        });
        Path current = root.resolve(ReleaseLayout.CURRENT);
        boolean throughCurrent = workingDirectory.filter(dir -> dir.startsWith(current)).isPresent()
                || command.stream().anyMatch(word -> word.contains(current.toString())
                        || workingDirectory.filter(root::equals).isPresent()
                                && (word.startsWith(ReleaseLayout.CURRENT + "/") || word.startsWith("./current/")));
        if (!throughCurrent) {
            throw new ConfigException(rollback.keyPath(key), "the service runs neither in nor from " + current
                    + " (its command and workingDir do not mention it), so repointing that link would not change what"
                    + " runs; start it from there, e.g. command: [" + current.resolve("bin/app") + "] or workingDir: "
                    + current);
        }
        return root;
    }

    private static Duration isolateTimeout(Settings isolate) {
        Duration timeout = isolate.duration("timeout", DEFAULT_ISOLATE_TIMEOUT);
        if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(MAX_ISOLATE_TIMEOUT) > 0) {
            throw new ConfigException(isolate.keyPath("timeout"), "expected a duration from 1ms to "
                    + Durations.format(MAX_ISOLATE_TIMEOUT) + " (how long the isolate hook may run), found \""
                    + Durations.format(timeout) + "\"");
        }
        return timeout;
    }

    /**
     * The default log file of a service: {@code output.log} in its private state directory, where nobody else
     * can plant a link (a shared temporary directory would let anyone make aegis write elsewhere).
     */
    static Path defaultLogFile(Path stateDirectory) {
        return stateDirectory.resolve("output.log");
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
        if (!shell) {
            shellOperator(text).ifPresent(operator -> {
                throw new ConfigException(settings.keyPath(key), "\"" + text + "\" contains " + operator + ", which is"
                        + " passed to the program as arguments, not to a shell; set shell: true to run the command"
                        + " with " + SHELL + " -c, or write command as a list to pass it on literally");
            });
        }
        if (shell) {
            StringBuilder script = new StringBuilder(text);
            // Quoted so that each extra argument reaches the program as one word, as it would without a shell.
            args.forEach(arg -> script.append(' ').append(ShellWords.quote(arg)));
            return List.of(SHELL, "-c", script.toString());
        }
        try {
            return concat(ShellWords.split(text), args);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(settings.keyPath(key), e.getMessage() + " in \"" + text
                    + "\"; close it, or write the command as a list");
        }
    }

    /** The shell syntax in a command string, which only means something to a shell; empty when there is none. */
    static Optional<String> shellOperator(String text) {
        List<String> words;
        try {
            words = ShellWords.split(text);
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // reported as it is
        }
        for (String word : words) {
            if (word.contains("$(")) {
                return Optional.of("$(");
            }
            if (word.indexOf('`') >= 0) {
                return Optional.of("`");
            }
            for (String operator : List.of("&&", "||", ";", "|", "2>", ">>", ">", "<", "&")) {
                // a word that is an operator, starts with a redirection or ends a command ("cd /srv;")
                boolean redirection = operator.contains(">") || operator.equals("<");
                if (word.equals(operator) || redirection && word.startsWith(operator)
                        || operator.equals(";") && word.endsWith(";")) {
                    return Optional.of(operator);
                }
            }
        }
        return Optional.empty();
    }

    /** Why {@code program} cannot be started, the way the JDK will look for it; empty when it can. */
    private static Optional<ConfigProblem> programProblem(String program, Optional<Path> workingDirectory,
            String searchPath, Settings settings) {
        String keyPath = settings.keyPath("command");
        if (program.indexOf('/') < 0) {
            Path notExecutable = null;
            for (String dir : searchPath.split(":", -1)) {
                Path candidate;
                try {
                    candidate = workingDirectory.orElse(Path.of("")).resolve(dir.isEmpty() ? "." : dir).resolve(program);
                } catch (InvalidPathException e) {
                    continue;
                }
                if (Files.isRegularFile(candidate)) {
                    if (Files.isExecutable(candidate)) {
                        return Optional.empty();
                    }
                    notExecutable = notExecutable == null ? candidate : notExecutable;
                }
            }
            if (notExecutable != null) {
                return Optional.of(new ConfigProblem(keyPath, "\"" + program + "\" is found on the PATH only as "
                        + notExecutable + ", which is not executable; chmod +x it, or write the full path of another"));
            }
            return Optional.of(new ConfigProblem(keyPath, "\"" + program + "\" is not on the PATH (" + searchPath
                    + "); install it, or write its full path"));
        }
        Path file;
        try {
            file = workingDirectory.orElse(Path.of("")).resolve(program).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            return Optional.of(new ConfigProblem(keyPath, "expected a program, found \"" + program + "\": " + e.getReason()));
        }
        String where = file.toString().equals(program) ? ""
                : " (" + file + (workingDirectory.isPresent() ? ", from workingDir" : "") + ")";
        if (!Files.exists(file)) {
            return Optional.of(new ConfigProblem(keyPath, "\"" + program + "\" does not exist" + where));
        }
        if (Files.isDirectory(file)) {
            return Optional.of(new ConfigProblem(keyPath, "\"" + program + "\" is a directory" + where
                    + "; expected the program to run"));
        }
        if (!Files.isExecutable(file)) {
            return Optional.of(new ConfigProblem(keyPath, "\"" + program + "\" is not executable" + where
                    + "; chmod +x it"));
        }
        return Optional.empty();
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

    private static Path logFile(Path stateDirectory, Settings settings) {
        String key = "logFile";
        if (!settings.has(key)) {
            return defaultLogFile(stateDirectory);
        }
        String text = settings.requireString(key, "a file to append the process's output to");
        Path file = path(settings, key, text);
        if (Files.isSymbolicLink(file)) {
            throw new ConfigException(settings.keyPath(key), "expected a file to append the process's output to,"
                    + " found \"" + text + "\", which is a symbolic link; aegis does not follow links for log files"
                    + " (a planted link could make it write elsewhere): give the path of the file itself");
        }
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

    /**
     * Reads {@code logMaxSize}: a whole number of bytes, optionally with a unit, KB, MB or GB (or KiB, MiB,
     * GiB: both are powers of 1024, as in supervisord and logrotate), in any case; 0 means never rotate.
     */
    private static long logMaxSize(Settings settings) {
        String key = "logMaxSize";
        Optional<String> text = settings.string(key);
        if (text.isEmpty()) {
            return DEFAULT_LOG_MAX_SIZE;
        }
        long bytes = ByteSize.parse(text.get()).orElseThrow(() -> new ConfigException(settings.keyPath(key),
                "expected a size like 50MB, 512KiB or 1048576 (bytes), or 0 to never rotate, found \""
                        + text.get() + "\""));
        if (bytes != 0 && bytes < MIN_LOG_MAX_SIZE) {
            throw new ConfigException(settings.keyPath(key), "expected 0 (never rotate) or at least 1KiB, found \""
                    + text.get() + "\", which would rotate the log file for almost every line");
        }
        return bytes;
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

}
