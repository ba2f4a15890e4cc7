package io.aegis.core;

import io.aegis.api.Settings;
import io.aegis.core.internal.config.TrackingSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What a hot reload changes: the file's services matched by name and compared by their whole block (with their part
 * in {@code logs.files} and {@code anomaly_detection.thresholds} when those blocks are otherwise unchanged), and a
 * sentence for each change that takes effect only when aegis restarts.
 */
final class ConfigDiff {
    private static final String RESTART = ": it takes effect when aegis restarts";

    private final List<String> added = new ArrayList<>();
    private final List<String> removed = new ArrayList<>();
    private final List<String> changed = new ArrayList<>();
    private final List<String> unchanged = new ArrayList<>();
    private final Set<String> runtimeChanged = new LinkedHashSet<>();
    private final List<String> notApplied = new ArrayList<>();
    private boolean logsApplied;
    private boolean anomaliesApplied;

    private ConfigDiff() {
    }

    /**
     * Compares {@code previous} (the configuration in force; null for an engine built from services alone) with
     * {@code next}; {@code inCode} are the services defined in code, always left alone. What a reload does not apply
     * (global:, notifications:, alerting:, the rest of logs: and anomaly_detection:) is compared with
     * {@code started}, the configuration the engine started with, since that is what runs: a change a reload could
     * not apply is still reported by the next reload, and one undone is no longer reported.
     */
    static ConfigDiff between(AegisConfig previous, AegisConfig started, AegisConfig next,
            List<ServiceDefinition> inCode) {
        ConfigDiff diff = new ConfigDiff();
        diff.compare(previous, started != null ? started : previous, next, inCode);
        return diff;
    }

    private void compare(AegisConfig previous, AegisConfig started, AegisConfig next, List<ServiceDefinition> inCode) {
        Map<String, ServiceDefinition> before = new LinkedHashMap<>();
        if (previous != null) {
            previous.services().forEach(service -> before.put(service.name(), service));
        }
        if (started != null) {
            global(started, next);
        }
        logsApplied = sameWithout(values(started, AegisConfig::logs), values(next, AegisConfig::logs), "files");
        anomaliesApplied = sameWithout(values(started, AegisConfig::anomalyDetection),
                values(next, AegisConfig::anomalyDetection), "thresholds");
        block("notifications", values(started, AegisConfig::notifications), values(next, AegisConfig::notifications));
        block("alerting", values(started, AegisConfig::alerting), values(next, AegisConfig::alerting));
        if (!logsApplied) {
            notApplied.add("logs: changed (more than a service's files: entries)" + RESTART);
        }
        if (!anomaliesApplied) {
            notApplied.add("anomaly_detection: changed (more than a service's thresholds:)" + RESTART);
        }
        Set<String> seen = new LinkedHashSet<>();
        for (ServiceDefinition service : next.services()) {
            String name = service.name();
            seen.add(name);
            ServiceDefinition old = before.get(name);
            if (old == null) {
                added.add(name);
                if (!service.dependsOn().isEmpty()) {
                    notApplied.add("services." + name + ".dependsOn of a service added by a reload: its start order"
                            + " and the holding back of its recovery while a dependency is down" + RESTART);
                }
            } else if (sameService(previous, old, next, service)) {
                unchanged.add(name);
            } else {
                changed.add(name);
                if (!Objects.equals(block(old.runtimeSettings()), block(service.runtimeSettings()))) {
                    runtimeChanged.add(name);
                }
                if (!old.dependsOn().equals(service.dependsOn())) {
                    notApplied.add("services." + name + ".dependsOn changed from " + old.dependsOn() + " to "
                            + service.dependsOn() + RESTART);
                }
            }
        }
        before.keySet().stream().filter(name -> !seen.contains(name)).forEach(removed::add);
        inCode.forEach(service -> unchanged.add(service.name()));
    }

