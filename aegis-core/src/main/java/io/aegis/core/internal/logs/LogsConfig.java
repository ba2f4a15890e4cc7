package io.aegis.core.internal.logs;

import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import io.aegis.api.Severity;
import io.aegis.core.internal.config.TrackingSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code logs:} block, read and checked: the seed's keys ({@code enabled}, {@code scan_interval}, {@code files[]
 * {service, path}}, {@code patterns[] {name, pattern, severity, description}}) and ours. Immutable.
 *
 * <p>Parsing collects every problem and goes on with the default, as the rest of the loader does. Which services the
 * block names is checked when the engine is built ({@link #serviceReferences()}), against the services of the file
 * and those defined in code alike.
 *
 * @param enabled whether logs are followed at all; true when the block is present and does not say {@code false}
 * @param scanInterval how often sources that are not told of new data look for it
 * @param fromBeginning whether sources start at the beginning of what exists at the first start (default: the end)
 * @param maxLineLength the longest line matched whole, in bytes
 * @param resolveAfter the default quiet period after which a log alert resolves
 * @param files the {@code files[]} entries, in order
 * @param patterns the {@code patterns[]} entries, in order
 * @param rejected the {@code patterns[]} entries with a mistake (reported already): never matched, but kept, with a
 *     stand-in for what was wrong, for the checks the engine makes once it knows the services (the services they
 *     name, {@code action: restart} on a service without a runtime, the sources of the services they apply to), so
 *     that one run reports every mistake
 */
public record LogsConfig(boolean enabled, Duration scanInterval, boolean fromBeginning, int maxLineLength,
        Duration resolveAfter, List<FileEntry> files, List<PatternEntry> patterns, List<PatternEntry> rejected) {
    /** Default of {@code logs.scan_interval}. */
    public static final Duration DEFAULT_SCAN_INTERVAL = Duration.ofSeconds(1);
    /** Default of {@code logs.maxLineLength}: 64 KiB. */
    public static final int DEFAULT_MAX_LINE_LENGTH = 64 * 1024;
    /** The largest {@code logs.maxLineLength}: 16 MiB (a line is held in memory whole). */
    public static final int MAX_MAX_LINE_LENGTH = 16 * 1024 * 1024;
    /** Default of {@code logs.resolveAfter}. */
    public static final Duration DEFAULT_RESOLVE_AFTER = Duration.ofMinutes(5);
    /** Default of a threshold's {@code within} when only {@code count} is given. */
    public static final Duration DEFAULT_WITHIN = Duration.ofMinutes(1);
    /** Default severity of a pattern. */
    public static final Severity DEFAULT_SEVERITY = Severity.WARNING;
    /** The type of a {@code files[]} entry without {@code type}. */
    public static final String FILE_TYPE = "file";

    /** The stand-in regular expression of a rejected pattern. */
    private static final String NEVER_MATCHES = "(?!)";

    /** Validates the values. */
    public LogsConfig {
        Objects.requireNonNull(scanInterval, "scanInterval");
        Objects.requireNonNull(resolveAfter, "resolveAfter");
        files = List.copyOf(files);
        patterns = List.copyOf(patterns);
        rejected = List.copyOf(rejected);
    }

    /** No {@code logs:} block: nothing is followed. */
    public static LogsConfig none() {
        return new LogsConfig(false, DEFAULT_SCAN_INTERVAL, false, DEFAULT_MAX_LINE_LENGTH, DEFAULT_RESOLVE_AFTER,
                List.of(), List.of(), List.of());
    }

    /** What a pattern makes the engine do besides its event and alert. */
    public enum Action {
        /** Nothing more. */
        NONE,
        /** Restart the workload, with the backoff and budget of the service's recovery. */
        RESTART,
        /** Start the service's recovery ladder ({@code actions.onFailure}), as a failed check would. */
        LADDER
    }

    /**
     * One {@code files[]} entry.
     *
     * @param service the service it belongs to
     * @param type the log source type ({@code file} when omitted)
     * @param settings the entry itself, for the source's factory ({@code path} for {@code file})
     * @param fromBeginning the entry's own {@code fromBeginning}, else the block's
     * @param hasPath whether it names a {@code path}; without one, the service's runtime's own output is followed
     */
    public record FileEntry(String service, String type, TrackingSettings settings, boolean fromBeginning,
            boolean hasPath) {
    }

    /**
     * One {@code patterns[]} entry.
     *
     * @param name unique; the alert's name
     * @param regex a Java regular expression
     * @param severity the alert's severity
     * @param description the alert's description
     * @param count how many matches within {@code within} make one event (1: every match)
     * @param within the threshold's window
     * @param services the services it applies to; empty for every service whose log is followed
     * @param action what it makes the engine do
     * @param resolveAfter the quiet period after which its alert resolves
     * @param keyPath where it is in the configuration, for messages
     */
    public record PatternEntry(String name, String regex, Severity severity, String description, int count,
            Duration within, List<String> services, Action action, Duration resolveAfter, String keyPath) {
        /** Validates the values. */
        public PatternEntry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(regex, "regex");
            Objects.requireNonNull(severity, "severity");
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(within, "within");
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(resolveAfter, "resolveAfter");
            services = List.copyOf(services);
            if (count < 1) {
                throw new IllegalArgumentException("count must be at least 1, got " + count);
            }
        }

        /** Whether the pattern looks at {@code service}'s log. */
        public boolean appliesTo(String service) {
            return services.isEmpty() || services.contains(service);
        }
    }

    /**
     * Reads an action key ({@code logs.patterns[].action}, {@code anomaly_detection.action}): {@code restart} or
     * {@code ladder}, and {@code none} too when {@code none} says what it means there (else it is no choice);
     * {@link Action#NONE} when absent or wrong (reported through {@code reads}).
     */
    public static Action readAction(io.aegis.core.internal.config.BlockReads reads, TrackingSettings settings,
            String key, String none) {
        Optional<String> value = reads.read(() -> settings.string(key), Optional.empty());
        if (value.isEmpty()) {
            return Action.NONE;
        }
        String text = value.get().trim().toLowerCase(Locale.ROOT);
        if (text.equals("restart")) {
            return Action.RESTART;
        }
        if (text.equals("ladder")) {
            return Action.LADDER;
        }
        if (none == null || !text.equals("none")) {
            reads.problem(settings, key, "expected " + (none == null ? "" : "none (" + none + "), ") + "restart"
                    + " (restart the workload, with the backoff and budget of its recovery) or ladder (start the"
                    + " service's actions.onFailure ladder, as a failed check would)");
        }
        return Action.NONE;
    }

    /** A service name the block refers to, with where, for the engine to check once it knows every service. */
    public record ServiceReference(String name, String keyPath) {
    }

    /** Every service name the block refers to ({@code files[].service}, {@code patterns[].services[]}). */
    public List<ServiceReference> serviceReferences() {
        List<ServiceReference> references = new ArrayList<>();
        files.forEach(file -> references.add(new ServiceReference(file.service(), file.settings().keyPath("service"))));
        List<PatternEntry> named = new ArrayList<>(patterns);
        named.addAll(rejected);
        for (PatternEntry pattern : named) {
            for (int i = 0; i < pattern.services().size(); i++) {
                references.add(new ServiceReference(pattern.services().get(i), pattern.keyPath() + ".services"
                        + (pattern.services().size() > 1 ? "[" + i + "]" : "")));
            }
        }
        return references;
    }

    /** Reads the {@code logs:} block (empty when absent), reporting every problem to {@code problems}. */
    public static LogsConfig parse(TrackingSettings logs, Consumer<ConfigProblem> problems) {
        return new Parser(problems).parse(logs);
    }

    /**
     * Parses a size such as {@code 65536}, {@code 64KB}, {@code 64KiB} or {@code 1MB} (KB and MB are 1024-based, as
     * in most log tools' settings); empty when {@code text} is not one.
     */
    static Optional<Long> parseSize(String text) {
        String value = text.trim().toUpperCase(Locale.ROOT).replace(" ", "");
        long unit = 1;
        String[][] units = {{"KIB", "1024"}, {"MIB", "1048576"}, {"KB", "1024"}, {"MB", "1048576"}, {"K", "1024"},
                {"M", "1048576"}, {"B", "1"}};
        for (String[] candidate : units) {
            if (value.endsWith(candidate[0])) {
                unit = Long.parseLong(candidate[1]);
                value = value.substring(0, value.length() - candidate[0].length());
                break;
            }
        }
        if (value.isEmpty() || value.length() > 12 || !value.chars().allMatch(Character::isDigit)) {
            return Optional.empty();
        }
        return Optional.of(Long.parseLong(value) * unit);
    }

    private static final class Parser extends io.aegis.core.internal.config.BlockReads {
        Parser(Consumer<ConfigProblem> problems) {
            super(problems);
        }

        LogsConfig parse(TrackingSettings logs) {
            boolean present = !logs.keys().isEmpty();
            boolean enabled = read(() -> logs.bool("enabled", present), present);
            // the seed's snake_case, and camelCase as our other keys are spelt
            Duration scanInterval = positive(logs, alias(logs, "scan_interval", "scanInterval"), DEFAULT_SCAN_INTERVAL);
            boolean fromBeginning = read(() -> logs.bool("fromBeginning", false), false);
            int maxLineLength = maxLineLength(logs);
            Duration resolveAfter = positive(logs, "resolveAfter", DEFAULT_RESOLVE_AFTER);
            List<FileEntry> files = new ArrayList<>();
            for (TrackingSettings file : logs.trackedSections("files", problems)) {
                file(file, fromBeginning).ifPresent(files::add);
            }
            List<PatternEntry> patterns = new ArrayList<>();
            List<PatternEntry> rejected = new ArrayList<>();
            Set<String> names = new LinkedHashSet<>();
            for (TrackingSettings pattern : logs.trackedSections("patterns", problems)) {
                pattern(pattern, resolveAfter, names, rejected).ifPresent(patterns::add);
            }
            return new LogsConfig(enabled, scanInterval, fromBeginning, maxLineLength, resolveAfter, files, patterns,
                    rejected);
        }
        private int maxLineLength(TrackingSettings logs) {
            Optional<Object> raw = logs.raw("maxLineLength");
            if (raw.isEmpty()) {
                return DEFAULT_MAX_LINE_LENGTH;
            }
            Optional<Long> size = raw.get() instanceof Number number && number.longValue() == number.doubleValue()
                    ? Optional.of(number.longValue())
                    : raw.get() instanceof String text ? parseSize(text) : Optional.empty();
            if (size.isEmpty() || size.get() < 1 || size.get() > MAX_MAX_LINE_LENGTH) {
                problems.accept(new ConfigProblem(logs.keyPath("maxLineLength"), "expected a size from 1 byte to 16MB,"
                        + " such as 64KB, 1MB or 65536 (bytes), found " + Settings.describe(raw.get())));
                return DEFAULT_MAX_LINE_LENGTH;
            }
            return size.get().intValue();
        }

        private Optional<FileEntry> file(TrackingSettings file, boolean defaultFromBeginning) {
            String service = read(() -> file.requireString("service", "the name of a service defined under services"),
                    null);
            String type = read(() -> file.string("type", FILE_TYPE), FILE_TYPE).trim();
            boolean fromBeginning = read(() -> file.bool("fromBeginning", defaultFromBeginning), defaultFromBeginning);
            // path is known (has() asks for it); the file source's factory checks its value, once, in its own words
            boolean hasPath = file.has("path");
            if (!FILE_TYPE.equals(type)) {
                // another source type's keys are its factory's to read (and to report when unknown)
                file.allowAnyKeys();
            }
            if (service == null) {
                return Optional.empty();
            }
            return Optional.of(new FileEntry(service, type, file, fromBeginning, hasPath));
        }

        private Optional<PatternEntry> pattern(TrackingSettings pattern, Duration defaultResolveAfter,
                Set<String> names, List<PatternEntry> rejected) {
            boolean valid = true;
            String name = read(() -> pattern.requireString("name", "a name for the pattern"), null);
            if (name != null && !names.add(name)) {
                problems.accept(new ConfigProblem(pattern.keyPath("name"), "another pattern is already named \"" + name
                        + "\"; names must be unique"));
                valid = false;
            }
            String regex = read(() -> pattern.requireString("pattern", "a regular expression to look for"), null);
            if (regex != null) {
                try {
                    Pattern.compile(regex);
                } catch (PatternSyntaxException e) {
                    problems.accept(new ConfigProblem(pattern.keyPath("pattern"), "expected a regular expression, found"
                            + " \"" + regex + "\" (" + e.getDescription() + (e.getIndex() >= 0 ? " near index "
                            + e.getIndex() : "") + ")"));
                    valid = false;
                }
            }
            Severity severity = severity(pattern, "severity", DEFAULT_SEVERITY);
            String description = read(() -> pattern.string("description"), Optional.<String>empty())
                    .orElse(name == null ? "" : "a log line matched pattern " + name);
            int count = 1;
            Duration within = DEFAULT_WITHIN;
            Optional<TrackingSettings> threshold = read(() -> pattern.trackedSection("threshold"), Optional.empty());
            if (threshold.isPresent()) {
                Optional<Long> countValue = read(() -> threshold.get().integer("count"), Optional.empty());
                if (countValue.isEmpty() && !threshold.get().has("count")) {
                    problems.accept(new ConfigProblem(threshold.get().keyPath("count"), "missing: expected how many"
                            + " matches within the window make an alert, such as count: 5"));
                } else if (countValue.isPresent() && (countValue.get() < 1 || countValue.get() > 1_000_000)) {
                    problem(threshold.get(), "count", "expected a whole number from 1 to 1000000");
                } else if (countValue.isPresent()) {
                    count = countValue.get().intValue();
                }
                within = positive(threshold.get(), "within", DEFAULT_WITHIN);
            }
            List<String> services = read(() -> pattern.stringList("services"), List.<String>of());
            Action action = readAction(this, pattern, "action", null);
            Duration resolveAfter = positive(pattern, "resolveAfter", defaultResolveAfter);
            if (!valid || name == null || regex == null) {
                // reported already; the stand-ins (a pattern that never matches) let the engine's checks run too
                rejected.add(new PatternEntry(name == null ? pattern.path() : name, NEVER_MATCHES, severity,
                        description, count, within, services, action, resolveAfter, pattern.path()));
                return Optional.empty();
            }
            return Optional.of(new PatternEntry(name, regex, severity, description, count, within, services, action,
                    resolveAfter, pattern.path()));
        }

    }
}
