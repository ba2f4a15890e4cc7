package io.aegis.runtimes.docker;

import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.PortBinding;
import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Durations;
import io.aegis.api.Settings;
import io.aegis.plugin.support.ConfigProblems;
import io.aegis.plugin.support.EnvironmentSettings;
import io.aegis.plugin.support.ShellWords;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The validated {@code runtime:} block of one service that runs as (or is) a Docker container; see
 * {@link DockerRuntimeFactory} for the keys and their defaults.
 *
 * @param host the Docker engine's address, {@code unix:///...} or {@code tcp://host:port}
 * @param container the existing container to supervise (name or id); empty in image mode
 * @param image the image to run; empty in container mode
 * @param name the container's name in image mode (default {@code aegis-<service>}); the configured container in
 *     container mode
 * @param command the command to run instead of the image's {@code CMD}; empty for the image's own
 * @param environment variables set in the container
 * @param ports port bindings as {@code docker run -p} takes them
 * @param volumes bind mounts and volumes as {@code docker run -v} takes them
 * @param network the network mode or user-defined network; empty for Docker's default
 * @param pull when to pull the image
 * @param stopTimeout seconds between SIGTERM and SIGKILL when aegis stops or restarts the container
 * @param init whether Docker runs an init process as the container's PID 1 ({@code docker run --init})
 * @param labels labels added to the container aegis creates
 * @param isolateHook {@code isolate.command} and {@code isolate.timeout}: the hook {@code isolate} runs (to drain
 *     the container from a load balancer, say); empty when none is set
 * @param keyPath the key path of the runtime block, for messages
 */
