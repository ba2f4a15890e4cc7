package io.aegis.core.internal.logs;

import io.aegis.api.ConfigProblem;
import io.aegis.api.LogSource;
import io.aegis.api.LogSourceFactory;
import io.aegis.api.LogSourceSpec;
import io.aegis.api.RecoveryAction;
import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.Settings;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.internal.Deadlines;
import io.aegis.core.internal.PluginRegistry;
import io.aegis.core.internal.ServiceMonitor;
import io.aegis.core.internal.config.ConfigReport;
import io.aegis.core.internal.config.KeySuggestions;
import io.aegis.core.internal.config.QuotedText;
import io.aegis.core.internal.recovery.Ladder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the {@code logs:} block into an engine being built: checks the services it names (against those of the file
 * and of code), creates each followed service's sources (a {@code files[]} entry through the {@link LogSourceFactory}
 * of its {@code type}; otherwise, or for an entry without {@code path}, the service runtime's
 * {@link RuntimeAdapter#logSource} or {@link RuntimeAdapter#logFiles()}), and the restart step of the services a
 * pattern with {@code action: restart} applies to. Every mistake goes to the report, with its key path.
 */
public final class LogAnalysisAssembly {
    private static final Logger log = LoggerFactory.getLogger(LogAnalysisAssembly.class);
    /** The recovery action {@code action: restart} runs. */
    private static final String RESTART = "restart";

    /** What the engine's assembly lends: plugin creation under its deadline, its unknown-key check. */
    public interface Plugins {
        /** Creates a plugin object on the plugin-call pool under the engine's deadline; null (reported) when it fails. */
        <T> T create(Supplier<T> create, String keyPath, String what);

        /** Reports the keys of {@code settings} nobody read. */
        void checkUnknownKeys(Settings settings);

        /** The restart step for {@code action: restart} of {@code service}. */
        void restartStep(String service, Ladder.Step step);
    }

    private final LogsConfig config;
    private final PluginRegistry registry;
    private final ConfigReport report;
    private final LogAnalyzer analyzer;
    private final Path stateRoot;
    private final boolean keepsState;
    private final Executor blockingExecutor;
    private final Plugins plugins;

    /**
     * @param stateRoot where sources remember their positions ({@code <stateDir>/logs}), one directory per service
     *     and source below it
     * @param keepsState whether the state directory outlives the engine (false for a temporary one: sources are then
     *     given none and start at the end each time)
     */
    public LogAnalysisAssembly(LogsConfig config, PluginRegistry registry, ConfigReport report, LogAnalyzer analyzer,
            Path stateRoot, boolean keepsState, Executor blockingExecutor, Plugins plugins) {
        this.config = config;
        this.registry = registry;
        this.report = report;
        this.analyzer = analyzer;
        this.stateRoot = stateRoot;
        this.keepsState = keepsState;
        this.blockingExecutor = blockingExecutor;
        this.plugins = plugins;
    }

    /** The same assembly reporting its problems to {@code other} (a service added to the running engine). */
    public LogAnalysisAssembly reportingTo(ConfigReport other) {
        return new LogAnalysisAssembly(config, registry, other, analyzer, stateRoot, keepsState, blockingExecutor,
                plugins);
    }

    /** The same assembly following services' logs as {@code other} says (a reload changed its {@code files}). */
    public LogAnalysisAssembly withConfig(LogsConfig other) {
        return new LogAnalysisAssembly(other, registry, report, analyzer, stateRoot, keepsState, blockingExecutor,
                plugins);
    }

    /** Checks and creates everything; {@code monitors} are the services that were created without a problem. */
    public void assemble(Map<String, ServiceDefinition> services, Map<String, ServiceMonitor> monitors) {
        for (LogsConfig.ServiceReference reference : config.serviceReferences()) {
            if (!services.containsKey(reference.name())) {
                String hint = KeySuggestions.closest(reference.name(), services.keySet())
                        .map(s -> "; did you mean \"" + s + "\"?")
                        .orElseGet(() -> services.isEmpty() ? " (no services are defined)"
                                : " (services: " + String.join(", ", services.keySet()) + ")");
                report.add(new ConfigProblem(reference.keyPath(), "no service named " + QuotedText.of(reference.name())
                        + hint));
            }
        }
        // A pattern with a mistake (reported already, so this engine never starts) still takes part in the checks
        // below, so that one run reports every mistake, not those below only once the pattern is fixed.
        List<LogsConfig.PatternEntry> all = new ArrayList<>(config.patterns());
        all.addAll(config.rejected());
        if (!config.enabled() || all.isEmpty()) {
            return;
        }
        List<String> nothingToFollow = new ArrayList<>();
        for (ServiceMonitor monitor : monitors.values()) {
            assembleService(monitor, all, nothingToFollow);
        }
        logNothingToFollow(nothingToFollow);
    }

    /**
     * As {@link #assemble} for one service added to the running engine (the service-set seam hot reload uses): its
     * sources start at once when the analyzer runs. Mistakes go to the report, as at the start.
     */
    public void assembleOne(ServiceMonitor monitor) {
        List<LogsConfig.PatternEntry> all = new ArrayList<>(config.patterns());
        if (!config.enabled() || all.isEmpty()) {
            return;
        }
        List<String> nothingToFollow = new ArrayList<>();
        assembleService(monitor, all, nothingToFollow);
        logNothingToFollow(nothingToFollow);
    }

    private void assembleService(ServiceMonitor monitor, List<LogsConfig.PatternEntry> all,
            List<String> nothingToFollow) {
        String service = monitor.name();
        List<LogsConfig.PatternEntry> patterns = all.stream().filter(p -> p.appliesTo(service)).toList();
        if (patterns.isEmpty()) {
            return; // nothing to look for: its log is not read at all
        }
        int problemsBefore = report.problems().size();
        int followed = follow(monitor, patterns);
        boolean hasFilesEntry = config.files().stream().anyMatch(file -> file.service().equals(service));
        // A runtime's log source that failed was reported with its reason: "no log to follow" would repeat it
        // wrongly (review L6).
        if (followed == 0 && !hasFilesEntry && report.problems().size() == problemsBefore) {
            // No files entry and no runtime output: a pattern that names it is a mistake; one meant for every
            // service just has nothing to read here (a remote service), which the start-up log says once.
            Optional<LogsConfig.ServiceReference> naming = config.serviceReferences().stream()
                    .filter(reference -> reference.name().equals(service)).findFirst();
            if (naming.isPresent()) {
                report.add(new ConfigProblem(naming.get().keyPath(), "service " + QuotedText.of(service)
                        + " has no log aegis can follow (" + (monitor.runtime().isEmpty() ? "it has no runtime:"
                        + " block" : "its runtime writes no log file") + "); add a files: entry for it with a"
                        + " path:, such as path: /var/log/" + service + "/*.log"));
            } else {
                nothingToFollow.add(service);
            }
        }
        // A service meant to be followed (a files entry, or a pattern naming it) whose sources failed (reported)
        // is checked too: action: restart on it needs a runtime all the same.
        boolean meant = hasFilesEntry || patterns.stream().anyMatch(p -> p.services().contains(service));
        if (followed > 0 || (meant && monitor.runtime().isEmpty())) {
            restartStep(monitor, patterns);
        }
    }

    private static void logNothingToFollow(List<String> services) {
        if (!services.isEmpty()) {
            log.info("logs: {} service(s) have no log to follow (no runtime output, no files: entry), so the patterns"
                    + " meant for every service do not look at them: {}", services.size(),
                    services.size() <= 10 ? String.join(", ", services)
                            : String.join(", ", services.subList(0, 10)) + ", ...");
        }
    }

    /** Creates the service's sources; returns how many. */
    private int follow(ServiceMonitor monitor, List<LogsConfig.PatternEntry> patterns) {
        String service = monitor.name();
        Optional<RuntimeAdapter> runtime = monitor.runtime();
        int followed = 0;
        List<LogsConfig.FileEntry> entries = config.files().stream().filter(file -> file.service().equals(service))
                .toList();
        boolean runtimeAsked = entries.isEmpty();
        for (LogsConfig.FileEntry entry : entries) {
            if (entry.type().equals(LogsConfig.FILE_TYPE) && !entry.hasPath()) {
                if (runtimeAsked) {
                    continue; // two entries without a path: the runtime's output once
                }
                runtimeAsked = true;
                int problemsBefore = report.problems().size();
                if (followRuntime(monitor, patterns)) {
                    followed++;
                } else if (report.problems().size() == problemsBefore) { // a failure said why already (review L6)
                    report.add(new ConfigProblem(entry.settings().keyPath("service"), "service " + QuotedText.of(service)
                            + " has no runtime whose output aegis can follow (" + (runtime.isEmpty() ? "it has no"
                            + " runtime: block" : "its runtime writes no log file") + "); add a path: to this entry,"
                            + " such as path: /var/log/" + service + "/*.log"));
                }
                continue;
            }
            Optional<LogSourceFactory> factory = registry.logSource(entry.type());
            String typeKey = entry.settings().has("type") ? entry.settings().keyPath("type")
                    : entry.settings().keyPath("path");
            if (factory.isEmpty()) {
                List<String> known = registry.logSourceTypes();
                report.add(new ConfigProblem(typeKey, "unknown log source type \"" + entry.type() + "\" ("
                        + (known.isEmpty() ? "none is installed" : "installed: " + String.join(", ", known)) + ")"
                        + KeySuggestions.closest(entry.type(), known).map(s -> "; did you mean \"" + s + "\"?")
                        .orElse("")));
                continue;
            }
            int index = config.files().indexOf(entry);
            LogSourceSpec spec = spec(service, entry.settings(), entry.fromBeginning(), "files-" + index);
            LogSource source = plugins.create(() -> factory.get().create(spec), typeKey, "log source " + entry.type());
            if (!entry.type().equals(LogsConfig.FILE_TYPE)) {
                plugins.checkUnknownKeys(entry.settings()); // the plugin has read its keys now
            }
            if (source != null) {
                analyzer.follow(service, patterns, entry.type() + " " + entry.settings().string("path",
                        entry.settings().path()), source);
                followed++;
            }
        }
        if (runtimeAsked && entries.isEmpty() && followRuntime(monitor, patterns)) {
            followed++;
        }
        return followed;
    }

    /** Follows the runtime's own output (its source, else its files); false when it has none. */
    private boolean followRuntime(ServiceMonitor monitor, List<LogsConfig.PatternEntry> patterns) {
        String service = monitor.name();
        if (monitor.runtime().isEmpty()) {
            return false;
        }
        RuntimeAdapter runtime = monitor.runtime().get();
        String keyPath = monitor.definition().runtimeSettings().map(s -> s.keyPath("type")).orElse("logs");
        LogSourceSpec spec = spec(service, Settings.empty("logs"), config.fromBeginning(), "runtime");
        Optional<LogSource> own = plugins.create(() -> runtime.logSource(spec), keyPath, "the log source of runtime "
                + monitor.definition().runtimeType().orElse("?"));
        if (own != null && own.isPresent()) {
            analyzer.follow(service, patterns, "of the " + monitor.definition().runtimeType().orElse("?") + " runtime",
                    own.get());
            return true;
        }
        List<Path> files;
        try {
            files = runtime.logFiles();
        } catch (RuntimeException e) {
            report.add(new ConfigProblem(keyPath, "could not ask runtime " + monitor.definition().runtimeType()
                    .orElse("?") + " for its log files: " + Deadlines.describe(e)));
            return false;
        }
        if (files == null || files.isEmpty()) {
            return false;
        }
        FileLogSourceFactory fileFactory = registry.logSource(LogsConfig.FILE_TYPE)
                .filter(FileLogSourceFactory.class::isInstance).map(FileLogSourceFactory.class::cast)
                .orElse(null);
        if (fileFactory == null) {
            report.add(new ConfigProblem(keyPath, "cannot follow the log files of service " + QuotedText.of(service)
                    + ": aegis' own file log source is not installed (another plugin claims type file)"));
            return false;
        }
        List<Path> paths = List.copyOf(files);
        analyzer.follow(service, patterns, "files " + paths, fileFactory.following(paths, spec));
        return true;
    }

    /** For {@code action: restart}: the service needs a runtime; its restart step is made now. */
    private void restartStep(ServiceMonitor monitor, List<LogsConfig.PatternEntry> patterns) {
        Optional<LogsConfig.PatternEntry> restarting = patterns.stream()
                .filter(p -> p.action() == LogsConfig.Action.RESTART).findFirst();
        if (restarting.isEmpty()) {
            return;
        }
        String keyPath = restarting.get().keyPath() + ".action";
        String service = monitor.name();
        if (monitor.runtime().isEmpty()) {
            report.add(new ConfigProblem(keyPath, "action: restart needs a runtime to restart, and service "
                    + QuotedText.of(service) + " has none; add a runtime: block to it, or use action: ladder"));
            return;
        }
        Optional<RecoveryActionFactory> factory = registry.action(RESTART);
        if (factory.isEmpty()) {
            report.add(new ConfigProblem(keyPath, "the restart action is not installed"));
            return;
        }
        RecoveryAction action = plugins.create(() -> factory.get().create(monitor.definition().actionSettings()),
                keyPath, "recovery action restart");
        if (action != null) {
            plugins.restartStep(service, new Ladder.Step(RESTART, action, Ladder.Kind.REPEAT));
        }
    }

    private LogSourceSpec spec(String service, Settings settings, boolean fromBeginning, String sourceId) {
        Optional<Path> directory = Optional.empty();
        if (keepsState) {
            Path path = stateRoot.resolve(service).resolve(sourceId);
            try {
                Files.createDirectories(path);
                directory = Optional.of(path);
            } catch (IOException e) {
                report.addWarning(new ConfigProblem("logs", "service \"" + service + "\": cannot create " + path
                        + " to remember how far its log was read (" + e.getMessage() + "); a restart of aegis will"
                        + " start at the end of its log again"));
            }
        }
        return new LogSourceSpec(service, settings, fromBeginning, config.maxLineLength(), config.scanInterval(),
                directory, blockingExecutor);
    }
}