    private boolean sameService(AegisConfig previous, ServiceDefinition old, AegisConfig next,
            ServiceDefinition service) {
        if (!Objects.equals(block(Optional.of(old.settings())), block(Optional.of(service.settings())))) {
            return false;
        }
        String name = service.name();
        if (logsApplied && !logFiles(previous, name).equals(logFiles(next, name))) {
            return false;
        }
        return !anomaliesApplied || thresholds(previous, name).equals(thresholds(next, name));
    }

    private static List<Object> logFiles(AegisConfig config, String service) {
        return config.logsConfig().files().stream().filter(file -> file.service().equals(service))
                .map(file -> (Object) file.settings().values()).toList();
    }

    private static List<Object> thresholds(AegisConfig config, String service) {
        return config.anomalyConfig().thresholds().stream().filter(t -> t.service().equals(service))
                .map(t -> (Object) List.of(t.signal(), t.value())).toList();
    }

    private void global(AegisConfig previous, AegisConfig next) {
        global("logLevel", previous.logLevel(), next.logLevel());
        global("metricsEnabled", previous.metricsEnabled(), next.metricsEnabled());
        global("metricsHost", previous.metricsHost(), next.metricsHost());
        global("metricsPort", previous.metricsPort(), next.metricsPort());
        global("stateDir", previous.stateDir().map(Object::toString).orElse("(none)"),
                next.stateDir().map(Object::toString).orElse("(none)"));
        global("maxConcurrentBlockingChecks", previous.maxConcurrentBlockingChecks(),
                next.maxConcurrentBlockingChecks());
        global("maxInFlightChecks", previous.maxInFlightChecks(), next.maxInFlightChecks());
        global("recovery.maxConcurrent", previous.maxConcurrentRecoveries(), next.maxConcurrentRecoveries());
        if (!previous.api().equals(next.api())) {
            // said without values: the token is among them
            notApplied.add("global.api changed (enabled, host, port or token): the API keeps listening as it started"
                    + " until aegis restarts");
        }
    }

    private void global(String key, Object before, Object after) {
        if (!before.equals(after)) {
            notApplied.add("global." + key + " changed from " + before + " to " + after + RESTART);
        }
    }

    private void block(String key, Map<String, Object> before, Map<String, Object> after) {
        if (!before.equals(after)) {
            notApplied.add(key + ": changed" + RESTART);
        }
    }

    private static Map<String, Object> values(AegisConfig config, Function<AegisConfig, Settings> block) {
        return config == null ? Map.of() : block(Optional.of(block.apply(config)));
    }

    /** A block's values as YAML gave them; a block built in code (no tracked values) by its keys and raw values. */
    private static Map<String, Object> block(Optional<Settings> settings) {
        if (settings.isEmpty()) {
            return Map.of();
        }
        if (settings.get() instanceof TrackingSettings tracked) {
            return tracked.values();
        }
        Map<String, Object> values = new LinkedHashMap<>();
        settings.get().keys().forEach(key -> values.put(key, settings.get().raw(key).orElse(null)));
        return values;
    }

    private static boolean sameWithout(Map<String, Object> before, Map<String, Object> after, String key) {
        Map<String, Object> a = new LinkedHashMap<>(before);
        Map<String, Object> b = new LinkedHashMap<>(after);
        a.remove(key);
        b.remove(key);
        return a.equals(b);
    }

    List<String> added() {
        return added;
    }

    List<String> removed() {
        return removed;
    }

    List<String> changed() {
        return changed;
    }

    List<String> unchanged() {
        return unchanged;
    }

    List<String> notApplied() {
        return notApplied;
    }

    /** The added and the changed services, in file order. */
    List<String> addedAndChanged() {
        List<String> all = new ArrayList<>(added);
        all.addAll(changed);
        return all;
    }

    /** Whether the changed service {@code name}'s runtime block changed (its workload is restarted). */
    boolean runtimeChanged(String name) {
        return runtimeChanged.contains(name);
    }

    /** Whether the new {@code logs:} block is used: it differs from the old at most in its {@code files}. */
    boolean logsApplied() {
        return logsApplied;
    }

    /** Whether the new {@code anomaly_detection:} is used: it differs from the old at most in its thresholds. */
    boolean anomaliesApplied() {
        return anomaliesApplied;
    }
}