record DockerRuntimeSettings(
        String host,
        Optional<String> container,
        Optional<String> image,
        String name,
        List<String> command,
        Map<String, String> environment,
        List<String> ports,
        List<String> volumes,
        Optional<String> network,
        Pull pull,
        int stopTimeout,
        boolean init,
        Map<String, String> labels,
        Optional<IsolateHook> isolateHook,
        String keyPath) {

    /**
     * The {@code isolate:} block: a command run on the machine aegis runs on (not in the container), as the process
     * runtime's {@code isolate} hook is.
     *
     * @param command the program and its arguments; no shell runs
     * @param timeout how long it may run before it is killed, with everything it started
     * @param keyPath the key path of {@code isolate.command}, for messages
     */
    record IsolateHook(List<String> command, Duration timeout, String keyPath) {
        IsolateHook {
            command = List.copyOf(command);
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(keyPath, "keyPath");
        }
    }

    /** When the image is pulled from its registry. */
    enum Pull {
        /** Only when the engine does not have the image. */
        MISSING,
        /** At every start, so a moved tag is picked up. */
        ALWAYS,
        /** Never: the image must be on the engine. */
        NEVER
    }

    /** Where aegis looks for the Docker engine when neither {@code host} nor {@code DOCKER_HOST} says. */
    static final String DEFAULT_HOST = "unix:///var/run/docker.sock";

    /** Docker's own default stop timeout. */
    static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(10);

    /** How long the isolate hook may run when {@code isolate.timeout} is not set (as in the process runtime). */
    static final Duration DEFAULT_ISOLATE_TIMEOUT = Duration.ofSeconds(30);

    /** The longest {@code isolate.timeout}: a hook that needs longer is a job, not a step of a recovery. */
    static final Duration MAX_ISOLATE_TIMEOUT = Duration.ofMinutes(10);

    /** The longest {@code stopTimeout}: the client's response timeout is sized for it. */
    static final Duration MAX_STOP_TIMEOUT = Duration.ofMinutes(5);

    /** The label aegis puts on every container it creates: the service's name. */
    static final String SERVICE_LABEL = "io.aegis.service";

    /** The label holding a digest of the settings the container was created with, to see when to recreate it. */
    static final String CONFIG_LABEL = "io.aegis.config";

    private static final Pattern CONTAINER_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]+");
    private static final List<String> IMAGE_ONLY_KEYS =
            List.of("name", "command", "env", "ports", "volumes", "network", "pull", "init", "labels");

    DockerRuntimeSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(name, "name");
        command = List.copyOf(command);
        environment = Map.copyOf(environment);
        ports = List.copyOf(ports);
        volumes = List.copyOf(volumes);
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(pull, "pull");
        labels = Map.copyOf(labels);
        Objects.requireNonNull(isolateHook, "isolateHook");
        Objects.requireNonNull(keyPath, "keyPath");
    }

    /** Whether aegis runs the container itself (from {@code image}) rather than supervising an existing one. */
    boolean createsContainer() {
        return image.isPresent();
    }

    /** The container to look up: the configured one, or the name aegis gives the one it creates. */
    String containerReference() {
        return container.orElse(name);
    }

    /**
     * A digest of everything the container is created with except the image: a container created with other
     * settings is recreated at start, as {@code docker compose up} does.
     */
    String configDigest() {
        String text = String.join("\u0000", List.of(name, String.join("\u0001", command),
                new java.util.TreeMap<>(environment).toString(), String.join("\u0001", ports),
                String.join("\u0001", volumes), network.orElse(""), String.valueOf(stopTimeout), String.valueOf(init),
                new java.util.TreeMap<>(labels).toString()));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Reads and validates the settings of service {@code serviceName}, reporting every problem at once.
     *
     * @param dockerHostVariable the value of {@code DOCKER_HOST}, or null
     * @throws ConfigException naming every invalid key
     */
    static DockerRuntimeSettings from(String serviceName, Settings settings, String dockerHostVariable) {
        return from(serviceName, settings, dockerHostVariable, System.getenv("PATH"));
    }

    /**
     * As {@link #from(String, Settings, String)}, looking for the isolate hook's program on {@code searchPath} (a
     * {@code PATH} value) when its name holds no {@code /}.
     */
    static DockerRuntimeSettings from(String serviceName, Settings settings, String dockerHostVariable,
            String searchPath) {
        ConfigProblems problems = new ConfigProblems();
        String host = problems.read(() -> host(settings, dockerHostVariable)).orElse(DEFAULT_HOST);
        Optional<String> container = problems.read(() -> optionalString(settings, "container",
                "the name or id of an existing container")).flatMap(value -> value);
        Optional<String> image = problems.read(() -> optionalString(settings, "image",
                "an image such as example/web:1.4")).flatMap(value -> value);
        if (container.isPresent() && image.isPresent()) {
            problems.add(new ConfigProblem(settings.keyPath("image"), "expected either container (supervise an"
                    + " existing container) or image (aegis runs one), found both; keep one"));
        } else if (container.isEmpty() && image.isEmpty() && !settings.has("container") && !settings.has("image")) {
            problems.add(new ConfigProblem(settings.keyPath("image"), "missing: expected image (an image aegis runs"
                    + " a container from, such as example/web:1.4) or container (the name of an existing container"
                    + " aegis supervises)"));
        }
        if (container.isPresent()) {
            for (String key : IMAGE_ONLY_KEYS) {
                if (settings.has(key)) {
                    problems.add(new ConfigProblem(settings.keyPath(key), "applies only with image (a container aegis"
                            + " creates); a supervised container keeps its own settings: remove " + key
                            + ", or use image instead of container"));
                }
            }
        }
        String name = problems.read(() -> name(serviceName, settings)).orElse("aegis-service");
        List<String> command = problems.read(() -> command(settings)).orElse(List.of());
        Map<String, String> environment = problems.read(() -> EnvironmentSettings.read(settings, "env"))
                .orElse(Map.of());
        List<String> ports = problems.read(() -> checkedList(settings, "ports", "a port binding like"
                + " 127.0.0.1:8080:8080 or 8080:80/tcp, ports from 1 to 65535", DockerRuntimeSettings::portBinding))
                .orElse(List.of());
        List<String> volumes = problems.read(() -> checkedList(settings, "volumes", "a mount like /srv/data:/data:ro"
                + " or a-volume:/data", Bind::parse)).orElse(List.of());
        Optional<String> network = problems.read(() -> optionalString(settings, "network",
                "host, none, bridge or the name of a user-defined network")).flatMap(value -> value);
        Pull pull = problems.read(() -> pull(settings)).orElse(Pull.MISSING);
        int stopTimeout = problems.read(() -> stopTimeout(settings)).orElse(10);
        boolean init = problems.read(() -> settings.bool("init", false)).orElse(false);
        Map<String, String> labels = problems.read(() -> labels(settings)).orElse(Map.of());
        Optional<IsolateHook> isolateHook = problems.read(() -> settings.section("isolate")).flatMap(section -> section)
                .flatMap(section -> isolateHook(problems, section, searchPath));
        problems.throwIfAny();
        return new DockerRuntimeSettings(host, container, image, container.orElse(name), command, environment, ports,
                volumes, network, pull, stopTimeout, init, labels, isolateHook, settings.path());
    }

    /** The default container name of a service: {@code aegis-<service>}, with what Docker refuses replaced. */
    static String defaultName(String serviceName) {
        return "aegis-" + serviceName.replaceAll("[^a-zA-Z0-9_.-]", "-");
    }

    private static String host(Settings settings, String dockerHostVariable) {
        String key = "host";
        if (!settings.has(key)) {
            return dockerHostVariable == null || dockerHostVariable.isBlank() ? DEFAULT_HOST : dockerHostVariable.trim();
        }
        String value = settings.requireString(key, "the Docker engine's address, such as unix:///var/run/docker.sock");
        if (!value.startsWith("unix:///") && !value.startsWith("tcp://")) {
            throw new ConfigException(settings.keyPath(key), "expected the Docker engine's address, unix:///path/to/"
                    + "docker.sock or tcp://host:port, found \"" + value + "\"");
        }
        return value;
    }

    private static Optional<String> optionalString(Settings settings, String key, String whatItIs) {
        if (!settings.has(key)) {
            return Optional.empty();
        }
        return Optional.of(settings.requireString(key, whatItIs).trim());
    }

    private static String name(String serviceName, Settings settings) {
        String key = "name";
        if (!settings.has(key)) {
            return defaultName(serviceName);
        }
        String value = settings.requireString(key, "a container name");
        if (!CONTAINER_NAME.matcher(value).matches()) {
            throw new ConfigException(settings.keyPath(key), "expected a container name of letters, digits, _, . and -"
                    + " (at least two, starting with a letter or digit), found \"" + value + "\"");
        }
        return value;
    }

    private static List<String> command(Settings settings) {
        String key = "command";
        Optional<Object> raw = settings.raw(key);
        if (raw.isEmpty()) {
            return List.of();
        }
        String expected = "the command to run in the container, as a list like [java, -jar, /app/app.jar]";
        if (raw.get() instanceof Map) {
            throw settings.invalid(key, "expected " + expected, raw.get());
        }
        List<String> words = raw.get() instanceof List ? settings.stringList(key)
                : split(settings.string(key).orElseThrow(), settings.keyPath(key));
        if (words.isEmpty()) {
            throw new ConfigException(settings.keyPath(key), "expected " + expected + ", found an empty value");
        }
        return words;
    }

    /** Splits a command string into words by the one rule all of aegis uses ({@link ShellWords}); no shell runs. */
    static List<String> split(String text, String keyPath) {
        try {
            return ShellWords.split(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(keyPath, e.getMessage() + " in \"" + text
                    + "\"; close it, or write the command as a list");
        }
    }


    /** Reads the {@code isolate:} block; its problems go to {@code problems}, and it is empty then. */
    private static Optional<IsolateHook> isolateHook(ConfigProblems problems, Settings isolate, String searchPath) {
        Optional<List<String>> command = problems.read(() -> hookCommand(isolate));
        command.flatMap(words -> programProblem(words.get(0), isolate.keyPath("command"), searchPath))
                .ifPresent(problems::add);
        Optional<Duration> timeout = problems.read(() -> hookTimeout(isolate));
        if (command.isEmpty() || timeout.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new IsolateHook(command.get(), timeout.get(), isolate.keyPath("command")));
    }

    private static List<String> hookCommand(Settings isolate) {
        String key = "command";
        String expected = "the command aegis runs on this machine to take the container out of traffic (to drain it"
                + " from a load balancer, say), as a list like [/usr/local/bin/drain, web] or one string";
        Object raw = isolate.raw(key)
                .orElseThrow(() -> new ConfigException(isolate.keyPath(key), "missing: expected " + expected));
        if (raw instanceof Map) {
            throw isolate.invalid(key, "expected " + expected, raw);
        }
        List<String> words = raw instanceof List ? isolate.stringList(key)
                : split(isolate.string(key).orElseThrow(), isolate.keyPath(key));
        if (words.isEmpty() || words.get(0).isBlank()) {
            throw new ConfigException(isolate.keyPath(key), "expected " + expected + ", found an empty value");
        }
        return words;
    }

    private static Duration hookTimeout(Settings isolate) {
        Duration timeout = isolate.duration("timeout", DEFAULT_ISOLATE_TIMEOUT);
        if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(MAX_ISOLATE_TIMEOUT) > 0) {
            throw new ConfigException(isolate.keyPath("timeout"), "expected a duration from 1ms to "
                    + Durations.format(MAX_ISOLATE_TIMEOUT) + " (how long the isolate hook may run), found \""
                    + Durations.format(timeout) + "\"");
        }
        return timeout;
    }

    /**
     * Why the hook's program cannot be started, found the way the JDK looks for it (as given when it holds a
     * {@code /}, else on {@code searchPath}); empty when it can. Said now rather than when a recovery needs it.
     */
    static Optional<ConfigProblem> programProblem(String program, String keyPath, String searchPath) {
        if (program.indexOf('/') >= 0) {
            Path file;
            try {
                file = Path.of(program).toAbsolutePath().normalize();
            } catch (InvalidPathException e) {
                return Optional.of(new ConfigProblem(keyPath, "expected a program, found \"" + program + "\": "
                        + e.getReason()));
            }
            if (!Files.isRegularFile(file)) {
                return Optional.of(new ConfigProblem(keyPath, "\"" + program + "\" " + (Files.isDirectory(file)
                        ? "is a directory; expected the program to run" : "does not exist")));
            }
            return Files.isExecutable(file) ? Optional.empty()
                    : Optional.of(new ConfigProblem(keyPath, "\"" + program + "\" is not executable; chmod +x it"));
        }
        String path = searchPath == null ? "" : searchPath;
        for (String dir : path.split(":", -1)) {
            try {
                Path candidate = Path.of(dir.isEmpty() ? "." : dir).resolve(program);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.empty();
                }
            } catch (InvalidPathException e) {
                // not a directory the JDK would find it in either
            }
        }
        return Optional.of(new ConfigProblem(keyPath, "\"" + program + "\" is not an executable on the PATH (" + path
                + "); install it, or write its full path"));
    }

    private static Map<String, String> labels(Settings settings) {
        Map<String, String> labels = settings.stringMap("labels");
        for (String name : labels.keySet()) {
            if (name.equals(SERVICE_LABEL) || name.equals(CONFIG_LABEL)) {
                throw new ConfigException(settings.keyPath("labels") + "." + name, "is set by aegis itself (it marks"
                        + " the containers aegis created); use another label name");
            }
        }
        return labels;
    }

    private static List<String> checkedList(Settings settings, String key, String whatEachIs,
            java.util.function.Function<String, ?> parser) {
        List<String> values = settings.stringList(key);
        ConfigProblems problems = new ConfigProblems();
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            try {
                parser.apply(value);
            } catch (RuntimeException e) {
                problems.add(new ConfigProblem(settings.keyPath(key) + "[" + i + "]",
                        "expected " + whatEachIs + ", found \"" + value + "\""));
            }
        }
        problems.throwIfAny();
        return values;
    }

    /**
     * A {@code docker run -p} binding whose ports are real ports: docker-java parses {@code 99999:1} happily and the
     * engine refuses it only when the container is created.
     */
    private static PortBinding portBinding(String value) {
        PortBinding binding = PortBinding.parse(value);
        checkPort(binding.getExposedPort().getPort());
        String hostPorts = binding.getBinding().getHostPortSpec();
        if (hostPorts != null && !hostPorts.isEmpty()) {
            for (String port : hostPorts.split("-", -1)) {
                checkPort(Integer.parseInt(port));
            }
        }
        return binding;
    }

    private static void checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("no port: " + port);
        }
    }

    private static Pull pull(Settings settings) {
        String key = "pull";
        if (!settings.has(key)) {
            return Pull.MISSING;
        }
        String value = settings.string(key).orElseThrow().trim();
        try {
            return Pull.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(settings.keyPath(key), "expected missing (pull only when the engine lacks the"
                    + " image), always or never, found \"" + value + "\"");
        }
    }

    private static int stopTimeout(Settings settings) {
        String key = "stopTimeout";
        Duration timeout = settings.duration(key, DEFAULT_STOP_TIMEOUT);
        if (timeout.compareTo(MAX_STOP_TIMEOUT) > 0) {
            throw new ConfigException(settings.keyPath(key), "expected a duration from 0s to "
                    + Durations.format(MAX_STOP_TIMEOUT) + " (the time between SIGTERM and SIGKILL), found \""
                    + Durations.format(timeout) + "\"");
        }
        // Docker counts whole seconds; a fraction is rounded up so the container never gets less than asked for.
        long seconds = timeout.getSeconds() + (timeout.getNano() > 0 ? 1 : 0);
        return (int) seconds;
    }

}
