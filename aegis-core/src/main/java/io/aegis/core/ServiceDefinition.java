package io.aegis.core;

import io.aegis.api.Settings;
import io.aegis.core.internal.config.QuotedText;
import io.aegis.core.internal.config.ServiceDefinitionAccess;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One supervised service, as read from a {@code services:} entry or built in code: how to check it, how
 * often, when it counts as failed, what to do then, and (optionally) the runtime that runs it.
 *
 * <pre>{@code
 * ServiceDefinition api = ServiceDefinition.builder("api")
 *         .check("http", "http://localhost:8080/health")
 *         .interval(Duration.ofSeconds(5))
 *         .onFailure("restart")
 *         .runtime("process", Map.of("command", List.of("java", "-jar", "api.jar")))
 *         .build();
 * }</pre>
 *
 * <p>Immutable. Values are checked when set ({@link IllegalArgumentException} naming the field); settings a
 * plugin reads (checker keys such as {@code method}, the {@code runtime:} block) are validated when the
 * engine is built.
 */
public final class ServiceDefinition {
    /** Default time between check cycles. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    /** The shortest time between check cycles. */
    public static final Duration MIN_INTERVAL = Duration.ofMillis(1);
    /** Default time one check attempt may take. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Default start period of a service that has a runtime: failing checks right after its workload was
     * (re)started do not count for this long, because the program is still booting. A crash in that time is
     * still seen at once, through the runtime's exit notification. Without a runtime the default is zero.
     */
    public static final Duration DEFAULT_START_PERIOD_WITH_RUNTIME = Duration.ofSeconds(30);
    /** Default action when the service fails. */
    public static final String DEFAULT_ON_FAILURE = "notify";
    /**
     * What a service name may be, as a phrase for messages. Names end up in log lines, metrics labels, file
     * names and environment variable names ({@code AEGIS_SERVICE_<NAME>_...}), so they are kept to characters
     * that are safe in all of them; a DNS label's length (63) is plenty.
     */
    public static final String NAME_RULE = "1 to 63 ASCII letters, digits, '.', '_' or '-', starting with a letter or"
            + " digit";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    static {
        // The configuration loader's way in, kept out of the public API (see ServiceDefinitionAccess).
        ServiceDefinitionAccess.register(Builder::useSettings);
    }

    private final String name;
    private final String checkType;
    private final String endpoint;
    private final Duration interval;
    private final Duration timeout;
    private final int retries;
    private final int failureThreshold;
    private final int successThreshold;
    private final Duration initialDelay;
    private final Duration startPeriod;
    private final List<String> ladder;
    private final RecoveryPolicy recoveryPolicy;
    private final RetryBackoff retryBackoff;
    private final Map<String, String> metadata;
    private final Settings settings;
    private final Settings actionSettings;
    private final Settings runtimeSettings;
    private final FlappingPolicy flapping;
    private final List<String> dependsOn;

    private ServiceDefinition(Builder b) {
        this.name = b.name;
        this.checkType = requireText(b.checkType, "type");
        this.endpoint = requireText(b.endpoint, "endpoint");
        this.interval = b.interval;
        this.timeout = b.timeout;
        this.retries = b.retries;
        this.failureThreshold = b.failureThreshold;
        this.successThreshold = b.successThreshold;
        this.initialDelay = b.initialDelay;
        this.startPeriod = b.startPeriod;
        this.ladder = b.ladder;
        this.recoveryPolicy = b.restartAttempts == null ? b.recoveryPolicy
                : RecoveryPolicy.from(b.recoveryPolicy).restartAttempts(b.restartAttempts).build();
        this.retryBackoff = b.retryBackoff;
        this.metadata = Map.copyOf(b.metadata);
        this.settings = b.settings != null ? b.settings : Settings.of("services[" + name + "]", b.checkerSettings);
        this.actionSettings = b.actionSettings != null ? b.actionSettings
                : Settings.of(this.settings.keyPath("actions"),
                        Map.of("onFailure", ladder.size() == 1 ? ladder.get(0) : ladder));
        this.runtimeSettings = b.runtimeSettings;
        this.flapping = b.flapping;
        this.dependsOn = b.dependsOn;
    }

