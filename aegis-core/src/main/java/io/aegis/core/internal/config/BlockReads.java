package io.aegis.core.internal.config;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Typed reads of a configuration block that report each problem (with its key path and what was expected) and go on
 * with a fallback, so one run reports every mistake: what the parsers of {@code logs:}, {@code anomaly_detection:}
 * and a service's signal sources share.
 */
public class BlockReads {
    /** Durations as the messages give them. */
    public static final String DURATIONS = "like 500ms, 5s, 1m or 1h";

    /** Where problems go. */
    protected final Consumer<ConfigProblem> problems;

    /** Reads reporting to {@code problems}. */
    public BlockReads(Consumer<ConfigProblem> problems) {
        this.problems = Objects.requireNonNull(problems, "problems");
    }

    /** {@code reader}'s value, or {@code fallback} once its problems are reported. */
    public <T> T read(Supplier<T> reader, T fallback) {
        try {
            return reader.get();
        } catch (ConfigException e) {
            e.problems().forEach(problems);
            return fallback;
        }
    }

    /** Reports that {@code key} of {@code settings} is not what was {@code expected}, quoting what it is. */
    public void problem(TrackingSettings settings, String key, String expected) {
        Object found = settings.raw(key).orElse(null);
        problems.accept(new ConfigProblem(settings.keyPath(key), expected + ", found " + Settings.describe(found)));
    }

    /** The duration at {@code key}, above zero; {@code fallback} when absent or wrong (reported). */
    public Duration positive(TrackingSettings settings, String key, Duration fallback) {
        return positive(settings, key).orElse(fallback);
    }

    /** The duration at {@code key}, above zero; empty when absent or wrong (reported). */
    public Optional<Duration> positive(TrackingSettings settings, String key) {
        Optional<Duration> value = read(() -> settings.duration(key), Optional.empty());
        if (value.isPresent() && (value.get().isZero() || value.get().isNegative())) {
            problem(settings, key, "expected a duration above zero " + DURATIONS);
            return Optional.empty();
        }
        return value;
    }

    /** The alert severity at {@code key} ({@code INFO}, {@code WARNING}, {@code CRITICAL}, any case); else the fallback. */
    public io.aegis.api.Severity severity(TrackingSettings settings, String key, io.aegis.api.Severity fallback) {
        Optional<String> text = read(() -> settings.string(key), Optional.empty());
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            return io.aegis.api.Severity.valueOf(text.get().trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            problem(settings, key, "expected one of INFO, WARNING, CRITICAL");
            return fallback;
        }
    }

    /**
     * The key used for one setting with two spellings (the seed's snake_case and our camelCase): {@code preferred}
     * unless only {@code other} is present; both present is a problem.
     */
    public String alias(TrackingSettings settings, String preferred, String other) {
        boolean hasPreferred = settings.has(preferred);
        boolean hasOther = settings.has(other);
        if (hasPreferred && hasOther) {
            problem(settings, other, "expected only one of " + preferred + " and " + other + " (two spellings of"
                    + " the same setting)");
        }
        return hasOther && !hasPreferred ? other : preferred;
    }
}
