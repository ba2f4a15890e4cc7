package io.aegis.core.internal.config;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Durations;
import io.aegis.api.Settings;
import io.aegis.core.FlappingPolicy;
import io.aegis.core.RecoveryPolicy;
import io.aegis.core.RetryBackoff;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.internal.BlockingChecks;
import io.aegis.core.internal.CheckLoad;
import io.aegis.core.internal.RecoveryPermits;
import io.aegis.core.internal.Redactor;
import io.aegis.core.internal.anomaly.AnomalyConfig;
import io.aegis.core.internal.logs.LogsConfig;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reads and validates an Aegis configuration file: the seed project's schema ({@code global}, {@code services},
 * {@code notifications}, {@code logs}, {@code anomaly_detection}) plus our extensions, with {@code ${VAR}}
 * substitution and {@code AEGIS_*} overrides.
 *
 * <p>Only a file that is not YAML at all stops the loader. Every other problem is collected in the
 * {@link ConfigReport}, the value falls back to its default, and validation goes on, so a person sees every
 * mistake at once. A service missing its name, type or endpoint is left out of the services.
 *
 * <p>Keys of a service block that the loader does not know may belong to its checker plugin ({@code method},
 * {@code expect}); the engine reports them with {@link TrackingSettings#unknownKeys()} after the plugins have
 * read theirs. Every other block is checked for unknown keys here.
 *
 * <p>No logger here on purpose: the CLI loads the configuration to learn the log level before logging is set up.
 */
public final class ConfigLoader {
    /** The log levels {@code global.logLevel} accepts. */
    public static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error");
    /** Default of {@code global.logLevel}. */
    public static final String DEFAULT_LOG_LEVEL = "info";
    /** Default of {@code global.metricsPort}. */
    public static final int DEFAULT_METRICS_PORT = 9090;
    /** Default of {@code global.metricsHost}: every interface, like Prometheus exporters. */
    public static final String DEFAULT_METRICS_HOST = "0.0.0.0";

    private static final List<String> THRESHOLD_KINDS = List.of("latency", "error_rate", "throughput");
    private static final String DURATION_EXAMPLES = "like 500ms, 5s, 1m or 1h";

    /** What the loader made of a file; {@code report} holds every problem it found. */
    public record LoadedConfig(String origin, String logLevel, boolean metricsEnabled, int metricsPort,
            String metricsHost, Optional<String> stateDir, List<ServiceDefinition> services,
            TrackingSettings notifications, TrackingSettings alerting, TrackingSettings logs,
            TrackingSettings anomalyDetection, ConfigReport report, int maxConcurrentBlockingChecks, int maxConcurrentRecoveries,
            int maxInFlightChecks, LogsConfig logsConfig, AnomalyConfig anomalyConfig,
            io.aegis.core.HttpApiConfig api) {
    }

    private final List<ConfigProblem> problems = new ArrayList<>();
    /** Every service name seen, valid service or not, so references to it are not reported twice. */
    private final Map<String, String> serviceNames = new LinkedHashMap<>();

    private ConfigLoader() {
    }

    /**
     * Reads a configuration file as UTF-8 text, but never more of it than a configuration may hold: a file past the
     * size limit (a log written there by mistake, {@code /dev/zero}) fails after reading a few megabytes instead of
     * filling the heap first.
     *
     * @throws io.aegis.core.InvalidConfigurationException when the file holds more than the limit
     * @throws java.nio.charset.CharacterCodingException when it is not UTF-8
     * @throws IOException when it cannot be read
     */
    public static String readFile(Path file) throws IOException {
        // A code point takes one or two chars: more than twice the limit in chars is past it whatever the text.
        int maxChars = 2 * YamlReader.MAX_CODE_POINTS;
        char[] buffer = new char[8192];
        StringBuilder text = new StringBuilder();
        try (Reader reader = new InputStreamReader(Files.newInputStream(file),
                StandardCharsets.UTF_8.newDecoder())) {
            int read;
            while ((read = reader.read(buffer)) >= 0) {
                text.append(buffer, 0, read);
                if (text.length() > maxChars) {
                    throw YamlReader.tooLarge(file.toString(), "more than " + maxChars);
                }
            }
        }
        return text.toString();
    }

    /**
     * Loads {@code yaml}.
     *
     * @param origin the file name to put in messages
     * @param env the environment, for {@code ${VAR}} and {@code AEGIS_*} overrides
     * @throws io.aegis.core.InvalidConfigurationException only when {@code yaml} is not YAML or is past one of
     *     the reader's limits (size, nesting, aliases expanded)
     */
    public static LoadedConfig load(String yaml, String origin, Map<String, String> env) {
        return new ConfigLoader().run(yaml, origin, env);
    }

    private LoadedConfig run(String yaml, String origin, Map<String, String> env) {
        YamlDocument document = YamlReader.read(yaml, origin);
        problems.addAll(document.problems());
        Map<String, Object> tree;
        if (document.root() == null) {
            // almost certainly a mistake (the wrong file, or one truncated on its way), never a valid intent
            problems.add(new ConfigProblem("", "the configuration is empty (nothing but blank lines and comments);"
                    + " expected at least a services: list, see the Configuration section of the README"));
            tree = new LinkedHashMap<>();
        } else if (document.isMapping()) {
            tree = asMutableMap(document.root());
        } else {
            problems.add(new ConfigProblem("", "expected a mapping with the keys global, services, notifications,"
                    + " alerting, logs and anomaly_detection, found " + Settings.describe(document.root())));
            tree = new LinkedHashMap<>();
        }

        List<ConfigProblem> substitutionProblems = new ArrayList<>();
        Set<String> fromEnvironment = EnvironmentSubstitution.apply(tree, env, substitutionProblems::add);
        EnvironmentOverrides overrides = EnvironmentOverrides.apply(tree, env);
        // a value replaced by an override no longer needs its ${VAR}
        substitutionProblems.removeIf(problem -> overrides.sources().containsKey(problem.keyPath()));
        problems.addAll(substitutionProblems);

        TrackingSettings root = new TrackingSettings("", asMutableMap(freeze(tree)));
        Optional<TrackingSettings> global = read(() -> root.trackedSection("global"), Optional.empty());
        String logLevel = global.map(this::logLevel).orElse(DEFAULT_LOG_LEVEL);
        boolean metricsEnabled = global.map(g -> read(() -> g.bool("metricsEnabled", true), true)).orElse(true);
        int metricsPort = global.map(g -> read(() -> (int) g.integer("metricsPort", DEFAULT_METRICS_PORT, 0, 65535),
                DEFAULT_METRICS_PORT)).orElse(DEFAULT_METRICS_PORT);
        String metricsHost = global.map(g -> read(() -> metricsHost(g), DEFAULT_METRICS_HOST))
                .orElse(DEFAULT_METRICS_HOST);
        Optional<String> stateDir = global.flatMap(g -> read(() -> stateDir(g), Optional.empty()));
        int maxBlockingChecks = global.map(g -> read(() -> (int) g.integer("maxConcurrentBlockingChecks",
                BlockingChecks.DEFAULT_LIMIT, 1, 1024), BlockingChecks.DEFAULT_LIMIT)).orElse(BlockingChecks.DEFAULT_LIMIT);
        int defaultInFlight = CheckLoad.defaultMaxInFlight();
        int maxInFlightChecks = global.map(g -> read(() -> (int) g.integer("maxInFlightChecks",
                defaultInFlight, 0, 1_000_000), defaultInFlight)).orElse(defaultInFlight);
        int maxRecoveries = global.map(this::maxConcurrentRecoveries).orElse(RecoveryPermits.DEFAULT_LIMIT);
        io.aegis.core.HttpApiConfig api = global.map(this::api).orElse(io.aegis.core.HttpApiConfig.DISABLED);
        global.ifPresent(g -> problems.addAll(g.unknownKeys()));

        List<ServiceDefinition> services = new ArrayList<>();
        for (TrackingSettings service : root.trackedSections("services", problems::add)) {
            service(service).ifPresent(services::add);
        }

        TrackingSettings notifications = section(root, "notifications");
        notifications(notifications);
        // Alert routing, silences, inhibition and rules: checked (unknown keys included) when the engine is built,
        // against the notifiers and services it has; --validate builds one.
        TrackingSettings alerting = section(root, "alerting");
        TrackingSettings logs = section(root, "logs");
        LogsConfig logsConfig = logs(logs);
        problems.addAll(logs.unknownKeys());
        TrackingSettings anomalyDetection = section(root, "anomaly_detection");
        AnomalyConfig anomalyConfig = anomalyDetection(anomalyDetection);
        problems.addAll(anomalyDetection.unknownKeys());
        problems.addAll(root.unknownKeysHere());
        // a value whose ${VAR} could not be resolved is absent: say why once, not again as "missing"
        Set<String> unresolved = new HashSet<>();
        substitutionProblems.forEach(problem -> unresolved.add(problem.keyPath()));
        problems.removeIf(problem -> unresolved.contains(problem.keyPath()) && !substitutionProblems.contains(problem));

        Set<String> secrets = new HashSet<>(fromEnvironment);
        api.token().ifPresent(secrets::add); // from a tokenFile it is no ${VAR}, and still never shown
        ConfigReport report = new ConfigReport(origin, document.locator(), overrides.sources(),
                Redactor.of(secrets));
        overrides.problems().forEach(problem -> report.addEnvironmentProblem(problem.keyPath(), problem.message()));
        report.addAll(problems);
        return new LoadedConfig(origin, logLevel, metricsEnabled, metricsPort, metricsHost, stateDir,
                List.copyOf(services), notifications, alerting, logs, anomalyDetection, report, maxBlockingChecks, maxRecoveries,
                maxInFlightChecks, logsConfig, anomalyConfig, api);
    }

    /**
     * {@code global.api}: absent means no API; present means enabled unless {@code enabled: false}. A token comes
     * from {@code token} (usually {@code "${AEGIS_TOKEN}"}) or from the first line of {@code tokenFile}, not both.
     */
    private io.aegis.core.HttpApiConfig api(TrackingSettings global) {
        Optional<TrackingSettings> block = read(() -> global.trackedSection("api"), Optional.empty());
        if (block.isEmpty()) {
            return io.aegis.core.HttpApiConfig.DISABLED;
        }
        TrackingSettings api = block.get();
        boolean enabled = read(() -> api.bool("enabled", true), true);
        String host = read(() -> bindAddress(api, "host", io.aegis.core.HttpApiConfig.DEFAULT_HOST,
                        "the port goes in port"), io.aegis.core.HttpApiConfig.DEFAULT_HOST);
        int port = read(() -> (int) api.integer("port", io.aegis.core.HttpApiConfig.DEFAULT_PORT, 0, 65535),
                io.aegis.core.HttpApiConfig.DEFAULT_PORT);
        Optional<String> token = read(() -> api.string("token").map(String::trim), Optional.<String>empty());
        Optional<String> tokenFile = read(() -> api.string("tokenFile").map(String::trim), Optional.<String>empty());
        if (token.isPresent() && tokenFile.isPresent()) {
            problem(api, "tokenFile", "expected either token or tokenFile, not both");
            tokenFile = Optional.empty();
        }
        if (token.isPresent() && token.get().isEmpty()) {
            problem(api, "token", "expected a secret of at least 16 characters, such as \"${AEGIS_TOKEN}\", found"
                    + " an empty value (leave token out for none)");
            token = Optional.empty();
        }
        if (tokenFile.isPresent()) {
            token = tokenFromFile(api, tokenFile.get());
        }
        if (token.isPresent() && token.get().length() < 16) {
            // said without the value: a token is never echoed, not even a bad one
            problems.add(new ConfigProblem(api.keyPath(tokenFile.isPresent() ? "tokenFile" : "token"), "expected a"
                    + " secret of at least 16 characters (a guessable token guards nothing), found "
                    + token.get().length()));
            token = Optional.empty();
        }
        problems.addAll(api.unknownKeys());
        return new io.aegis.core.HttpApiConfig(enabled, host, port, token);
    }

    private Optional<String> tokenFromFile(TrackingSettings api, String file) {
        try {
            String text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            String line = text.lines().findFirst().orElse("").trim();
            if (line.isEmpty()) {
                problem(api, "tokenFile", "expected a file whose first line is the token, found an empty file: "
                        + file);
                return Optional.empty();
            }
            return Optional.of(line);
        } catch (IOException | RuntimeException e) {
            problem(api, "tokenFile", "cannot read the token file " + file + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "it does not exist"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage()));
            return Optional.empty();
        }
    }

    /** {@code global.stateDir}: a directory path; relative ones are resolved against the configuration's folder. */
    private Optional<String> stateDir(TrackingSettings global) {
        Optional<String> dir = global.string("stateDir").map(String::trim);
        if (dir.isPresent() && (dir.get().isEmpty() || dir.get().indexOf('\0') >= 0)) {
            throw new io.aegis.api.ConfigException(global.keyPath("stateDir"), "expected a directory path, such as"
                    + " /var/lib/aegis, found \"" + dir.get() + "\"");
        }
        return dir;
    }

    /** {@code global.metricsHost}: an IP address or host name to bind, such as 127.0.0.1 to stay local. */
    private String metricsHost(TrackingSettings global) {
        return bindAddress(global, "metricsHost", DEFAULT_METRICS_HOST, "the port goes in metricsPort");
    }

    /** An IP address or host name to bind at {@code key}: no port, no path, no space. */
    private static String bindAddress(TrackingSettings block, String key, String defaultHost, String portHint) {
        String host = block.string(key, defaultHost).trim();
        boolean hostAndPort = host.indexOf(':') >= 0 && host.indexOf(':') == host.lastIndexOf(':'); // not IPv6
        if (host.isEmpty() || hostAndPort || host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/')) {
            throw new io.aegis.api.ConfigException(block.keyPath(key), "expected an address to bind such"
                    + " as 127.0.0.1 or 0.0.0.0 (" + portHint + "), found \"" + host + "\"");
        }
        return host;
    }

    private String logLevel(TrackingSettings global) {
        Optional<String> level = read(() -> global.string("logLevel"), Optional.empty());
        if (level.isEmpty()) {
            return DEFAULT_LOG_LEVEL;
        }
        String normalized = level.get().trim().toLowerCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(normalized)) {
            problem(global, "logLevel", "expected one of " + String.join(", ", LOG_LEVELS));
            return DEFAULT_LOG_LEVEL;
        }
        return normalized;
    }

    // ---- services -------------------------------------------------------------------------------------------

    private Optional<ServiceDefinition> service(TrackingSettings service) {
        String name = read(() -> service.requireString("name", "a unique name for the service"), null);
        String type = read(() -> service.requireString("type", "a checker type such as http, tcp, grpc or script"), null);
        String endpoint = read(() -> service.requireString("endpoint", "what to check (a URL, host:port or script path)"),
                null);
        boolean leftOut = false;
        // A service whose only fault is its name is still checked under a stand-in name, so that the mistakes in
        // the rest of it (an unknown type, a plugin's settings) are reported with it, all at once.
        String checkedName = name;
        if (name != null && !ServiceDefinition.isValidName(name)) {
            problems.add(new ConfigProblem(service.keyPath("name"), "expected a service name of "
                    + ServiceDefinition.NAME_RULE + ", found " + QuotedText.of(name)));
            checkedName = "invalid-name-" + (serviceNames.size() + 1);
        }
        if (name != null) {
            String first = serviceNames.putIfAbsent(name, service.path());
            if (first != null) {
                leftOut = true;
                problems.add(new ConfigProblem(service.keyPath("name"), "another service is already named "
                        + QuotedText.of(name) + " (" + first + "); names must be unique"));
            }
        }
        Duration interval = atLeastOneMillisecond(service,
                positiveDuration(service, "interval", ServiceDefinition.DEFAULT_INTERVAL));
        Duration timeout = positiveDuration(service, "timeout", ServiceDefinition.DEFAULT_TIMEOUT);
        int retries = wholeNumber(service, "retries", 0, 0);
        int failureThreshold = wholeNumber(service, "failureThreshold", 1, 1);
        int successThreshold = wholeNumber(service, "successThreshold", 1, 1);
        Duration initialDelay = read(() -> service.duration("initialDelay", Duration.ZERO), Duration.ZERO);
        // unset means "the engine's default", which depends on whether the service has a runtime
        Optional<Duration> startPeriod = read(() -> service.duration("startPeriod"), Optional.<Duration>empty());
        Map<String, String> metadata = read(() -> service.stringMap("metadata"), Map.of());

        RetryBackoff retryBackoff = retryBackoff(service);
        Optional<TrackingSettings> actions = read(() -> service.trackedSection("actions"), Optional.empty());
        List<String> onFailure = actions.map(this::onFailure).orElse(List.of(ServiceDefinition.DEFAULT_ON_FAILURE));
        RecoveryPolicy policy = actions.map(this::recoveryPolicy).orElse(RecoveryPolicy.ofDefaults());
        actions.ifPresent(a -> problems.addAll(a.unknownKeys()));

        TrackingSettings runtime = runtime(service);
        Optional<FlappingPolicy> flapping = flapping(service);
        List<String> dependsOn = dependsOn(service);

        if (name == null || type == null || endpoint == null || leftOut) {
            return Optional.empty();
        }
        try {
            ServiceDefinition.Builder builder = ServiceDefinition.builder(checkedName).check(type, endpoint);
            set(service, "interval", () -> builder.interval(interval));
            set(service, "timeout", () -> builder.timeout(timeout));
            set(service, "retries", () -> builder.retries(retries));
            set(service, "failureThreshold", () -> builder.failureThreshold(failureThreshold));
            set(service, "successThreshold", () -> builder.successThreshold(successThreshold));
            set(service, "initialDelay", () -> builder.initialDelay(initialDelay));
            startPeriod.ifPresent(period -> set(service, "startPeriod", () -> builder.startPeriod(period)));
            set(service, "actions.onFailure", () -> builder.ladder(onFailure));
            flapping.ifPresent(builder::flapping);
            set(service, "dependsOn", () -> builder.dependsOn(dependsOn));
            builder.recoveryPolicy(policy).retryBackoff(retryBackoff).metadata(metadata);
            ServiceDefinitionAccess.get().useSettings(builder, service, actions.orElse(null), runtime);
            return Optional.of(builder.build());
        } catch (IllegalArgumentException e) {
            problems.add(new ConfigProblem(service.path(), e.getMessage()));
            return Optional.empty();
        }
    }

    /** The optional {@code retryBackoff: {initial, multiplier, max}} block; the defaults when absent or wrong. */
    private RetryBackoff retryBackoff(TrackingSettings service) {
        Optional<TrackingSettings> block = read(() -> service.trackedSection("retryBackoff"), Optional.empty());
        if (block.isEmpty()) {
            return RetryBackoff.ofDefaults();
        }
        Curve curve = curve(block.get(), "retryBackoff", RetryBackoff.DEFAULT_INITIAL, RetryBackoff.DEFAULT_MULTIPLIER,
                RetryBackoff.DEFAULT_MAX);
        problems.addAll(block.get().unknownKeys());
        return RetryBackoff.of(curve.initial(), curve.multiplier(), curve.max());
    }

    /** An exponential curve as written in a {@code {initial, multiplier, max}} block. */
    private record Curve(Duration initial, double multiplier, Duration max) {
    }

    /**
     * Reads {@code initial}, {@code multiplier} and {@code max} of a backoff block; a value with a problem is
     * reported at its key and replaced by something consistent, so the rest can still be checked.
     */
    private Curve curve(TrackingSettings block, String name, Duration defaultInitial, double defaultMultiplier,
            Duration defaultMax) {
        Duration initial = positiveDuration(block, "initial", defaultInitial);
        if (initial.compareTo(Duration.ofMillis(1)) < 0) {
            problem(block, "initial", "expected a duration of at least 1ms (backoff delays are counted in whole"
                    + " milliseconds)");
            initial = defaultInitial;
        }
        double multiplier = read(() -> block.number("multiplier"), Optional.<Double>empty()).orElse(defaultMultiplier);
        if (multiplier < 1.0) {
            problem(block, "multiplier", "expected a number of at least 1");
            multiplier = defaultMultiplier;
        }
        // an unset cap grows with a large first delay instead of contradicting it
        Duration max = positiveDuration(block, "max", initial.compareTo(defaultMax) > 0 ? initial : defaultMax);
        if (max.compareTo(initial) < 0) {
            problem(block, "max", "expected a duration of at least " + name + ".initial (" + Durations.format(initial)
                    + ")");
            max = initial;
        }
        return new Curve(initial, multiplier, max);
    }

    /** The optional {@code flapping: {threshold, window}} block; both keys are required when it is there. */
    private Optional<FlappingPolicy> flapping(TrackingSettings service) {
        Optional<TrackingSettings> block = read(() -> service.trackedSection("flapping"), Optional.empty());
        if (block.isEmpty()) {
            return Optional.empty();
        }
        TrackingSettings flapping = block.get();
        int threshold = wholeNumber(flapping, "threshold", 0, 1);
        if (!flapping.has("threshold")) {
            problems.add(new ConfigProblem(flapping.keyPath("threshold"), "missing: expected the most state changes"
                    + " within the window that are not yet flapping (a whole number of at least 1, such as 6)"));
        }
        Duration window = positiveDuration(flapping, "window", null);
        if (!flapping.has("window")) {
            problems.add(new ConfigProblem(flapping.keyPath("window"), "missing: expected how far back state changes"
                    + " count, and how long a flapping service must stay calm, as a duration " + DURATION_EXAMPLES));
        } else if (window != null && window.compareTo(FlappingPolicy.MIN_WINDOW) < 0) {
            problem(flapping, "window", "expected a duration of at least 1ms");
            window = null;
        }
        problems.addAll(flapping.unknownKeys());
        if (threshold < 1 || window == null) {
            return Optional.empty();
        }
        return Optional.of(FlappingPolicy.of(threshold, window));
    }

    /**
     * {@code dependsOn}: a list of service names, or one name. Names that are not service names and repeated
     * names are reported here and left out; whether the names exist (and form no cycle) is checked by the engine,
     * which also knows the services defined in code.
     */
    private List<String> dependsOn(TrackingSettings service) {
        Object raw = service.raw("dependsOn").orElse(null);
        if (raw == null) {
            return List.of();
        }
        List<?> items = raw instanceof List ? (List<?>) raw : List.of(raw);
        Map<String, String> names = new LinkedHashMap<>();
        for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            String key = raw instanceof List ? "dependsOn[" + i + "]" : "dependsOn";
            String text = item instanceof String || item instanceof Number ? item.toString() : null;
            if (text == null || !ServiceDefinition.isValidName(text)) {
                problems.add(new ConfigProblem(service.keyPath(key), "expected the name of a service defined under"
                        + " services, found " + Settings.describe(item)));
            } else if (names.putIfAbsent(text, key) != null) {
                problems.add(new ConfigProblem(service.keyPath(key), QuotedText.of(text) + " is already listed at "
                        + service.keyPath(names.get(text)) + "; list each dependency once"));
            }
        }
        return List.copyOf(names.keySet());
    }

    /** The {@code runtime:} block when it names its type; null otherwise. */
    private TrackingSettings runtime(TrackingSettings service) {
        Optional<TrackingSettings> runtime = read(() -> service.trackedSection("runtime"), Optional.empty());
        if (runtime.isEmpty()) {
            return null;
        }
        String type = read(() -> runtime.get().requireString("type", "a runtime type such as process or docker"), null);
        if (type == null) {
            runtime.get().allowAnyKeys(); // its keys cannot be checked without knowing its type
            return null;
        }
        return runtime.get();
    }

    /** {@code actions.onFailure}: one action's name, or a list of them (the recovery ladder). */
    private List<String> onFailure(TrackingSettings actions) {
        List<String> fallback = List.of(ServiceDefinition.DEFAULT_ON_FAILURE);
        Object raw = actions.raw("onFailure").orElse(null);
        if (!(raw instanceof List)) {
            return List.of(read(() -> actions.has("onFailure")
                    ? actions.requireString("onFailure", "the name of a recovery action such as restart or notify, or a"
                            + " list of them such as [restart, rollback, isolate, notify]")
                    : ServiceDefinition.DEFAULT_ON_FAILURE, ServiceDefinition.DEFAULT_ON_FAILURE));
        }
        List<?> list = (List<?>) raw;
        if (list.isEmpty()) {
            problems.add(new ConfigProblem(actions.keyPath("onFailure"), "expected at least one recovery action, such as"
                    + " [restart, notify], found an empty list"));
            return fallback;
        }
        List<String> steps = new ArrayList<>();
        boolean valid = true;
        for (int i = 0; i < list.size(); i++) {
            Object step = list.get(i);
            if (!(step instanceof String) || ((String) step).isBlank()) {
                // Every bad entry at once, not only the first.
                problems.add(new ConfigProblem(actions.keyPath("onFailure") + "[" + i + "]", "expected the name of a"
                        + " recovery action such as restart, rollback, isolate or notify, found " + Settings.describe(step)));
                valid = false;
            } else {
                steps.add(((String) step).trim());
            }
        }
        return valid ? steps : fallback;
    }

    /** {@code global.recovery: {maxConcurrent}}: recovery actions in flight at once across the fleet. */
    private int maxConcurrentRecoveries(TrackingSettings global) {
        Optional<TrackingSettings> recovery = read(() -> global.trackedSection("recovery"), Optional.empty());
        if (recovery.isEmpty()) {
            return RecoveryPermits.DEFAULT_LIMIT;
        }
        return wholeNumber(recovery.get(), "maxConcurrent", RecoveryPermits.DEFAULT_LIMIT, 1);
    }

    private RecoveryPolicy recoveryPolicy(TrackingSettings actions) {
        RecoveryPolicy.Builder builder = RecoveryPolicy.custom();
        read(() -> actions.trackedSection("backoff"), Optional.<TrackingSettings>empty()).ifPresent(backoff -> {
            Curve curve = curve(backoff, "backoff", RecoveryPolicy.DEFAULT_BACKOFF_INITIAL,
                    RecoveryPolicy.DEFAULT_BACKOFF_MULTIPLIER, RecoveryPolicy.DEFAULT_BACKOFF_MAX);
            policyStep(actions, () -> builder.backoff(curve.initial(), curve.multiplier(), curve.max()));
        });
        Duration resetAfter = positiveDuration(actions, "resetAfter", RecoveryPolicy.DEFAULT_RESET_AFTER);
        policyStep(actions, () -> builder.resetAfter(resetAfter));
        Duration verifyWithin = positiveDuration(actions, "verifyWithin", RecoveryPolicy.DEFAULT_VERIFY_WITHIN);
        policyStep(actions, () -> builder.verifyWithin(verifyWithin));
        read(() -> actions.trackedSection("budget"), Optional.<TrackingSettings>empty()).ifPresent(budget -> {
            int max = wholeNumber(budget, "max", RecoveryPolicy.DEFAULT_BUDGET_MAX, 1);
            Duration window = positiveDuration(budget, "window", RecoveryPolicy.DEFAULT_BUDGET_WINDOW);
            policyStep(actions, () -> builder.budget(max, window));
        });
        read(() -> actions.trackedSection("restart"), Optional.<TrackingSettings>empty()).ifPresent(restart -> {
            int attempts = wholeNumber(restart, "attempts", RecoveryPolicy.DEFAULT_RESTART_ATTEMPTS, 1);
            policyStep(actions, () -> builder.restartAttempts(attempts));
        });
        RecoveryPolicy[] built = {RecoveryPolicy.ofDefaults()};
        policyStep(actions, () -> built[0] = builder.build());
        return built[0];
    }

    /** Turns the builder's "backoff.initial must be positive, got PT0S" into a problem at that key. */
    private void policyStep(TrackingSettings actions, Runnable step) {
        try {
            step.run();
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage());
            int space = message.indexOf(' ');
            String field = space < 0 ? "" : message.substring(0, space);
            boolean known = List.of("backoff.initial", "backoff.multiplier", "backoff.max", "resetAfter", "budget.max",
                    "budget.window", "verifyWithin", "restart.attempts").contains(field);
            problems.add(known ? new ConfigProblem(actions.keyPath(field), message.substring(space + 1))
                    : new ConfigProblem(actions.path(), message));
        }
    }

    /** Runs a builder setter; its IllegalArgumentException becomes a problem at {@code key}. */
    private void set(TrackingSettings service, String key, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            problems.add(new ConfigProblem(service.keyPath(key), e.getMessage()));
        }
    }

    // ---- notifications, logs, anomaly detection -------------------------------------------------------------

    /**
     * Notifiers are plugins that check their own keys when the engine creates them (so one mistake is
     * reported once, in the plugin's words); here only the shape is checked.
     */
    private void notifications(TrackingSettings notifications) {
        for (String notifier : notifications.keys()) {
            Object value = notifications.raw(notifier).orElse(null);
            if (!(value instanceof Map)) {
                problems.add(new ConfigProblem(notifications.keyPath(notifier), "expected a mapping with the settings of"
                        + " notifier \"" + notifier + "\" (" + notifier + ": {} for its defaults), found "
                        + Settings.describe(value)));
            }
        }
    }

    private static boolean isHttpUrl(String text) {
        try {
            URI uri = new URI(text.trim());
            return uri.getScheme() != null && Set.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))
                    && uri.getHost() != null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** The {@code logs:} block; the services it names are checked by the engine, which knows those of code too. */
    private LogsConfig logs(TrackingSettings logs) {
        return LogsConfig.parse(logs, problems::add);
    }

    /** The {@code anomaly_detection:} block; the services its thresholds name are checked here. */
    private AnomalyConfig anomalyDetection(TrackingSettings anomaly) {
        AnomalyConfig config = AnomalyConfig.parse(anomaly, problems::add);
        read(() -> anomaly.trackedSection("thresholds"), Optional.<TrackingSettings>empty()).ifPresent(thresholds -> {
            for (String kind : THRESHOLD_KINDS) {
                for (TrackingSettings threshold : thresholds.trackedSections(kind, problem -> { })) {
                    serviceReference(threshold);
                }
            }
        });
        return config;
    }

    /** Checks that {@code service:} names a service defined under {@code services:}. */
    private void serviceReference(TrackingSettings block) {
        String name = read(() -> block.requireString("service", "the name of a service defined under services"), null);
        if (name == null || serviceNames.containsKey(name)) {
            return;
        }
        String hint = KeySuggestions.closest(name, serviceNames.keySet()).map(s -> "; did you mean \"" + s + "\"?")
                .orElseGet(() -> serviceNames.isEmpty() ? " (no services are defined)"
                        : " (services: " + String.join(", ", serviceNames.keySet()) + ")");
        problems.add(new ConfigProblem(block.keyPath("service"), "no service named " + QuotedText.of(name) + hint));
    }

    // ---- typed reads that collect problems instead of stopping -----------------------------------------------

    private TrackingSettings section(TrackingSettings root, String key) {
        return read(() -> root.trackedSection(key), Optional.<TrackingSettings>empty())
                .orElseGet(() -> new TrackingSettings(key, Map.of()));
    }

    private <T> T read(Supplier<T> reader, T fallback) {
        try {
            return reader.get();
        } catch (ConfigException e) {
            problems.addAll(e.problems());
            return fallback;
        }
    }

    /** A duration above zero; {@code fallback} when absent or wrong. */
    private Duration positiveDuration(TrackingSettings settings, String key, Duration fallback) {
        Optional<Duration> value = read(() -> settings.duration(key), Optional.empty());
        if (value.isPresent() && value.get().isZero()) {
            problem(settings, key, "expected a duration above zero " + DURATION_EXAMPLES);
            return fallback;
        }
        return value.orElse(fallback);
    }

    /** {@code interval}, or the default (with a problem) when it is under {@link ServiceDefinition#MIN_INTERVAL}. */
    private Duration atLeastOneMillisecond(TrackingSettings service, Duration interval) {
        if (interval.compareTo(ServiceDefinition.MIN_INTERVAL) >= 0) {
            return interval;
        }
        problem(service, "interval", "expected a duration of at least 1ms (a faster tick keeps aegis' scheduler"
                + " busy without pause and delays the checks of every other service)");
        return ServiceDefinition.DEFAULT_INTERVAL;
    }

    /** A whole number of at least {@code min} that fits an int; {@code fallback} when absent or wrong. */
    private int wholeNumber(TrackingSettings settings, String key, int fallback, int min) {
        Optional<Long> value = read(() -> settings.integer(key), Optional.empty());
        if (value.isEmpty()) {
            return fallback;
        }
        if (value.get() < min) {
            problem(settings, key, "expected a whole number of at least " + min);
            return fallback;
        }
        if (value.get() > Integer.MAX_VALUE) {
            problem(settings, key, "expected a whole number of at most " + Integer.MAX_VALUE);
            return fallback;
        }
        return value.get().intValue();
    }

    /** A problem with the value at {@code key}: "{@code expected}, found {@code <the value>}". */
    private void problem(TrackingSettings settings, String key, String expected) {
        Object found = settings.raw(key).orElse(null);
        problems.add(new ConfigProblem(settings.keyPath(key), expected + ", found " + Settings.describe(found)));
    }

    // ---- the tree -------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMutableMap(Object map) {
        return (Map<String, Object>) map;
    }

    /** A deep, unmodifiable copy, so no plugin can change what another one reads. */
    private static Object freeze(Object value) {
        if (value instanceof Map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            ((Map<?, ?>) value).forEach((k, v) -> copy.put(String.valueOf(k), freeze(v)));
            return Collections.unmodifiableMap(copy);
        }
        if (value instanceof List) {
            List<Object> copy = new ArrayList<>();
            ((List<?>) value).forEach(item -> copy.add(freeze(item)));
            return Collections.unmodifiableList(copy);
        }
        return value;
    }
}