    /**
     * Starts a definition for the service called {@code name} (unique within an engine).
     *
     * @param name the service's name, unique within an engine
     * @return a builder with the defaults
     * @throws IllegalArgumentException when {@code name} does not follow {@link #NAME_RULE}
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * {@return whether {@code name} follows {@link #NAME_RULE}}
     *
     * @param name a would-be service name
     */
    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** {@return the service's unique name} */
    public String name() {
        return name;
    }

    /** {@return the checker type ({@code http}, {@code tcp}, ...)} */
    public String checkType() {
        return checkType;
    }

    /** {@return what the checker probes: a URL, {@code host:port}, a script} */
    public String endpoint() {
        return endpoint;
    }

    /** {@return time between check cycles} */
    public Duration interval() {
        return interval;
    }

    /** {@return time one attempt may take} */
    public Duration timeout() {
        return timeout;
    }

    /** {@return extra attempts within one cycle before the cycle counts as failed} */
    public int retries() {
        return retries;
    }

    /** {@return consecutive failed cycles before the service is UNHEALTHY} */
    public int failureThreshold() {
        return failureThreshold;
    }

    /** {@return consecutive passed cycles before an unhealthy service is HEALTHY again} */
    public int successThreshold() {
        return successThreshold;
    }

    /** {@return delay before the first check} */
    public Duration initialDelay() {
        return initialDelay;
    }

    /**
     * {@return grace period after a (re)start during which failing checks do not count; when not set, {@link
     * #DEFAULT_START_PERIOD_WITH_RUNTIME} for a service with a runtime, else zero}
     */
    public Duration startPeriod() {
        if (startPeriod != null) {
            return startPeriod;
        }
        return runtimeSettings == null ? Duration.ZERO : DEFAULT_START_PERIOD_WITH_RUNTIME;
    }

    /**
     * {@return the first (for a single action, the only) step of {@link #ladder()}: {@code restart}, {@code notify}...}
     */
    public String onFailure() {
        return ladder.get(0);
    }

    /**
     * {@return the recovery ladder ({@code actions.onFailure}, one name or a list): the recovery actions tried in turn,
     * each verified before the next runs, such as {@code [restart, rollback, isolate, notify]}} Never empty.
     */
    public List<String> ladder() {
        return ladder;
    }

    /** {@return backoff between recoveries and the recovery budget} */
    public RecoveryPolicy recoveryPolicy() {
        return recoveryPolicy;
    }

    /** {@return spacing of the retries within one check cycle} */
    public RetryBackoff retryBackoff() {
        return retryBackoff;
    }

    /** {@return free-form metadata strings} */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** {@return the whole service block; the checker reads its own keys from it} */
    public Settings settings() {
        return settings;
    }

    /** {@return the {@code actions:} block, handed to the recovery action's factory} */
    public Settings actionSettings() {
        return actionSettings;
    }

    /** {@return the {@code runtime:} block (with its {@code type}), when the service has a runtime} */
    public Optional<Settings> runtimeSettings() {
        return Optional.ofNullable(runtimeSettings);
    }

    /** {@return the runtime type, when the service has a runtime} */
    public Optional<String> runtimeType() {
        return runtimeSettings().flatMap(runtime -> runtime.string("type"));
    }

    /** {@return when the service counts as FLAPPING; empty (the default) when it never does} */
    public Optional<FlappingPolicy> flapping() {
        return Optional.ofNullable(flapping);
    }

    /**
     * {@return the services this one depends on, by name, in the order given: while one of them is down, this service's
     * failures are attributed to it, and its workload starts only after they have passed their first check} Names are
     * checked against the engine's services (unknown names, itself, cycles) when the engine is built.
     */
    public List<String> dependsOn() {
        return dependsOn;
    }

    @Override
    public String toString() {
        return "ServiceDefinition{" + name + ", " + checkType + " " + io.aegis.api.UrlCredentials.mask(endpoint)
                + " every " + interval + ", onFailure="
                + (ladder.size() == 1 ? ladder.get(0) : ladder) + runtimeType().map(type -> ", runtime=" + type).orElse("") + "}";
    }

    private static String requireText(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " is required");
        }
        return value;
    }

    private static Duration positive(Duration value, String field) {
        Objects.requireNonNull(value, field);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
        return value;
    }

    private static Duration notNegative(Duration value, String field) {
        Objects.requireNonNull(value, field);
        if (value.isNegative()) {
            throw new IllegalArgumentException(field + " must not be negative, got " + value);
        }
        return value;
    }

    private static int atLeast(int value, int min, String field) {
        if (value < min) {
            throw new IllegalArgumentException(field + " must be at least " + min + ", got " + value);
        }
        return value;
    }

    /** Builds a {@link ServiceDefinition}; every setter validates its value at once. */
    public static final class Builder {
        private final String name;
        private String checkType;
        private String endpoint;
        private Duration interval = DEFAULT_INTERVAL;
        private Duration timeout = DEFAULT_TIMEOUT;
        private int retries;
        private int failureThreshold = 1;
        private int successThreshold = 1;
        private Duration initialDelay = Duration.ZERO;
        private Duration startPeriod;
        private List<String> ladder = List.of(DEFAULT_ON_FAILURE);
        private Integer restartAttempts;
        private RecoveryPolicy recoveryPolicy = RecoveryPolicy.ofDefaults();
        private RetryBackoff retryBackoff = RetryBackoff.ofDefaults();
        private Map<String, String> metadata = Map.of();
        private final Map<String, Object> checkerSettings = new LinkedHashMap<>();
        private Settings settings;
        private Settings actionSettings;
        private Settings runtimeSettings;
        private FlappingPolicy flapping;
        private List<String> dependsOn = List.of();

        private Builder(String name) {
            this.name = requireText(name, "name");
            if (!isValidName(name)) {
                throw new IllegalArgumentException("name " + QuotedText.of(name) + " is not a valid service name: use "
                        + NAME_RULE);
            }
        }

        /**
         * The checker type and what it probes.
         *
         * @param type the checker type, such as {@code http} or {@code tcp}
         * @param endpoint what the checker probes: a URL, {@code host:port}, a script
         * @return this builder
         */
        public Builder check(String type, String endpoint) {
            this.checkType = requireText(type, "type");
            this.endpoint = requireText(endpoint, "endpoint");
            checkerSettings.put("type", type);
            checkerSettings.put("endpoint", endpoint);
            return this;
        }

        /**
         * A checker-specific setting, such as {@code method} or {@code expect} for HTTP.
         *
         * @param key the setting's key
         * @param value its value, as YAML would give it (a String, Number, Boolean, List or Map)
         * @return this builder
         */
        public Builder checkerSetting(String key, Object value) {
            checkerSettings.put(key, value);
            return this;
        }

        /**
         * Time between check cycles; default 10s.
         *
         * @param interval the time between check cycles
         * @return this builder
         * @throws IllegalArgumentException when under {@link ServiceDefinition#MIN_INTERVAL}
         */
        public Builder interval(Duration interval) {
            if (positive(interval, "interval").compareTo(MIN_INTERVAL) < 0) {
                throw new IllegalArgumentException("interval must be at least 1ms (a faster tick keeps the engine's"
                        + " scheduler busy without pause and delays the checks of every other service), got " + interval);
            }
            this.interval = interval;
            return this;
        }

        /**
         * Time one attempt may take; default 5s.
         *
         * @param timeout the time one attempt may take
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            this.timeout = positive(timeout, "timeout");
            return this;
        }

        /**
         * Extra attempts within one cycle; default 0.
         *
         * @param retries extra attempts within one cycle, at least 0
         * @return this builder
         */
        public Builder retries(int retries) {
            this.retries = atLeast(retries, 0, "retries");
            return this;
        }

        /**
         * Failed cycles in a row before UNHEALTHY; default 1.
         *
         * @param failureThreshold failed cycles in a row before UNHEALTHY, at least 1
         * @return this builder
         */
        public Builder failureThreshold(int failureThreshold) {
            this.failureThreshold = atLeast(failureThreshold, 1, "failureThreshold");
            return this;
        }

        /**
         * Passed cycles in a row before HEALTHY again; default 1.
         *
         * @param successThreshold passed cycles in a row before HEALTHY again, at least 1
         * @return this builder
         */
        public Builder successThreshold(int successThreshold) {
            this.successThreshold = atLeast(successThreshold, 1, "successThreshold");
            return this;
        }

        /**
         * Delay before the first check; default none.
         *
         * @param initialDelay the delay before the first check
         * @return this builder
         */
        public Builder initialDelay(Duration initialDelay) {
            this.initialDelay = notNegative(initialDelay, "initialDelay");
            return this;
        }

        /**
         * Grace period after a (re)start in which failing checks do not count; see {@link #startPeriod()}.
         *
         * @param startPeriod the grace period after a (re)start
         * @return this builder
         */
        public Builder startPeriod(Duration startPeriod) {
            this.startPeriod = notNegative(startPeriod, "startPeriod");
            return this;
        }

        /**
         * The recovery action's name; default {@code notify}.
         *
         * @param action the recovery action's name, such as {@code restart}
         * @return this builder
         */
        public Builder onFailure(String action) {
            this.ladder = List.of(requireText(action, "onFailure"));
            return this;
        }

        /**
         * A recovery ladder: {@code onFailure("restart", "rollback", "isolate", "notify")}; see {@link #ladder()}.
         *
         * @param first the first step
         * @param more the steps after it, in order
         * @return this builder
         */
        public Builder onFailure(String first, String... more) {
            List<String> steps = new java.util.ArrayList<>();
            steps.add(first);
            steps.addAll(List.of(more));
            return ladder(steps);
        }

        /**
         * The recovery ladder, at least one action name; see {@link ServiceDefinition#ladder()}.
         *
         * @param steps the action names, in order
         * @return this builder
         */
        public Builder ladder(List<String> steps) {
            if (steps.isEmpty()) {
                throw new IllegalArgumentException("onFailure must name at least one recovery action");
            }
            steps.forEach(step -> requireText(step, "onFailure"));
            this.ladder = List.copyOf(steps);
            return this;
        }

        /**
         * Restarts per incident before the ladder escalates ({@code actions.restart.attempts}); overrides the
         * value of {@link #recoveryPolicy}. Default {@link RecoveryPolicy#DEFAULT_RESTART_ATTEMPTS}.
         *
         * @param attempts restarts per incident, at least 1
         * @return this builder
         */
        public Builder restartAttempts(int attempts) {
            this.restartAttempts = atLeast(attempts, 1, "restart.attempts");
            return this;
        }

        /**
         * Backoff and budget of recoveries; default {@link RecoveryPolicy#ofDefaults()}.
         *
         * @param recoveryPolicy the backoff and budget of recoveries
         * @return this builder
         */
        public Builder recoveryPolicy(RecoveryPolicy recoveryPolicy) {
            this.recoveryPolicy = Objects.requireNonNull(recoveryPolicy, "recoveryPolicy");
            return this;
        }

        /**
         * Spacing of retries within a cycle; default {@link RetryBackoff#ofDefaults()}.
         *
         * @param retryBackoff the spacing of retries within a cycle
         * @return this builder
         */
        public Builder retryBackoff(RetryBackoff retryBackoff) {
            this.retryBackoff = Objects.requireNonNull(retryBackoff, "retryBackoff");
            return this;
        }

        /**
         * Free-form metadata strings.
         *
         * @param metadata the metadata strings
         * @return this builder
         */
        public Builder metadata(Map<String, String> metadata) {
            this.metadata = Map.copyOf(metadata);
            return this;
        }

        /**
         * The runtime that runs the service, with its settings (for {@code process}: {@code command}, ...).
         *
         * @param type the runtime type, such as {@code process} or {@code docker}
         * @param runtimeSettings the runtime's settings, as YAML would give them (without {@code type})
         * @return this builder
         */
        public Builder runtime(String type, Map<String, ?> runtimeSettings) {
            Map<String, Object> values = new LinkedHashMap<>(runtimeSettings);
            values.put("type", requireText(type, "runtime type"));
            this.runtimeSettings = Settings.of("services[" + name + "].runtime", values);
            return this;
        }

        /**
         * Marks the service FLAPPING when it changes state more than {@code threshold} times within
         * {@code window}; see {@link FlappingPolicy}. Default: never.
         *
         * @param threshold the most state changes within {@code window} that are still not flapping
         * @param window how far back state changes are counted
         * @return this builder
         * @throws IllegalArgumentException when {@code threshold} is under 1 or {@code window} under 1ms
         */
        public Builder flapping(int threshold, Duration window) {
            return flapping(FlappingPolicy.of(threshold, window));
        }

        /**
         * Like {@link #flapping(int, Duration)}; {@code null} turns flapping detection off again.
         *
         * @param policy the flapping policy, or {@code null} for none
         * @return this builder
         */
        public Builder flapping(FlappingPolicy policy) {
            this.flapping = policy;
            return this;
        }

        /**
         * The services this one depends on, by name; see {@link ServiceDefinition#dependsOn()}. Replaces what was
         * set before; none by default.
         *
         * @param names the names of the services this one depends on
         * @return this builder
         * @throws IllegalArgumentException when a name is not a valid service name or is given twice
         */
        public Builder dependsOn(String... names) {
            return dependsOn(List.of(names));
        }

        /**
         * Like {@link #dependsOn(String...)}.
         *
         * @param names the names of the services this one depends on
         * @return this builder
         */
        public Builder dependsOn(List<String> names) {
            Set<String> seen = new LinkedHashSet<>();
            for (String dependency : names) {
                if (!isValidName(dependency)) {
                    throw new IllegalArgumentException("dependsOn: " + QuotedText.of(dependency) + " is not a valid"
                            + " service name: use " + NAME_RULE);
                }
                if (!seen.add(dependency)) {
                    throw new IllegalArgumentException("dependsOn: " + QuotedText.of(dependency)
                            + " is listed twice");
                }
            }
            this.dependsOn = List.copyOf(seen);
            return this;
        }

        /**
         * Uses settings read from a configuration file as they are (with their key paths); for the configuration
         * loader only, through {@link ServiceDefinitionAccess}.
         */
        private Builder useSettings(Settings service, Settings actions, Settings runtime) {
            this.settings = service;
            this.actionSettings = actions;
            this.runtimeSettings = runtime;
            return this;
        }

        /**
         * Builds the definition; {@link #check} is required.
         *
         * @return the definition
         */
        public ServiceDefinition build() {
            return new ServiceDefinition(this);
        }
    }
}
