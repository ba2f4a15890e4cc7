package io.aegis.core;

import io.aegis.api.Settings;
import io.aegis.core.internal.StateDirectory;
import io.aegis.core.internal.config.ConfigLoader;
import io.aegis.core.internal.config.ConfigReport;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An Aegis configuration file, read and checked: the seed project's YAML schema ({@code global}, {@code services},
 * {@code notifications}, {@code logs}, {@code anomaly_detection}) plus our extensions ({@code runtime:},
 * {@code failureThreshold}, {@code actions.backoff} ...), with {@code ${VAR}} / {@code ${VAR:-default}} in values
 * and {@code AEGIS_LOG_LEVEL}, {@code AEGIS_METRICS_ENABLED}, {@code AEGIS_METRICS_PORT} and
 * {@code AEGIS_SERVICE_<NAME>_<FIELD>} overriding the file.
 *
 * <pre>{@code
 * AegisConfig config = AegisConfig.load(Path.of("aegis.yaml"));
 * try (Engine engine = Engine.builder().config(config).build()) { ... }
 * }</pre>
 *
 * <p>Loading throws at once only when the file cannot be read or is not YAML. Every other mistake is kept, the
 * value falls back to its default, and the engine reports all of them together (with the plugins' own) when it is
 * built, each as {@code file:line:column: key.path: what was found and what was expected}.
 */
public final class AegisConfig {
    private final ConfigLoader.LoadedConfig loaded;
    /** Where the engine keeps state: {@code global.stateDir}, else the file's default; empty for parsed text. */
    private final Optional<Path> stateDir;

    /** The file it was read from; empty for parsed text. */
    private final Optional<Path> file;
    /** The environment it was read with, for a reload to read the file again as it was read. */
    private final Map<String, String> env;
    /** The text it was parsed from. */
    private final String text;

    private AegisConfig(ConfigLoader.LoadedConfig loaded, Optional<Path> stateDir, Optional<Path> file,
            Map<String, String> env, String text) {
        this.loaded = loaded;
        this.stateDir = stateDir;
        this.file = file;
        this.env = Map.copyOf(env);
        this.text = text;
    }

    /**
     * Reads {@code file}, with the process environment for {@code ${VAR}} and overrides.
     *
     * @param file the YAML configuration file
     * @return the configuration, not yet validated (the engine validates it when it is built)
     * @throws InvalidConfigurationException when the file cannot be read, is not YAML, or is past a limit (3 MiB,
     *     100 levels of nesting, 1,000,000 values with aliases expanded)
     */
    public static AegisConfig load(Path file) {
        return load(file, System.getenv());
    }

    /**
     * Reads {@code file} with {@code env} as the environment.
     *
     * @param file the YAML configuration file
     * @param env the environment, for {@code ${VAR}} references and {@code AEGIS_*} overrides
     * @return the configuration, not yet validated (the engine validates it when it is built)
     * @throws InvalidConfigurationException when the file cannot be read, is not YAML, or is past a limit (3 MiB,
     *     100 levels of nesting, 1,000,000 values with aliases expanded)
     */
    public static AegisConfig load(Path file, Map<String, String> env) {
        String origin = file.toString();
        String yaml;
        try {
            yaml = ConfigLoader.readFile(file);
        } catch (NoSuchFileException e) {
            throw cannotRead(origin, "the file does not exist");
        } catch (AccessDeniedException e) {
            throw cannotRead(origin, "permission denied");
        } catch (CharacterCodingException e) {
            throw cannotRead(origin, "it is not UTF-8 text");
        } catch (IOException e) {
            throw cannotRead(origin, Files.isDirectory(file) ? "it is a directory" : String.valueOf(e.getMessage()));
        }
        ConfigLoader.LoadedConfig loaded = ConfigLoader.load(yaml, origin, env);
        Path folder = file.toAbsolutePath().normalize().getParent();
        Path stateDir = loaded.stateDir().map(dir -> folder.resolve(dir).normalize())
                .orElseGet(() -> StateDirectory.defaultFor(file, env));
        return new AegisConfig(loaded, Optional.of(stateDir), Optional.of(file), env, yaml);
    }

    /**
     * Reads configuration text.
     *
     * @param yaml the configuration text
     * @param origin the file name to use in messages
     * @param env the environment, for {@code ${VAR}} references and {@code AEGIS_*} overrides
     * @return the configuration, not yet validated (the engine validates it when it is built)
     * @throws InvalidConfigurationException when the text is not YAML or is past a limit (see {@link #load(Path)})
     */
    public static AegisConfig parse(String yaml, String origin, Map<String, String> env) {
        ConfigLoader.LoadedConfig loaded = ConfigLoader.load(yaml, origin, env);
        return new AegisConfig(loaded, loaded.stateDir().map(dir -> Path.of(dir).toAbsolutePath().normalize()),
                Optional.empty(), env, yaml);
    }

    private static InvalidConfigurationException cannotRead(String origin, String reason) {
        return new InvalidConfigurationException(List.of(origin + ": cannot read the configuration file: " + reason));
    }

    /** {@return the file name used in messages} */
    public String origin() {
        return loaded.origin();
    }

    /** {@return {@code global.logLevel}: trace, debug, info (default), warn or error, in lower case} */
    public String logLevel() {
        return loaded.logLevel();
    }

    /** {@return {@code global.metricsEnabled}, default true} */
    public boolean metricsEnabled() {
        return loaded.metricsEnabled();
    }

    /** {@return {@code global.metricsHost}, default 0.0.0.0 (every interface); 127.0.0.1 keeps metrics local} */
    public String metricsHost() {
        return loaded.metricsHost();
    }

    /** {@return {@code global.metricsPort}, default 9090; 0 picks a free port} */
    public int metricsPort() {
        return loaded.metricsPort();
    }

    /**
     * {@return where the engine keeps what must outlive its process (what runtimes started, services' output by
     * default): {@code global.stateDir} (or {@code AEGIS_STATE_DIR}), resolved against the file's folder; without it,
     * for a file, {@code $XDG_STATE_HOME/aegis/<file name>-<hash of its path>} (or {@code ~/.local/state/aegis/...})}
     * Empty for configuration text without {@code global.stateDir}: the engine then uses a private temporary directory.
     */
    public Optional<Path> stateDir() {
        return stateDir;
    }

    /**
     * {@return {@code global.maxConcurrentBlockingChecks}: how many checks that block a thread (scripts) may run at
     * once across all services, default 16; a tick that finds them all running is skipped and counted}
     */
    public int maxConcurrentBlockingChecks() {
        return loaded.maxConcurrentBlockingChecks();
    }

    /**
     * {@return {@code global.maxInFlightChecks} (or {@code AEGIS_MAX_IN_FLIGHT_CHECKS}): how many checks of one checker
     * type may be in flight at once, default 4096 (or half the process' file descriptor limit when that is lower), 0
     * for no cap; a tick that finds the cap reached waits in line, and the ticks that come meanwhile are skipped and
     * counted ({@code aegis_health_checks_skipped_total{reason="overload"}})}
     */
    public int maxInFlightChecks() {
        return loaded.maxInFlightChecks();
    }

    /**
     * {@return {@code global.recovery.maxConcurrent}: how many recovery actions may run at once across all services,
     * default 10; the others wait in the order their services failed}
     */
    public int maxConcurrentRecoveries() {
        return loaded.maxConcurrentRecoveries();
    }

    /** {@return the services, in file order; a service with a missing name, type or endpoint is left out} */
    public List<ServiceDefinition> services() {
        return loaded.services();
    }

    /** {@return the {@code notifications:} block; empty when absent} */
    public Settings notifications() {
        return loaded.notifications();
    }

    /**
     * {@return the {@code alerting:} block (routes, grouping, silences, inhibition rules, threshold rules); empty when
     * absent} The engine checks it when it is built.
     */
    public Settings alerting() {
        return loaded.alerting();
    }

    /** {@return the {@code logs:} block; empty when absent} */
    public Settings logs() {
        return loaded.logs();
    }

    /** The {@code logs:} block as the engine follows it (its service names are checked when the engine is built). */
    io.aegis.core.internal.logs.LogsConfig logsConfig() {
        return loaded.logsConfig();
    }

    /** The {@code anomaly_detection:} block as the engine uses it. */
    io.aegis.core.internal.anomaly.AnomalyConfig anomalyConfig() {
        return loaded.anomalyConfig();
    }

    /** {@return the {@code anomaly_detection:} block; empty when absent} */
    public Settings anomalyDetection() {
        return loaded.anomalyDetection();
    }

    /**
     * {@return {@code global.api}: the HTTP API of a running aegis; {@link HttpApiConfig#DISABLED} without the block}
     */
    public HttpApiConfig api() {
        return loaded.api();
    }

    /**
     * {@return {@code text} with every value that came from the environment through {@code ${VAR}} and every URL
     * credential masked as {@code ***}: what the engine does to everything it shows} For an embedding application's own
     * output, and for a log backend that should mask what plugins log themselves (the {@code aegis} command filters its
     * stderr through it).
     *
     * @param text any text the engine or the application shows
     */
    public String redact(String text) {
        return loaded.report().redactor().redact(text);
    }

    /**
     * {@return the configuration file's text, for showing it: every value of a key named like a secret ({@code token},
     * {@code password}, {@code secret}, {@code apiKey} and keys containing them), every URL credential, every default
     * of a {@code ${VAR:-default}} and every value that came from the environment masked as {@code ***}} A {@code
     * ${VAR}} reference itself is shown: it names the variable, not its value.
     */
    public String maskedText() {
        return redact(io.aegis.core.internal.config.SecretMasking.mask(text));
    }

    /** The file this configuration was read from; empty for parsed text. */
    Optional<Path> file() {
        return file;
    }

    /** The environment it was read with. */
    Map<String, String> environment() {
        return env;
    }

    /** A new report holding every problem the loader found; the engine adds the plugins' problems to it. */
    ConfigReport report() {
        return loaded.report().copy();
    }

    @Override
    public String toString() {
        return "AegisConfig{" + origin() + ", logLevel=" + logLevel() + ", metrics=" + (metricsEnabled() ? metricsPort()
                : "off") + ", services=" + services().stream().map(ServiceDefinition::name).toList() + "}";
    }
}
