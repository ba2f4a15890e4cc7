package io.aegis.core.internal.config;

import io.aegis.api.ConfigProblem;
import io.aegis.core.InvalidConfigurationException;
import io.aegis.core.internal.Redactor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every problem found in one configuration — by the loader and then by the engine and its plugins — so they
 * can be reported together, each as one line that says where it is:
 *
 * <pre>
 * aegis.yaml:7:15: services[0].interval: expected a duration like 500ms, 5s, 1m or 1h, found "5 seconds"
 * environment: AEGIS_SERVICE_API_INTERVAL: expected a duration like 500ms, 5s, 1m or 1h, found "abc"
 * services[api].runtime.command: missing: expected the command to run    (a service built in code)
 * </pre>
 *
 * <p>A problem whose key path is not in the file (a missing key) points at the nearest parent that is. A
 * problem whose key path holds a value set by an environment variable names the variable instead. Lines come
 * out environment first, then by position in the file, then the rest in the order they were added; the same
 * problem added twice is reported once.
 *
 * <p>Every line goes through the report's {@link Redactor}: a value that came from {@code ${VAR}} or a URL
 * credential is masked, whoever wrote the message (the loader, the engine or a plugin).
 *
 * <p>Warnings are kept apart, in the same format: settings that are valid but probably not what was meant. They
 * never make the configuration invalid.
 */
public final class ConfigReport {
    private final String origin;
    private final SourceLocator locator;
    private final Map<String, String> environmentSources;
    private final Redactor redactor;
    private final Set<Entry> entries = new LinkedHashSet<>();
    private final Set<Entry> warnings = new LinkedHashSet<>();

    private record Entry(ConfigProblem problem, boolean fromEnvironment) {
    }

    /** A report for a configuration built in code: problems are reported by key path only. */
    public ConfigReport() {
        this("", SourceLocator.none(), Map.of());
    }

    /**
     * A report for a file.
     *
     * @param origin the file name to print
     * @param locator where each key path is in the file
     * @param environmentSources key path → name of the environment variable that set its value
     */
    public ConfigReport(String origin, SourceLocator locator, Map<String, String> environmentSources) {
        this(origin, locator, environmentSources, Redactor.urlCredentialsOnly());
    }

    /**
     * A report for a file whose lines are redacted by {@code redactor}.
     *
     * @param redactor masks the values that came from the environment, and URL credentials
     */
    public ConfigReport(String origin, SourceLocator locator, Map<String, String> environmentSources,
            Redactor redactor) {
        this.origin = origin;
        this.locator = locator;
        this.environmentSources = Map.copyOf(environmentSources);
        this.redactor = redactor;
    }

    /** What masks secrets in this configuration's messages; the engine applies it to what plugins report. */
    public Redactor redactor() {
        return redactor;
    }

    /** A new report with the same file, positions and problems; adding to one does not change the other. */
    public synchronized ConfigReport copy() {
        ConfigReport copy = new ConfigReport(origin, locator, environmentSources, redactor);
        copy.entries.addAll(entries);
        copy.warnings.addAll(warnings);
        return copy;
    }

    /** A new report with the same file and positions and no problems or warnings yet. */
    public ConfigReport emptyCopy() {
        return new ConfigReport(origin, locator, environmentSources, redactor);
    }

    /** Adds a problem with a key path such as {@code services[0].timeout}. */
    public synchronized ConfigReport add(ConfigProblem problem) {
        entries.add(new Entry(problem, false));
        return this;
    }

    /** Adds problems with key paths. */
    public synchronized ConfigReport addAll(Collection<ConfigProblem> problems) {
        problems.forEach(this::add);
        return this;
    }

    /** Adds a problem with an environment variable itself, such as one naming no service. */
    public synchronized ConfigReport addEnvironmentProblem(String variable, String message) {
        entries.add(new Entry(new ConfigProblem(variable, message), true));
        return this;
    }

    /** Adds a warning with a key path: something valid that will not do what it seems to. */
    public synchronized ConfigReport addWarning(ConfigProblem warning) {
        warnings.add(new Entry(warning, false));
        return this;
    }

    /** One formatted line per warning, ordered like {@link #lines()}. */
    public synchronized List<String> warningLines() {
        return format(warnings);
    }

    /** Whether any problem was added. */
    public synchronized boolean hasProblems() {
        return !entries.isEmpty();
    }

    /**
     * The problems as added (environment problems carry the variable's name as key path). Not redacted: for the
     * engine's bookkeeping; what is shown to a person comes from {@link #lines()}.
     */
    public synchronized List<ConfigProblem> problems() {
        return entries.stream().map(Entry::problem).toList();
    }

    /** One formatted line per problem, environment first, then by position in the file. */
    public synchronized List<String> lines() {
        return format(entries);
    }

    private List<String> format(Set<Entry> entries) {
        List<Line> lines = new ArrayList<>();
        int order = 0;
        for (Entry entry : entries) {
            lines.add(format(entry, order++));
        }
        lines.sort(Comparator.comparingInt(Line::group)
                .thenComparing(Line::position, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparingInt(Line::order));
        return lines.stream().map(line -> redactor.redact(line.text())).toList();
    }

    /** Throws an {@link InvalidConfigurationException} with every line when there is any problem. */
    public void throwIfProblems() {
        List<String> lines = lines();
        if (!lines.isEmpty()) {
            throw new InvalidConfigurationException(lines);
        }
    }

    private record Line(int group, SourceLocator.Position position, int order, String text) {
    }

    private Line format(Entry entry, int order) {
        ConfigProblem problem = entry.problem();
        String variable = entry.fromEnvironment() ? problem.keyPath() : environmentSources.get(problem.keyPath());
        if (variable != null) {
            return new Line(0, null, order, "environment: " + variable + ": " + problem.message());
        }
        String pathAndMessage = problem.keyPath().isEmpty() ? problem.message() : problem.toString();
        Optional<SourceLocator.Position> position = locator.locate(problem);
        if (position.isPresent()) {
            return new Line(1, position.get(), order, origin + ":" + position.get() + ": " + pathAndMessage);
        }
        boolean aboutTheWholeFile = problem.keyPath().isEmpty() && !origin.isEmpty();
        return new Line(2, null, order, aboutTheWholeFile ? origin + ": " + pathAndMessage : pathAndMessage);
    }

    @Override
    public synchronized String toString() {
        return "ConfigReport" + lines();
    }
}
