package io.aegis.core;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.aegis.api.CheckerSpec;
import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.Notifier;
import io.aegis.api.NotifierFactory;
import io.aegis.api.NotifierSpec;
import io.aegis.api.RecoveryAction;
import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadListener;
import io.aegis.api.WorkloadStatus;
import io.aegis.core.alerting.ActiveAlert;
import io.aegis.core.alerting.Matcher;
import io.aegis.core.alerting.Silence;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.BlockingChecks;
import io.aegis.core.internal.CheckLoad;
import io.aegis.core.internal.CheckMetrics;
import io.aegis.core.internal.Deadlines;
import io.aegis.core.internal.Dependencies;
import io.aegis.core.internal.DependencyAttribution;
import io.aegis.core.internal.EngineAccess;
import io.aegis.core.internal.EnginePools;
import io.aegis.core.internal.EventBus;
import io.aegis.core.internal.MonitorContext;
import io.aegis.core.internal.PluginRegistry;
import io.aegis.core.internal.RecoveryPermits;
import io.aegis.core.internal.RedactingPlugins;
import io.aegis.core.internal.Scheduler;
import io.aegis.core.internal.ServiceMonitor;
import io.aegis.core.internal.ServiceSet;
import io.aegis.core.internal.VirtualScheduler;
import io.aegis.core.internal.WorkInFlight;
import io.aegis.core.internal.alerting.rules.RuleEvaluator;
import io.aegis.core.internal.alerting.rules.RuleSet;
import io.aegis.core.internal.recovery.Ladder;
import io.aegis.core.internal.StateDirectory;
import io.aegis.core.internal.alerting.delivery.NotificationDelivery;
import io.aegis.core.internal.alerting.AlertLifecycle;
import io.aegis.core.internal.alerting.AlertStore;
import io.aegis.core.internal.alerting.AlertingConfig;
import io.aegis.core.internal.SkippedChecks;
import io.aegis.core.internal.config.ConfigReport;
import io.aegis.core.internal.config.KeySuggestions;
import io.aegis.core.internal.config.ServiceWarnings;
import io.aegis.core.internal.config.TrackingSettings;
import io.aegis.core.internal.metrics.EngineMetrics;
import io.aegis.core.internal.metrics.MetricsServer;
import io.aegis.core.internal.logs.LogAnalysisAssembly;
import io.aegis.core.internal.logs.LogAnalyzer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Aegis engine: supervises a set of services, checks their health, recovers them, publishes events
 * and serves Prometheus metrics.
 *
 * <pre>{@code
 * try (Engine engine = Engine.builder().config(Path.of("aegis.yaml")).build()) {
 *     engine.start();
 *     ...
 * }
 * }</pre>
 *
 * <p>{@link Builder#build()} loads the plugins, validates the whole configuration and reports every
 * mistake at once ({@link InvalidConfigurationException}); {@link #start()} starts the workloads, the checks
 * and the metrics server; {@link #close()} stops everything it started: checks, child processes (with their
 * grace period), threads and ports. Thread-safe.
 */
public final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    /**
     * The logger of configuration warnings ({@link #configurationWarnings()}), logged at WARN when the engine is
     * built; its own name so that a tool printing them itself (such as {@code aegis --validate}) can turn it off.
     */
    public static final String CONFIG_LOGGER = "io.aegis.config";
    /** How long a plugin factory's {@code create} may take while the engine is built. */
    static final Duration CREATE_DEADLINE = Duration.ofSeconds(30);
    /** How long closing the plugins may take at shutdown. */
    static final Duration CLOSE_DEADLINE = Duration.ofSeconds(10);
    /** How long stopping what earlier runs left for services no longer configured may hold up the start. */
    static final Duration LEFTOVER_DEADLINE = Duration.ofSeconds(60);

    static {
        // The test kit's way to run an engine on virtual time, kept out of the public API (see EngineAccess).
        EngineAccess.register((builder, scheduler, engineWork, pluginWork) -> builder.useVirtualTime(scheduler,
                engineWork, pluginWork));
    }

    private final ServiceSet monitors;
    private final RecoveryPermits recoveryPermits;
    /** dependsOn at work: holds dependents' recovery back while a dependency is down, and orders their start. */
    private final DependencyAttribution dependencies;
    /** Kept to create the plugins of a service added while the engine runs. */
    private final Assembly assembly;
    private final PluginRegistry plugins;
    private final EventBus bus;
    private final NotificationDelivery notificationDelivery;
    private final AlertLifecycle alertLifecycle;
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService workers;
    private final EnginePools pools;
    private final ExecutorService pluginCalls;
    private final PrometheusRegistry metricsRegistry;
    private final EngineMetrics metrics;
    private final StateDirectory stateDirectory;
    private final boolean metricsEnabled;
    private final String metricsHost;
    private final int requestedMetricsPort;
    private final List<String> configurationWarnings;
    /** Built {@link Builder#forValidation()}: never started. */
    private final boolean validationOnly;
    private final Object lifecycle = new Object();
    /** Held through a whole reload: one at a time. */
    private final Object reloads = new Object();
    /** The configuration in force: the one built from, then the last reloaded; null for services alone. */
    private volatile AegisConfig configuration;
    private volatile MetricsServer metricsServer;
    private boolean started;
    private boolean closed;

    private Engine(Assembly assembly) {
        this.monitors = new ServiceSet();
        assembly.monitors.forEach(monitors::add);
        this.dependencies = new DependencyAttribution(assembly.dependencies, monitors::get, assembly.definitions,
                assembly.context.scheduler(), assembly.builder.clock);
        if (assembly.definitions.stream().allMatch(service -> service.dependsOn().isEmpty())) {
            // Without dependencies it never uses a check's event: none is built per check for it.
            assembly.bus.subscribeLossless("Dependencies", ServiceEvent.class, CheckCompleted.class,
                    dependencies::onEvent);
        } else {
            assembly.bus.subscribeLossless("Dependencies", ServiceEvent.class, dependencies::onEvent);
        }
        monitors.forEach(dependencies::attach);
        this.recoveryPermits = assembly.recoveryPermits;
        this.plugins = assembly.plugins;
        this.bus = assembly.bus;
        this.notificationDelivery = assembly.notificationDelivery;
        this.alertLifecycle = assembly.alertLifecycle;
        this.timer = assembly.timer;
        this.workers = assembly.workers;
        this.pools = assembly.pools;
        this.pluginCalls = assembly.pluginCalls;
        this.metricsRegistry = assembly.metricsRegistry;
        this.metrics = assembly.metrics;
        this.stateDirectory = assembly.stateDirectory;
        this.metricsEnabled = assembly.metricsEnabled;
        this.metricsHost = assembly.metricsHost;
        this.requestedMetricsPort = assembly.metricsPort;
        this.configurationWarnings = assembly.report.warningLines();
        this.validationOnly = assembly.builder.validationOnly;
        this.assembly = assembly;
        this.configuration = assembly.builder.config;
    }

    /**
     * Starts building an engine.
     *
     * @return a builder with nothing set
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@return settings that are valid but will probably not do what they seem to, one line each in the format of
     * configuration errors ({@code aegis.yaml:7:14: services[0].timeout: timeout 5s is not shorter than interval 5s:
     * ...}); also logged at WARN by logger {@link #CONFIG_LOGGER} when the engine is built}
     */
    public List<String> configurationWarnings() {
        return configurationWarnings;
    }

    /**
     * Starts the metrics server, the workloads and the checks. Returns at once; workloads start in the
     * background, a service with {@code dependsOn} once its dependencies have passed their first check.
     *
     * @return this engine
     * @throws EngineStartException when the metrics port cannot be bound, or another engine uses the same state
     *     directory (nothing is left running)
     * @throws IllegalStateException when already started or closed
     */
    public Engine start() {
        synchronized (lifecycle) {
            if (closed || started) {
                throw new IllegalStateException(closed ? "the engine is closed" : "the engine is already started");
            }
            if (validationOnly) {
                throw new IllegalStateException("an engine built forValidation() cannot be started");
            }
            try {
                // Before anything runs: two engines replacing each other's processes would be a restart storm.
                stateDirectory.lock();
            } catch (IllegalStateException e) {
                throw new EngineStartException(e.getMessage(), e);
            }
            stopLeftoversOfFormerServices();
            if (metricsEnabled) {
                try {
                    metricsServer = MetricsServer.start(metricsHost, requestedMetricsPort, metricsRegistry);
                } catch (RuntimeException e) {
                    stateDirectory.close();
                    throw new EngineStartException(e.getMessage(), e);
                }
                log.info("serving metrics on http://{}:{}/metrics", metricsHost, metricsServer.port());
            }
            notificationDelivery.start(); // what an earlier run left in the spool goes out before any new alert
            started = true;
            alertLifecycle.start();
            // Alerts kept by the last run for services no longer configured: nothing would ever resolve them.
            assembly.context.alerts().resolveServicesOtherThan(monitors.names());
            log.info("supervising {} service(s)", monitors.size());
            // About a thousand first checks per second: instant for a few services, no herd for thousands.
            Duration firstCheckSpread = Duration.ofMillis(monitors.size());
            // Compose's service_healthy: a dependent's workload and checks start once its dependencies have passed
            // a check (or, bounded, when they take too long; see DependencyAttribution).
            monitors.forEach(monitor -> monitor.start(firstCheckSpread, dependencies.startGate(monitor.name())));
            // Restored log-pattern alerts are taken over before the rules' start resolves every restored standing
            // alert no one raises any more; the sources start after it (a new log alert is standing too).
            assembly.logs.adoptRestoredAlerts();
            if (assembly.anomalies != null) {
                assembly.anomalies.adoptRestoredAlerts();
            }
            assembly.rules.start();
            assembly.logs.start();
            if (assembly.anomalies != null) {
                assembly.anomalies.start();
            }
            return this;
        }
    }

    /**
     * Has every runtime stop what an earlier engine on this state directory started for services no longer
     * configured (renamed or removed): nothing would ever stop them otherwise. Bounded: a runtime that hangs
     * here delays the start by {@link #LEFTOVER_DEADLINE} at most.
     */
    private void stopLeftoversOfFormerServices() {
        List<Path> former = stateDirectory.formerServiceDirectories(monitors.stream().map(ServiceMonitor::name)
                .toList());
        if (former.isEmpty()) {
            return;
        }
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (String type : plugins.runtimeTypes()) {
            plugins.runtime(type).ifPresent(factory -> former.forEach(directory -> stops.add(
                    CompletableFuture.runAsync(() -> factory.stopLeftovers(directory), pluginCalls)
                            .exceptionally(error -> {
                                log.warn("runtime {} could not stop what was left in {}: {}", type, directory,
                                        Deadlines.describe(error));
                                return null;
                            }))));
        }
        try {
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new))
                    .get(LEFTOVER_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("stopping what earlier runs left for services no longer configured took over {}s; going on",
                    LEFTOVER_DEADLINE.toSeconds());
        } catch (java.util.concurrent.ExecutionException e) {
            log.warn("stopping what earlier runs left failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Subscribes to every event; returns a handle that unsubscribes. Events are delivered asynchronously, one at a
     * time and in order, from a queue of the listener's own (see {@link Builder#eventQueueCapacity(int)}): a slow
     * listener delays only itself, and when its queue is full further events for it are dropped, counted in
     * {@code aegis_events_dropped_total{subscriber}} and logged. A listener that throws is logged and keeps
     * receiving.
     *
     * @param listener the listener; it must not block for long
     * @return a handle whose {@code close()} unsubscribes
     */
    public AutoCloseable subscribe(Consumer<? super ServiceEvent> listener) {
        return bus.subscribe(ServiceEvent.class, listener);
    }

    /**
     * Subscribes to events of {@code type}, e.g. {@code StateChanged.class} or {@code AlertFired.class}; returns a
     * handle that unsubscribes. Delivered as {@link #subscribe(Consumer)} says.
     *
     * @param <E> the event type
     * @param type the class of the events wanted, such as {@code StateChanged.class}
     * @param listener the listener; it must not block for long
     * @return a handle whose {@code close()} unsubscribes
     */
    public <E extends ServiceEvent> AutoCloseable subscribe(Class<E> type, Consumer<? super E> listener) {
        return bus.subscribe(type, listener);
    }

    /** {@return a snapshot of every service, in configuration order} */
    public List<ServiceSnapshot> services() {
        List<ServiceSnapshot> result = new ArrayList<>(monitors.size());
        for (ServiceMonitor monitor : monitors) {
            result.add(monitor.snapshot());
        }
        return result;
    }

    /**
     * A snapshot of one service.
     *
     * @param name the service's name
     * @return a snapshot of the service; empty when there is no such service
     */
    public Optional<ServiceSnapshot> service(String name) {
        return monitors.get(name).map(ServiceMonitor::snapshot);
    }

    // ---- hands-on control ---------------------------------------------------------------------------------

    /**
     * Restarts the service's workload now, outside the recovery ladder and its budget (a person knows best), and
     * logs it with {@code reason}. The returned stage completes when the workload has been restarted, or fails
     * with a message saying why.
     *
     * @param name the service's name
     * @param reason why, for the log and the {@link io.aegis.core.event.OperatorAction} event
     * @return a stage completed when the workload has been restarted
     * @throws IllegalArgumentException when there is no such service or it has no runtime
     * @throws IllegalStateException when the engine is not started or is closed
     */
    public CompletableFuture<Void> restart(String name, String reason) {
        ServiceMonitor monitor = controlled(name, reason);
        if (monitor.runtime().isEmpty()) {
            throw new IllegalArgumentException("service \"" + name + "\" has no runtime to restart; only services with a"
                    + " runtime: block can be restarted");
        }
        return monitor.withCoordinator(coordinator -> coordinator.restartNow(reason));
    }

    /**
     * {@link #reset(String, String)} with the reason "reset through the engine API".
     *
     * @param name the service's name
     * @return a stage completed once the workload has been restarted (at once without a runtime)
     */
    public CompletableFuture<Void> reset(String name) {
        return reset(name, "reset through the engine API");
    }

    /**
     * Starts over with a service the engine gave up on (FAILED) or isolated (ISOLATED), or at any time: its
     * incident, budget and backoff are cleared, its alerts resolved, its workload restarted when it has a runtime
     * (a fresh start is how a workload taken out of traffic returns to it), and its checks go on from STARTING.
     * The returned stage completes once the workload has been restarted (at once without a runtime).
     *
     * @param name the service's name
     * @param reason why, for the log and the {@link io.aegis.core.event.OperatorAction} event
     * @return a stage completed once the workload has been restarted (at once without a runtime)
     * @throws IllegalArgumentException when there is no such service
     * @throws IllegalStateException when the engine is not started or is closed
     */
    public CompletableFuture<Void> reset(String name, String reason) {
        return controlled(name, reason).withCoordinator(coordinator -> coordinator.reset(reason));
    }

    /**
     * {@link #pause(String, String)} with the reason "paused through the engine API".
     *
     * @param name the service's name
     * @return a stage completed once the pause is in effect
     */
    public CompletableFuture<Void> pause(String name) {
        return pause(name, "paused through the engine API");
    }

    /**
     * Maintenance: no recovery and no new alerts for the service until {@link #resume}; its checks go on, so its
     * state stays true. The returned stage completes once the pause is in effect.
     *
     * @param name the service's name
     * @param reason why, for the log and the {@link io.aegis.core.event.OperatorAction} event
     * @return a stage completed once the pause is in effect
     * @throws IllegalArgumentException when there is no such service
     * @throws IllegalStateException when the engine is not started or is closed
     */
    public CompletableFuture<Void> pause(String name, String reason) {
        return controlled(name, reason).withCoordinator(coordinator -> {
            coordinator.pause(reason);
            return CompletableFuture.completedFuture(null);
        });
    }

    /**
     * {@link #resume(String, String)} with the reason "resumed through the engine API".
     *
     * @param name the service's name
     * @return a stage completed once the service is judged again
     */
    public CompletableFuture<Void> resume(String name) {
        return resume(name, "resumed through the engine API");
    }

    /**
     * Ends maintenance: the service is judged again at once (recovered if it is down, checked now). The returned
     * stage completes once that has begun.
     *
     * @param name the service's name
     * @param reason why, for the log and the {@link io.aegis.core.event.OperatorAction} event
     * @return a stage completed once the service is judged again
     * @throws IllegalArgumentException when there is no such service
     * @throws IllegalStateException when the engine is not started or is closed
     */
    public CompletableFuture<Void> resume(String name, String reason) {
        return controlled(name, reason).withCoordinator(coordinator -> {
            coordinator.resume(reason);
            return CompletableFuture.completedFuture(null);
        });
    }

    /**
     * Takes the service's workload out of traffic through its runtime and keeps it running, for debugging; the
     * service is ISOLATED and gets no automatic recovery until {@link #reset}. The returned stage completes once
     * the runtime has isolated it, or fails saying why.
     *
     * @param name the service's name
     * @param reason why, for the log and the {@link io.aegis.core.event.OperatorAction} event
     * @return a stage completed once the runtime has isolated the workload
     * @throws IllegalArgumentException when there is no such service, or its runtime cannot isolate
     * @throws IllegalStateException when the engine is not started or is closed
     */
    public CompletableFuture<Void> isolate(String name, String reason) {
        ServiceMonitor monitor = controlled(name, reason);
        RuntimeAdapter runtime = monitor.runtime().orElseThrow(() -> new IllegalArgumentException("service \"" + name
                + "\" has no runtime to isolate; only services with a runtime: block can be isolated"));
        if (!supports(runtime, RuntimeOperation.ISOLATE)) {
            throw new IllegalArgumentException("service \"" + name + "\": its runtime "
                    + monitor.definition().runtimeType().orElse("?") + " cannot isolate a workload");
        }
        return monitor.withCoordinator(coordinator -> coordinator.isolateNow(reason));
    }

    // ---- the service set: one service at a time while the engine runs (the seam hot reload will use) ----------

    /**
     * Creates the plugins and monitor of one more service and, when the engine runs, starts it (its workload, then
     * its checks). Not public API yet: hot reload will call it.
     *
     * @throws InvalidConfigurationException when the service is invalid (nothing is added)
     * @throws IllegalArgumentException when a service of that name exists
     * @throws IllegalStateException when the engine is closed
     */
    ServiceMonitor addService(ServiceDefinition service) {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("the engine is closed");
            }
            if (monitors.get(service.name()).isPresent()) {
                throw new IllegalArgumentException("a service named \"" + service.name() + "\" is already supervised");
            }
            ServiceMonitor monitor = assembly.createOne(service, null);
            try {
                assembly.followLogsOf(monitor);
            } catch (InvalidConfigurationException e) {
                List<AutoCloseable> plugins = new ArrayList<>(List.of(monitor.checker()));
                monitor.runtime().ifPresent(plugins::add);
                closeAll(plugins, pluginCalls);
                assembly.alertedServices.remove(monitor.name());
                throw e;
            }
            install(monitor);
            return monitor;
        }
    }

    /** Puts a created monitor whose logs are followed among the supervised services and starts it. Under the lock. */
    private void install(ServiceMonitor monitor) {
        ServiceDefinition service = monitor.definition();
        monitors.add(monitor);
        assembly.watchAnomaliesOf(monitor); // read (and checked) when its monitor was made, in createOne
        assembly.rules.serviceAdded(monitor.name(), service.metadata());
        alertLifecycle.serviceAdded(monitor.name(), service.dependsOn());
        if (assembly.metrics != null) {
            assembly.metrics.serviceAdded(monitor.name());
        }
        if (started) {
            monitor.start(Duration.ZERO);
        }
        log.info("{}: added to the supervised services", monitor.name());
    }

    /**
     * Stops supervising one service: its checks and recovery stop, its workload is stopped (with its grace period),
     * its checker and runtime are closed and its metrics removed. Not public API yet: hot reload will call it.
     *
     * @throws IllegalArgumentException when there is no such service
     */
    CompletableFuture<Void> removeService(String name) {
        ServiceMonitor monitor;
        synchronized (lifecycle) {
            monitor = monitors.remove(name).orElseThrow(() -> new IllegalArgumentException("no service named \""
                    + name + "\"; the services are: " + String.join(", ", monitors.names())));
            // Its log sources close now, under the lock: a service added again under this name (a hot reload of a
            // changed service) follows the same state directory, and the old sources' last save must not
            // overwrite the new ones' positions.
            closeAll(assembly.forgetLogsOf(name), pluginCalls);
        }
        assembly.rules.serviceRemoved(name);
        if (assembly.anomalies != null) {
            assembly.anomalies.forget(name);
            assembly.anomalyRestarts.remove(name);
        }
        assembly.anomalySettings.remove(name);
        monitor.prepareToStop();
        assembly.context.alerts().resolveService(name);
        assembly.alertedServices.remove(name);
        alertLifecycle.serviceRemoved(name);
        return monitor.stopMonitoring("no longer supervised: removed from the service set")
                .thenCompose(stopped -> stopWorkloadOf(monitor))
                .thenRun(() -> {
                    List<AutoCloseable> plugins = new ArrayList<>(List.of(monitor.checker()));
                    monitor.runtime().ifPresent(plugins::add);
                    closeAll(plugins, pluginCalls);
                    if (assembly.metrics != null) {
                        synchronized (lifecycle) {
                            // A service added again under this name meanwhile (hot reload) counts into these series:
                            // its monitor bound them when it was built. Removing them would detach it (review S5).
                            if (monitors.get(name).isEmpty()) {
                                assembly.metrics.serviceRemoved(name);
                            }
                        }
                    }
                    log.info("{}: no longer supervised", name);
                });
    }

    /** Stops {@code monitor}'s workload through its runtime (unless it outlives the engine), with its deadline. */
    private CompletableFuture<Void> stopWorkloadOf(ServiceMonitor monitor) {
        return monitor.runtime().filter(runtime -> !outlivesEngine(runtime)).map(runtime -> Deadlines.<Throwable>call(
                () -> runtime.stop().thenApply(done -> null), pluginCalls, monitor.runtimeDeadline(), timer,
                error -> error, () -> new TimeoutException("did not stop within "
                        + monitor.runtimeDeadline().toSeconds() + "s"))
                .thenAccept(error -> {
                    if (error != null) {
                        log.error("{}: could not stop the workload: {}", monitor.name(), Deadlines.describe(error));
                    }
                })).orElse(CompletableFuture.completedFuture(null));
    }

    // ---- hot reload -----------------------------------------------------------------------------------------

    /**
     * {@return the configuration in force: the one the engine was built from, then the one the last successful {@link
     * #reload} applied} Empty for an engine built from services alone.
     */
    public Optional<AegisConfig> configuration() {
        return Optional.ofNullable(configuration);
    }

    /**
     * Reads the configuration file again (the one the engine was built from, with the same environment) and applies
     * it as {@link #reload(AegisConfig)} does ({@code aegis} calls this on SIGHUP).
     *
     * @return what was added, removed, changed and left alone, and what needs a restart of aegis
     * @throws InvalidConfigurationException when the file cannot be read or the new configuration has problems
     *     (every one of them, as at start-up); nothing changed
     * @throws IllegalStateException when the engine was built without a configuration file, or is closed
     */
    public ReloadResult reload() {
        synchronized (reloads) {
            AegisConfig current = configuration;
            if (current == null || current.file().isEmpty()) {
                throw new IllegalStateException("this engine was not built from a configuration file (Engine.Builder"
                        + ".config(Path)), so there is no file to read again; give the new configuration to"
                        + " reload(AegisConfig)");
            }
            Path file = current.file().get();
            if (Files.exists(file) && !Files.isRegularFile(file) && !Files.isDirectory(file)) {
                // A FIFO with no writer blocks open() forever: this reload, and every one after it, would wait.
                throw new InvalidConfigurationException(List.of(file + ": cannot read the configuration file: it is"
                        + " not a regular file (a FIFO, a socket or a device), and a reload would wait on it for"
                        + " good; put the configuration in a file"));
            }
            return reload(AegisConfig.load(file, current.environment()));
        }
    }

    /**
     * Applies {@code next} to the running engine. Services are matched by name and compared by their whole block
     * (and their part in {@code logs.files} and {@code anomaly_detection.thresholds}): an unchanged service is left
     * alone (its state, counters and workload); a changed one whose {@code runtime:} block is the same gets its new
     * check and settings in place while its workload runs on; one whose runtime changed has its workload stopped
     * through the old runtime and started through the new one; a removed one is stopped with its workload and its
     * metric series removed; an added one starts. Changes that need a restart of aegis ({@code global:},
     * {@code notifications:}, {@code alerting:}, the rest of {@code logs:} and {@code anomaly_detection:}, a
     * {@code dependsOn}) are not applied and are listed in {@link ReloadResult#notApplied()}. Returns once removed
     * and restarted workloads are stopped and new ones are starting; publishes {@link
     * io.aegis.core.event.ConfigReloaded}. One reload at a time; services defined in code are left alone.
     *
     * @param next the new configuration
     * @return what was added, removed, changed and left alone, and what needs a restart of aegis
     * @throws InvalidConfigurationException listing every problem of {@code next}, as when the engine is built (the
     *     plugins' own included); nothing changed
     * @throws IllegalStateException when the engine is closed
     */
    public ReloadResult reload(AegisConfig next) {
        Objects.requireNonNull(next, "next");
        synchronized (reloads) {
            synchronized (lifecycle) {
                if (closed) {
                    throw new IllegalStateException("the engine is closed");
                }
            }
            // Everything checked as at start-up, in a throwaway assembly on a temporary state directory, before
            // anything running is touched.
            assembly.validate(next);
            AegisConfig previous = configuration;
            ConfigDiff diff = ConfigDiff.between(previous, assembly.builder.config, next, assembly.builder.services);
            Map<String, ServiceMonitor> created = createForReload(diff, next);
            List<CompletableFuture<Void>> applied = new ArrayList<>();
            diff.removed().forEach(name -> applied.add(removeService(name)));
            for (String name : diff.changed()) {
                ServiceMonitor old = monitors.get(name).orElseThrow();
                ServiceMonitor fresh = created.get(name);
                applied.add(diff.runtimeChanged(name) ? restartReplacing(old, fresh) : swapKeepingWorkload(old, fresh));
            }
            synchronized (lifecycle) {
                for (String name : diff.added()) {
                    ServiceMonitor fresh = created.get(name);
                    followLogsAfterReload(fresh);
                    install(fresh);
                }
            }
            // Each stop has its runtime's deadline; bounded all the same, should the engine close meanwhile (its
            // workers gone, a hand-over would never complete).
            long longest = monitors.stream().mapToLong(monitor -> monitor.runtimeDeadline().toMillis()).max()
                    .orElse(0);
            try {
                CompletableFuture.allOf(applied.toArray(CompletableFuture[]::new))
                        .get(longest + CLOSE_DEADLINE.toMillis() * 2, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                log.error("reloading the configuration: {}", Deadlines.describe(e.getCause()));
            } catch (TimeoutException e) {
                log.warn("reloading the configuration: stopping the removed and changed services' workloads is taking"
                        + " long; going on");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            configuration = next;
            ReloadResult result = new ReloadResult(diff.added(), diff.removed(), diff.changed(), diff.unchanged(),
                    diff.notApplied());
            log.info("reloaded {}: {}", next.origin(), result.summary());
            result.notApplied().forEach(sentence -> log.warn("{}", sentence));
            bus.publish(new io.aegis.core.event.ConfigReloaded(assembly.builder.clock.instant(), result.added(),
                    result.removed(), result.changed(), result.unchanged(), result.notApplied()));
            return result;
        }
    }

    /**
     * Creates the monitors (checker, ladder, runtime unless the running one is kept) of every added and changed
     * service before anything running is touched; when any fails, closes every one made and throws all problems.
     */
    private Map<String, ServiceMonitor> createForReload(ConfigDiff diff, AegisConfig next) {
        Map<String, ServiceDefinition> byName = new LinkedHashMap<>();
        next.services().forEach(service -> byName.put(service.name(), service));
        synchronized (lifecycle) {
            Assembly.Saved saved = assembly.save();
            if (diff.logsApplied()) {
                assembly.useLogsConfig(next.logsConfig());
            }
            if (diff.anomaliesApplied()) {
                assembly.anomalyConfigInUse = next.anomalyConfig();
            }
            Map<String, ServiceMonitor> created = new LinkedHashMap<>();
            List<String> problems = new ArrayList<>();
            for (String name : diff.addedAndChanged()) {
                ServiceMonitor running = monitors.get(name).orElse(null);
                RuntimeAdapter kept = running != null && !diff.runtimeChanged(name)
                        ? running.runtime().orElse(null) : null;
                try {
                    created.put(name, assembly.createOne(byName.get(name), kept));
                } catch (InvalidConfigurationException e) {
                    problems.addAll(e.errors());
                } catch (RuntimeException e) {
                    problems.add(name + ": " + Deadlines.describe(e));
                }
            }
            if (!problems.isEmpty()) {
                List<AutoCloseable> made = new ArrayList<>();
                created.forEach((name, monitor) -> {
                    made.add(monitor.checker());
                    if (diff.runtimeChanged(name) || !monitors.get(name).isPresent()) {
                        monitor.runtime().ifPresent(made::add);
                    }
                });
                made.addAll(assembly.restore(saved));
                closeAll(made, pluginCalls);
                throw new InvalidConfigurationException(problems);
            }
            return created;
        }
    }

    /** Follows the logs of a service a reload added or changed; a problem is logged, the service runs without. */
    private void followLogsAfterReload(ServiceMonitor monitor) {
        try {
            assembly.followLogsOf(monitor);
        } catch (InvalidConfigurationException e) {
            log.error("{}: its logs cannot be followed after the reload, so no log pattern applies to it until the"
                    + " next reload or restart: {}", monitor.name(), String.join("; ", e.errors()));
        }
    }

    /**
     * A changed service whose runtime block did not change: {@code fresh} (with its new check and settings, and the
     * running workload's runtime) takes over from {@code old}, and the workload is not restarted.
     */
    private CompletableFuture<Void> swapKeepingWorkload(ServiceMonitor old, ServiceMonitor fresh) {
        String name = old.name();
        return old.handOver().thenAccept(last -> {
            boolean carried;
            synchronized (lifecycle) {
                monitors.replace(fresh);
                assembly.takeWorkloadExits(fresh);
                closeAll(assembly.forgetLogsOf(name), pluginCalls);
                forgetAnomaliesOf(name);
                followLogsAfterReload(fresh);
                assembly.watchAnomaliesOf(fresh);
                assembly.rules.serviceRemoved(name);
                assembly.rules.serviceAdded(name, fresh.definition().metadata());
                dependencies.attach(fresh);
                ServiceState state = last.state();
                carried = state == ServiceState.HEALTHY || state == ServiceState.DEGRADED
                        || state == ServiceState.STARTING;
                if (!carried) {
                    // The old monitor's incident ends with it: its alerts would never be resolved by the new one.
                    assembly.context.alerts().resolveService(name);
                }
                if (started && !closed) {
                    fresh.adopt(Duration.ofMillis(monitors.size()), last);
                }
            }
            closeAll(List.of(old.checker()), pluginCalls);
            log.info("{}: its new configuration is in effect; the workload runs on", name);
        });
    }

    /**
     * A service whose runtime block changed: {@code old}'s workload is stopped through its runtime, then
     * {@code fresh}'s is started through the new one.
     */
    private CompletableFuture<Void> restartReplacing(ServiceMonitor old, ServiceMonitor fresh) {
        String name = old.name();
        old.prepareToStop();
        synchronized (lifecycle) {
            monitors.replace(fresh);
            closeAll(assembly.forgetLogsOf(name), pluginCalls);
        }
        forgetAnomaliesOf(name);
        assembly.context.alerts().resolveService(name);
        return old.stopMonitoring("its runtime changed in a reload: restarted through the new one")
                .thenCompose(stopped -> stopWorkloadOf(old)).thenRun(() -> {
            List<AutoCloseable> plugins = new ArrayList<>(List.of(old.checker()));
            old.runtime().ifPresent(plugins::add);
            closeAll(plugins, pluginCalls);
            synchronized (lifecycle) {
                followLogsAfterReload(fresh);
                assembly.watchAnomaliesOf(fresh);
                assembly.rules.serviceRemoved(name);
                assembly.rules.serviceAdded(name, fresh.definition().metadata());
                dependencies.attach(fresh);
                if (started && !closed) {
                    fresh.start(Duration.ZERO);
                }
            }
            log.info("{}: restarted with its new runtime configuration", name);
        });
    }

    private void forgetAnomaliesOf(String name) {
        if (assembly.anomalies != null) {
            assembly.anomalies.forget(name);
            assembly.anomalyRestarts.remove(name);
        }
    }

    /** The monitor of a service a person acts on; nothing is done unless everything about the call is right. */
    private ServiceMonitor controlled(String name, String reason) {
        Objects.requireNonNull(reason, "reason");
        synchronized (lifecycle) {
            if (closed || !started) {
                throw new IllegalStateException(closed ? "the engine is closed" : "the engine is not started yet");
            }
        }
        return monitors.get(name).orElseThrow(() -> new IllegalArgumentException("no service named "
                + (name == null ? "null" : "\"" + name + "\"") + "; the services are: "
                + String.join(", ", monitors.names())));
    }

    private static boolean supports(RuntimeAdapter runtime, RuntimeOperation operation) {
        try {
            return runtime.supportedOperations().contains(operation);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Asks every runtime to reopen its services' log files at their configured paths, for an external
     * logrotate that has just renamed them ({@code aegis} calls this on SIGUSR1). A runtime that fails is
     * logged and the others still reopen.
     */
    public void reopenLogs() {
        for (ServiceMonitor monitor : monitors) {
            monitor.runtime().ifPresent(runtime -> {
                try {
                    runtime.reopenLogs();
                } catch (RuntimeException e) {
                    log.warn("{}: could not reopen its log files: {}", monitor.name(), e.toString());
                }
            });
        }
        log.info("reopened the log files of every service: each is opened at its path at its next write");
    }

    // ---- alerts and silences ------------------------------------------------------------------------------

    /**
     * {@return the alerts firing now, oldest first, each with what mutes it: the active silences that match it and the
     * firing alerts that inhibit it (inhibition rules, or an alert of a service it depends on)} Muted alerts still
     * fire; they are only not notified.
     */
    public List<ActiveAlert> alerts() {
        return alertLifecycle.activeAlerts();
    }

    /**
     * {@return the silences that have not ended: those of {@code alerting.silences} (a weekly one with its current or
     * next window) and those added with {@link #addSilence}}
     */
    public List<Silence> silences() {
        return alertLifecycle.silences();
    }

    /**
     * Silences the alerts whose labels match every one of {@code matchers} from {@code startsAt} to {@code endsAt}:
     * they are not notified meanwhile (their groups notify what changed when it ends). Kept in the state directory
     * across restarts until it ends. Returns the silence, with its id for {@link #expireSilence}.
     *
     * @param matchers the label matchers, at least one
     * @param startsAt when the silence starts
     * @param endsAt when it ends, after {@code startsAt}
     * @param createdBy who adds it
     * @param comment why
     * @return the silence, with its id
     * @throws IllegalArgumentException when there is no matcher, or the window is empty or over
     */
    public Silence addSilence(List<Matcher> matchers, java.time.Instant startsAt, java.time.Instant endsAt,
            String createdBy, String comment) {
        Objects.requireNonNull(matchers, "matchers");
        if (matchers.isEmpty()) {
            throw new IllegalArgumentException("a silence needs at least one matcher, such as service=\"db\"");
        }
        Silence silence = alertLifecycle.addSilence(matchers, Objects.requireNonNull(startsAt, "startsAt"),
                Objects.requireNonNull(endsAt, "endsAt"), Objects.requireNonNull(createdBy, "createdBy"),
                Objects.requireNonNull(comment, "comment"));
        log.info("silence {} added by {} until {} for {}: {}", silence.id(), createdBy, endsAt, matchers, comment);
        bus.publish(new io.aegis.core.event.SilenceChanged(assembly.builder.clock.instant(),
                io.aegis.core.event.SilenceChanged.Kind.ADDED, silence.id(),
                matchers.stream().map(Matcher::toString).toList(), silence.endsAt(), createdBy, comment));
        return silence;
    }

    /**
     * Ends the silence {@code id} (added with {@link #addSilence}) now. Returns false when there is no such silence
     * or it has ended already.
     *
     * @param id the silence's id
     * @return whether a silence was ended
     * @throws IllegalArgumentException for a silence of the configuration ({@code alerting.silences}): it ends
     *     when it is removed there
     */
    public boolean expireSilence(String id) {
        Optional<Silence> before = alertLifecycle.silences().stream().filter(s -> s.id().equals(id)).findFirst();
        boolean expired = alertLifecycle.expireSilence(id);
        if (expired) {
            Silence silence = before.orElse(null);
            log.info("silence {} expired", id);
            bus.publish(new io.aegis.core.event.SilenceChanged(assembly.builder.clock.instant(),
                    io.aegis.core.event.SilenceChanged.Kind.EXPIRED, id, silence == null ? List.of()
                    : silence.matchers().stream().map(Matcher::toString).toList(),
                    assembly.builder.clock.instant(), silence == null ? "" : silence.createdBy(),
                    silence == null ? "" : silence.comment()));
        }
        return expired;
    }

    /**
     * {@return whether the engine has started and is not closed (nor closing): what a readiness probe of aegis itself
     * reports}
     */
    public boolean isRunning() {
        synchronized (lifecycle) {
            return started && !closed;
        }
    }

    /** {@return the port the metrics server listens on, once started with metrics enabled} */
    public OptionalInt metricsPort() {
        MetricsServer server = metricsServer;
        return server == null ? OptionalInt.empty() : OptionalInt.of(server.port());
    }

    /**
     * Stops the checks, stops every workload (each with its grace period, all at once), delivers the events still
     * queued for listeners (for up to 5 seconds), closes every plugin, the metrics server and the engine's threads,
     * and takes the engine's metrics out of the registry. Idempotent.
     */
    @Override
    public void close() {
        boolean wasStarted;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            wasStarted = started;
        }
        // At once, before anything else: exits caused by the shutdown (a signal to the whole process group,
        // as Ctrl-C sends) must not be taken for crashes and restarted.
        monitors.forEach(ServiceMonitor::prepareToStop);
        if (assembly.anomalies != null) {
            assembly.anomalies.close(); // no anomaly begins or ends while the services stop
        }
        // No match restarts anything during the shutdown, but the lines the sources deliver while they close are
        // still analysed: their positions will say they were read, so dropping them lost them for good. A source
        // that hangs in close() is given up on.
        assembly.logs.stopActing();
        closeAll(assembly.logs.sources(), pluginCalls);
        assembly.logs.close();
        if (wasStarted) {
            log.info("shutting down");
            CompletableFuture.allOf(monitors.stream().map(ServiceMonitor::stopMonitoring)
                    .toArray(CompletableFuture[]::new)).orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
            stopWorkloads();
        }
        assembly.rules.close();
        // What the monitors published last (alerts among it) reaches the listeners and the notification delivery
        // before it flushes; bounded, then the bus's threads end.
        bus.close();
        if (metrics != null) {
            metrics.unregister(); // an embedder's registry may serve another engine later
        }
        List<AutoCloseable> pluginObjects = new ArrayList<>();
        monitors.forEach(monitor -> pluginObjects.add(monitor.checker()));
        monitors.forEach(monitor -> monitor.runtime().ifPresent(pluginObjects::add));
        try {
            alertLifecycle.close(); // flushes what is due now into the sink; the rest waits in the state directory
        } catch (RuntimeException e) {
            // The plugins, threads and the state directory's lock must still be released.
            log.error("closing the alert lifecycle failed; what it had not kept is lost", e);
        }
        pluginObjects.add(notificationDelivery);
        closeAll(pluginObjects, pluginCalls);
        closeAll(List.of(plugins), pluginCalls);
        MetricsServer server = metricsServer;
        if (server != null) {
            server.close();
        }
        timer.shutdownNow();
        workers.shutdownNow();
        pools.close();
        pluginCalls.shutdownNow();
        stateDirectory.close();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (wasStarted) {
            log.info("stopped");
        }
    }

    private void stopWorkloads() {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (ServiceMonitor monitor : monitors) {
            // A Deployment, a Nomad job, a container aegis only supervises: not aegis' to stop when it exits.
            monitor.runtime().filter(runtime -> !outlivesEngine(runtime)).ifPresent(runtime -> stops.add(
                    Deadlines.<Throwable>call(
                    () -> runtime.stop().thenApply(stopped -> null), pluginCalls, monitor.runtimeDeadline(), timer,
                    error -> error,
                    () -> new TimeoutException("did not stop within " + monitor.runtimeDeadline().toSeconds() + "s"))
                    .thenAccept(error -> {
                        if (error != null) {
                            log.error("{}: could not stop the workload: {}", monitor.name(), Deadlines.describe(error));
                        } else {
                            log.info("{}: workload stopped", monitor.name());
                        }
                    })));
        }
        CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
    }

    /** Whether {@code runtime}'s workload is not aegis' to stop; a plugin that throws here gets the default. */
    private static boolean outlivesEngine(RuntimeAdapter runtime) {
        try {
            return runtime.outlivesEngine();
        } catch (RuntimeException | LinkageError e) {
            log.warn("{}.outlivesEngine() failed ({}); stopping its workload as the default says", runtime.getClass()
                    .getName(), e.toString());
            return false;
        }
    }

    /**
     * Closes plugin objects in parallel on {@code pool}, giving up waiting after {@link #CLOSE_DEADLINE}:
     * a plugin whose close hangs must not keep the engine from shutting down.
     */
    private static void closeAll(List<? extends AutoCloseable> closeables, ExecutorService pool) {
        CompletableFuture<?>[] closing = closeables.stream()
                .map(closeable -> CompletableFuture.runAsync(() -> closeQuietly(closeable, closeable.getClass().getName()),
                        pool))
                .toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(closing).get(CLOSE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            log.warn("some plugins did not close within {}s; shutting down without them", CLOSE_DEADLINE.toSeconds());
        } catch (java.util.concurrent.ExecutionException e) {
            log.warn("closing plugins failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable closeable, String what) {
        try {
            closeable.close();
        } catch (Exception | LinkageError e) {
            log.warn("{} failed to close", what, e);
        }
    }

    /**
     * Builds an {@link Engine} from a configuration file, services defined in code, or both.
     */
    public static final class Builder {
        private AegisConfig config;
        private final List<ServiceDefinition> services = new ArrayList<>();
        private final List<Consumer<EventBus>> subscriptions = new ArrayList<>();
        private Clock clock = Clock.systemUTC();
        private ClassLoader classLoader;
        private Boolean metricsEnabled;
        private Integer metricsPort;
        private String metricsHost;
        private Path stateDirectory;
        private Integer maxConcurrentBlockingChecks;
        private Integer maxConcurrentRecoveries;
        private Integer maxInFlightChecks;
        private PrometheusRegistry metricsRegistry;
        private int eventQueueCapacity = EventBus.DEFAULT_CAPACITY;
        /** Virtual time (the test kit's harness, through EngineAccess): null for the engine's own timer thread. */
        private VirtualScheduler virtualTime;
        private WorkInFlight workInFlight;
        private WorkInFlight pluginWorkInFlight;
        /**
         * For checking a configuration ({@link #forValidation()}, and what a reload will apply): a temporary state
         * directory, nothing served.
         */
        private boolean validationOnly;

        private Builder() {
        }

        private void useVirtualTime(VirtualScheduler scheduler, WorkInFlight engineWork, WorkInFlight pluginWork) {
            this.virtualTime = Objects.requireNonNull(scheduler, "scheduler");
            this.workInFlight = Objects.requireNonNull(engineWork, "engineWork");
            this.pluginWorkInFlight = Objects.requireNonNull(pluginWork, "pluginWork");
            this.clock = scheduler.clock();
        }

        /**
         * Reads services and settings from a YAML file (and the process environment).
         *
         * @param file the YAML configuration file
         * @return this builder
         */
        public Builder config(Path file) {
            this.config = AegisConfig.load(file);
            return this;
        }

        /**
         * Uses an already loaded configuration.
         *
         * @param config the configuration
         * @return this builder
         */
        public Builder config(AegisConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Adds a service defined in code (besides those of the configuration file, if any).
         *
         * @param service the service
         * @return this builder
         */
        public Builder service(ServiceDefinition service) {
            services.add(Objects.requireNonNull(service, "service"));
            return this;
        }

        /**
         * Subscribes {@code listener} to every event from the start, as {@link Engine#subscribe(Consumer)} does.
         *
         * @param listener the listener; it must not block for long
         * @return this builder
         */
        public Builder listener(Consumer<? super ServiceEvent> listener) {
            return listener(ServiceEvent.class, listener);
        }

        /**
         * Subscribes {@code listener} to events of {@code type} from the start.
         *
         * @param <E> the event type
         * @param type the class of the events wanted, such as {@code StateChanged.class}
         * @param listener the listener; it must not block for long
         * @return this builder
         */
        public <E extends ServiceEvent> Builder listener(Class<E> type, Consumer<? super E> listener) {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(listener, "listener");
            subscriptions.add(bus -> bus.subscribe(type, listener));
            return this;
        }

        /**
         * The clock for events and recovery windows; default the system clock (tests inject their own).
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Where to look for plugins; default the thread's context class loader.
         *
         * @param classLoader the class loader plugins are found with
         * @return this builder
         */
        public Builder classLoader(ClassLoader classLoader) {
            this.classLoader = classLoader;
            return this;
        }

        /**
         * Overrides {@code global.metricsEnabled}.
         *
         * @param enabled whether to serve metrics
         * @return this builder
         */
        public Builder metricsEnabled(boolean enabled) {
            this.metricsEnabled = enabled;
            return this;
        }

        /**
         * Overrides {@code global.metricsPort}; 0 picks a free port (see {@link Engine#metricsPort()}).
         *
         * @param port the metrics port, 0 for a free one
         * @return this builder
         */
        public Builder metricsPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("metricsPort must be 0-65535, got " + port);
            }
            this.metricsPort = port;
            return this;
        }

        /**
         * Overrides {@code global.metricsHost}, the address the metrics server binds; default all interfaces.
         *
         * @param host the address to bind, such as {@code 127.0.0.1}
         * @return this builder
         */
        public Builder metricsHost(String host) {
            this.metricsHost = Objects.requireNonNull(host, "host");
            return this;
        }

        /**
         * Overrides {@code global.stateDir}: where runtimes record what they started (so that the next engine
         * using the same directory replaces what a killed one left running) and where services' output goes by
         * default. Without it and without a configuration file, a private temporary directory deleted on close.
         * One engine at a time may use a directory ({@link #start()} fails otherwise).
         *
         * @param directory the state directory
         * @return this builder
         */
        public Builder stateDirectory(Path directory) {
            this.stateDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * Builds an engine only to check its configuration, as {@code aegis --validate} does: every plugin, checker,
         * runtime and notifier is created and every setting checked as for a real engine, but the state directory
         * is a temporary one deleted on close, and {@code global.stateDir} (or the default one of the configuration
         * file) is looked at without being created or changed. What would stop an engine run as this user from
         * using it is a warning ({@link Engine#configurationWarnings()}), not an error: a validation may run as
         * another user, or on another machine, than the engine will. Such an engine cannot be started.
         *
         * @return this builder
         */
        public Builder forValidation() {
            this.validationOnly = true;
            return this;
        }

        /**
         * Overrides {@code global.maxConcurrentBlockingChecks}: how many checks that block a thread (scripts)
         * may run at once; a tick that finds them all running is skipped and counted.
         *
         * @param limit the most blocking checks at once, at least 1
         * @return this builder
         */
        public Builder maxConcurrentBlockingChecks(int limit) {
            if (limit < 1) {
                throw new IllegalArgumentException("maxConcurrentBlockingChecks must be at least 1, got " + limit);
            }
            this.maxConcurrentBlockingChecks = limit;
            return this;
        }

        /**
         * Overrides {@code global.maxInFlightChecks}: how many checks of one checker type (http, tcp...) may be in
         * flight at once, default {@value CheckLoad#DEFAULT_MAX_IN_FLIGHT} (or half the process' file descriptor
         * limit when that is lower); 0 for no cap. A tick that finds the cap reached waits in line; the ticks that
         * come meanwhile are skipped and counted ({@code aegis_health_checks_skipped_total{reason="overload"}}).
         *
         * @param limit the most checks in flight per checker type; 0 for no cap
         * @return this builder
         */
        public Builder maxInFlightChecks(int limit) {
            if (limit < 0) {
                throw new IllegalArgumentException("maxInFlightChecks must be 0 (no cap) or more, got " + limit);
            }
            this.maxInFlightChecks = limit;
            return this;
        }

        /**
         * Overrides {@code global.recovery.maxConcurrent}: how many recovery actions (restarts, rollbacks, isolations)
         * may run at once across every service, default {@value RecoveryPermits#DEFAULT_LIMIT}; the others wait, in
         * the order their services failed, without holding a thread (a restart storm must not become a fork bomb).
         *
         * @param limit the most recovery actions at once, at least 1
         * @return this builder
         */
        public Builder maxConcurrentRecoveries(int limit) {
            if (limit < 1) {
                throw new IllegalArgumentException("maxConcurrentRecoveries must be at least 1, got " + limit);
            }
            this.maxConcurrentRecoveries = limit;
            return this;
        }

        /**
         * Registers the engine's metrics ({@code aegis_*}) into {@code registry}, the application's own, so that the
         * application's {@code /metrics} serves them too; they are taken out of it when the engine closes. JVM and
         * process metrics are left to the application. The engine's own metrics server then starts only when
         * asked for explicitly ({@link #metricsEnabled(boolean) metricsEnabled(true)}, {@link #metricsPort(int)})
         * or by a loaded configuration ({@code global.metricsEnabled}, true by default there); it serves this
         * registry. One engine at a time per registry: {@link #build()} fails with an
         * {@link IllegalStateException} while another open engine's metrics are in it.
         *
         * @param registry the application's registry
         * @return this builder
         */
        public Builder metricsRegistry(PrometheusRegistry registry) {
            this.metricsRegistry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * How many events may wait for each listener added with {@link #listener} or {@link Engine#subscribe}
         * before further events for it are dropped (counted in {@code aegis_events_dropped_total{subscriber}} and
         * logged); default 10,000. The engine's own subscribers (metrics, alert delivery) never drop events.
         *
         * @param capacity the most events queued for one listener, at least 1
         * @return this builder
         */
        public Builder eventQueueCapacity(int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("eventQueueCapacity must be at least 1, got " + capacity);
            }
            this.eventQueueCapacity = capacity;
            return this;
        }

        /**
         * Loads the plugins, creates every checker, runtime, action and notifier, and validates the whole
         * configuration. Nothing runs yet.
         *
         * @return the engine, not started
         * @throws InvalidConfigurationException listing every mistake, with file and line where known
         */
        public Engine build() {
            ClassLoader loader = classLoader != null ? classLoader
                    : Optional.ofNullable(Thread.currentThread().getContextClassLoader())
                            .orElse(Engine.class.getClassLoader());
            Assembly assembly = new Assembly(this, loader);
            try {
                assembly.assemble();
                return new Engine(assembly);
            } catch (RuntimeException | Error e) {
                assembly.discard();
                throw e;
            }
        }
    }

    /** Wires plugins and monitors together while building; discarded whole if anything is wrong. */
    private static final class Assembly {
        private final Builder builder;
        /**
         * Where problems go: the build's report, or while a service is added to the running engine one of its own
         * ({@link #reportingApart}). The report is a set, so a problem equal to one reported before (the same
         * service added again after a failed try) would not show as new in the build's.
         */
        private ConfigReport report;
        private final PluginRegistry plugins;
        private final EventBus bus;
        private final ScheduledThreadPoolExecutor timer;
        private final ExecutorService workers;
        private final EnginePools pools;
        private final SkippedChecks skippedChecks = new SkippedChecks();
        private final RecoveryPermits recoveryPermits;
        private final CheckLoad checkLoad;
        private final ExecutorService pluginCalls;
        private final PrometheusRegistry metricsRegistry;
        /** Whether aegis metrics are collected: for the engine's own server, or into the embedder's registry. */
        private final boolean collectMetrics;
        private EngineMetrics metrics;
        private StateDirectory stateDirectory;
        private final List<ServiceMonitor> monitors = new ArrayList<>();
        /** Every service, from the file and from code, once validated. */
        private List<ServiceDefinition> definitions = List.of();
        private Dependencies dependencies;
        private final List<HealthChecker> checkers = new ArrayList<>();
        private final List<RuntimeAdapter> runtimes = new ArrayList<>();
        /** Whose log file each file is, to refuse one shared by two services. */
        private final Map<Path, String> logFileOwners = new HashMap<>();
        private final Map<String, Notifier> notifiers = new LinkedHashMap<>();
        private NotificationDelivery notificationDelivery;
        /** Threshold rules ({@code alerting.rules}); evaluates nothing when there are none. */
        private RuleEvaluator rules;
        /** Log analysis ({@code logs:}); follows nothing when there are no patterns. */
        private LogAnalyzer logs;
        /** Anomaly detection ({@code anomaly_detection:}); null when the block is absent or disabled. */
        private io.aegis.core.internal.anomaly.AnomalyDetector anomalies;
        /** The restart step of each service, for {@code anomaly_detection.action: restart}. */
        private final Map<String, io.aegis.core.internal.recovery.Ladder.Step> anomalyRestarts =
                new java.util.concurrent.ConcurrentHashMap<>();
        /** Third-party signal sources made and not yet handed to the detector: a failed build closes them. */
        private final List<io.aegis.api.SignalSource> signalSourcesMade = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** What anomaly detection read of each service when its monitor was made. */
        private final Map<String, AnomalySettings> anomalySettings = new java.util.concurrent.ConcurrentHashMap<>();
        private AlertLifecycle alertLifecycle;
        private AlertingConfig alertingConfig;
        /** Each supervised service's definition, for the metadata labels of its alerts. */
        private final Map<String, ServiceDefinition> alertedServices = new java.util.concurrent.ConcurrentHashMap<>();
        private MonitorContext context;
        /** The restart step of each service a pattern with {@code action: restart} applies to. */
        private final Map<String, io.aegis.core.internal.recovery.Ladder.Step> logRestarts =
                new java.util.concurrent.ConcurrentHashMap<>();
        /** The monitors the log analyzer acts on, services added to the running engine included. */
        private final Map<String, ServiceMonitor> logMonitors = new java.util.concurrent.ConcurrentHashMap<>();
        /** Makes the log sources of a service added to the running engine as those of the built ones. */
        private LogAnalysisAssembly logAssembly;
        private final boolean metricsEnabled;
        private final int metricsPort;
        private final String metricsHost;
        private final ClassLoader loader;
        /** {@code anomaly_detection:} as services are read with it: the built one's, or a reload's with new thresholds. */
        private volatile io.aegis.core.internal.anomaly.AnomalyConfig anomalyConfigInUse;
        /**
         * Where each service's runtime reports its workload's exits: a monitor that takes over a running workload (a
         * reload that changed the service's check only) is put there.
         */
        private final Map<String, AtomicReference<ServiceMonitor>> workloadExits =
                new java.util.concurrent.ConcurrentHashMap<>();

        Assembly(Builder builder, ClassLoader loader) {
            this.builder = builder;
            this.loader = loader;
            this.anomalyConfigInUse = builder.config != null ? builder.config.anomalyConfig()
                    : io.aegis.core.internal.anomaly.AnomalyConfig.none();
            this.report = builder.config != null ? builder.config.report() : new ConfigReport();
            this.plugins = PluginRegistry.discover(loader);
            this.bus = builder.workInFlight == null ? new EventBus(builder.eventQueueCapacity)
                    : EventBus.deliveringOn(WorkInFlight.pool(builder.workInFlight, 0, Integer.MAX_VALUE, 30,
                            TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(),
                            daemonThreads("aegis-events-%d")), builder.eventQueueCapacity);
            this.metricsRegistry = builder.metricsRegistry != null ? builder.metricsRegistry : new PrometheusRegistry();
            // With the application's registry, the application serves the metrics: our server only when asked for.
            this.metricsEnabled = builder.metricsEnabled != null ? builder.metricsEnabled
                    : builder.config != null ? builder.config.metricsEnabled()
                    : builder.metricsRegistry == null || builder.metricsPort != null;
            this.collectMetrics = metricsEnabled || builder.metricsRegistry != null;
            this.metricsPort = builder.metricsPort != null ? builder.metricsPort
                    : builder.config != null ? builder.config.metricsPort() : 9090;
            this.metricsHost = builder.metricsHost != null ? builder.metricsHost
                    : builder.config != null ? builder.config.metricsHost() : "0.0.0.0";
            this.recoveryPermits = new RecoveryPermits(builder.maxConcurrentRecoveries != null
                    ? builder.maxConcurrentRecoveries
                    : builder.config != null ? builder.config.maxConcurrentRecoveries() : RecoveryPermits.DEFAULT_LIMIT);
            this.checkLoad = new CheckLoad(builder.maxInFlightChecks != null ? builder.maxInFlightChecks
                    : builder.config != null ? builder.config.maxInFlightChecks() : CheckLoad.defaultMaxInFlight());
            this.timer = new ScheduledThreadPoolExecutor(1, daemonThreads("aegis-timer"));
            this.timer.setRemoveOnCancelPolicy(true);
            int cores = Runtime.getRuntime().availableProcessors();
            this.workers = WorkInFlight.pool(builder.workInFlight, Math.max(2, cores), Math.max(2, cores), 30,
                    TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemonThreads("aegis-worker-%d"));
            this.pools = new EnginePools(builder.maxConcurrentBlockingChecks != null
                    ? builder.maxConcurrentBlockingChecks
                    : builder.config != null ? builder.config.maxConcurrentBlockingChecks() : BlockingChecks.DEFAULT_LIMIT);
            // Unbounded but idle-reaped: a well-behaved plugin returns at once, so a handful of threads serve
            // every call; one that blocks holds a thread of its own (and at most one per service for checks).
            this.pluginCalls = WorkInFlight.pool(builder.pluginWorkInFlight, 0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
                    new java.util.concurrent.SynchronousQueue<>(), daemonThreads("aegis-plugin-%d"));
        }

        void assemble() {
            Optional<Path> stateDir = builder.stateDirectory != null ? Optional.of(builder.stateDirectory)
                    : builder.config != null ? builder.config.stateDir() : Optional.empty();
            try {
                stateDirectory = builder.validationOnly ? StateDirectory.temporary()
                        : stateDir.map(StateDirectory::open).orElseGet(StateDirectory::temporary);
            } catch (IllegalStateException e) {
                report.add(new ConfigProblem("global.stateDir", e.getMessage()));
                report.throwIfProblems();
            }
            if (builder.validationOnly) {
                stateDir.flatMap(StateDirectory::problemWithoutCreating).ifPresent(problem -> report.addWarning(
                        new ConfigProblem("global.stateDir", problem + "; an aegis started here as this user would"
                                + " refuse to start")));
            }
            builder.subscriptions.forEach(subscribe -> subscribe.accept(bus));
            createNotifiers();
            this.notificationDelivery = new NotificationDelivery(notifiers,
                    stateDirectory.path().resolve("alerts").resolve("spool"),
                    stateDir.isEmpty(), builder.virtualTime != null ? builder.virtualTime : Scheduler.over(timer),
                    pluginCalls);
            List<ConfigProblem> alertingProblems = new ArrayList<>();
            alertingConfig = builder.config == null ? AlertingConfig.defaults(List.copyOf(notifiers.keySet()))
                    : AlertingConfig.parse(builder.config.alerting(), List.copyOf(builder.config.notifications().keys()),
                            alertingProblems);
            report.addAll(alertingProblems);
            Alerts alertsFront = new Alerts(bus, builder.clock, this::metadataLabels);
            context = new MonitorContext(builder.clock, timer, workers, pluginCalls, bus, alertsFront,
                    pools.blockingChecks(), skippedChecks, report.redactor(),
                    builder.virtualTime != null ? builder.virtualTime : Scheduler.over(timer, pools.deadlines()),
                    recoveryPermits,
                    checkLoad, service -> {
                        CheckMetrics.Recorder counted = collectMetrics ? metrics.checkRecorder(service)
                                : CheckMetrics.Recorder.NONE;
                        return anomalies == null ? counted
                                : CheckMetrics.Recorder.both(counted, anomalies.recorder(service));
                    });
            createAnomalyDetector();
            if (collectMetrics) {
                registerMetrics();
                skippedChecks.countInto(metrics::checkSkipped);
                metrics.countDroppedEvents(bus::droppedBySubscriber);
                metrics.recoveriesWaiting(recoveryPermits::waiting);
                metrics.notifications(notificationDelivery::counts);
                // Check attempts are counted by the monitors directly (checkRecorder): no event per check for this.
                bus.subscribeLossless("EngineMetrics", ServiceEvent.class, CheckCompleted.class, metrics::onEvent);
            }
            List<ServiceDefinition> all = new ArrayList<>();
            if (builder.config != null) {
                all.addAll(builder.config.services());
            }
            all.addAll(builder.services);
            Map<String, ServiceDefinition> byName = new LinkedHashMap<>();
            for (ServiceDefinition service : all) {
                if (byName.putIfAbsent(service.name(), service) != null) {
                    report.add(new ConfigProblem(service.settings().keyPath("name"),
                            "a service named \"" + service.name() + "\" is already defined; names must be unique"));
                    continue;
                }
                createMonitor(service, context);
                ServiceWarnings.of(service).forEach(report::addWarning);
            }
            // needs every service, from the file and from code, to tell an unknown name from a defined one
            report.addAll(Dependencies.problems(byName.values()));
            RuleSet ruleSet = RuleSet.parse(builder.config != null ? builder.config.alerting()
                    : Settings.empty("alerting"), metadataByService(byName.values()), report::add);
            createLogAnalysis(byName);
            watchAnomalies();
            report.throwIfProblems();
            rules = new RuleEvaluator(ruleSet, context.alerts(), builder.clock, context.scheduler(), workers);
            if (!ruleSet.isEmpty()) {
                monitors.forEach(monitor -> rules.serviceAdded(monitor.name(), monitor.definition().metadata()));
                bus.subscribeLossless("ThresholdRules", ServiceEvent.class, rules::onEvent);
            }
            definitions = List.copyOf(byName.values());
            dependencies = Dependencies.of(definitions);
            createAlertLifecycle();
            Logger configLog = LoggerFactory.getLogger(CONFIG_LOGGER);
            report.warningLines().forEach(line -> configLog.warn("{}", line));
            if (metrics != null) {
                monitors.forEach(monitor -> metrics.serviceAdded(monitor.name()));
            }
        }

        /** {@code anomaly_detection:} as configured ({@link AnomalyConfig#none()} without a file). */
        private io.aegis.core.internal.anomaly.AnomalyConfig anomalyConfig() {
            return anomalyConfigInUse;
        }

        /**
         * Checks {@code next} as building an engine from it would (with this engine's services from code, class
         * loader and clock), on a temporary state directory with nothing started or served, and discards it.
         *
         * @throws InvalidConfigurationException listing every problem
         */
        void validate(AegisConfig next) {
            Builder check = new Builder();
            check.config = next;
            check.services.addAll(builder.services);
            check.clock = builder.clock;
            check.metricsEnabled = false;
            check.validationOnly = true;
            Assembly trial = new Assembly(check, loader);
            try {
                trial.assemble();
            } finally {
                trial.discard();
            }
        }

        /** What a reload's creation of monitors may change here, to be put back when it fails. */
        record Saved(Map<String, AnomalySettings> anomalySettings, Map<String, ServiceDefinition> alertedServices,
                Map<String, AtomicReference<ServiceMonitor>> workloadExits, LogAnalysisAssembly logAssembly,
                io.aegis.core.internal.anomaly.AnomalyConfig anomalyConfig) {
        }

        Saved save() {
            return new Saved(Map.copyOf(anomalySettings), Map.copyOf(alertedServices), Map.copyOf(workloadExits),
                    logAssembly, anomalyConfigInUse);
        }

        /** Puts back what {@link #save} saved; returns the signal sources made since, for the caller to close. */
        List<AutoCloseable> restore(Saved saved) {
            List<AutoCloseable> made = new ArrayList<>();
            anomalySettings.forEach((name, settings) -> {
                AnomalySettings before = saved.anomalySettings().get(name);
                if (settings.plugin() != null && (before == null || before.plugin() != settings.plugin())) {
                    made.add(settings.plugin());
                    signalSourcesMade.remove(settings.plugin());
                }
            });
            anomalySettings.clear();
            anomalySettings.putAll(saved.anomalySettings());
            alertedServices.clear();
            alertedServices.putAll(saved.alertedServices());
            workloadExits.clear();
            workloadExits.putAll(saved.workloadExits());
            logAssembly = saved.logAssembly();
            anomalyConfigInUse = saved.anomalyConfig();
            return made;
        }

        /** Follows services' logs with {@code config} from now on (a reload changed only its {@code files}). */
        void useLogsConfig(io.aegis.core.internal.logs.LogsConfig config) {
            if (logAssembly != null) {
                logAssembly = logAssembly.withConfig(config);
            }
        }

        /** The running workload's exits go to {@code monitor}, which took over from the service's former one. */
        void takeWorkloadExits(ServiceMonitor monitor) {
            AtomicReference<ServiceMonitor> target = workloadExits.get(monitor.name());
            if (target != null) {
                target.set(monitor);
            }
        }

        /**
         * The detector of {@code anomaly_detection:} (null when the block is absent or disabled), made before the
         * monitors: they tell it of their checks through their check recorder.
         */
        private void createAnomalyDetector() {
            io.aegis.core.internal.anomaly.AnomalyConfig config = anomalyConfig();
            if (!config.enabled()) {
                return;
            }
            anomalies = new io.aegis.core.internal.anomaly.AnomalyDetector(config, context.alerts(), bus,
                    builder.clock, context.scheduler(), new io.aegis.core.internal.anomaly.AnomalyDetector.Actions() {
                        @Override
                        public void anomalous(String service, boolean anomalous, String cause) {
                            ServiceMonitor monitor = logMonitors.get(service);
                            if (monitor != null) {
                                monitor.anomalous(anomalous, cause);
                            }
                        }

                        @Override
                        public void act(String service, String cause) {
                            ServiceMonitor monitor = logMonitors.get(service);
                            io.aegis.core.internal.recovery.Ladder.Step restart = anomalyRestarts.get(service);
                            if (monitor == null || (config.action()
                                    == io.aegis.core.internal.logs.LogsConfig.Action.RESTART && restart == null)) {
                                return; // no runtime to restart: a warning said so when it was watched
                            }
                            monitor.withCoordinator(coordinator -> {
                                coordinator.onAnomaly(cause, restart);
                                return CompletableFuture.completedFuture(null);
                            });
                        }

                        @Override
                        public boolean alertsHeld(String service) {
                            ServiceMonitor monitor = logMonitors.get(service);
                            return monitor != null && monitor.paused();
                        }
                    });
        }

        /** Has the detector watch every service at start, warns of thresholds nothing measures, exports metrics. */
        private void watchAnomalies() {
            if (anomalies == null) {
                return;
            }
            monitors.forEach(this::watchAnomaliesOf);
            for (io.aegis.core.internal.anomaly.AnomalyConfig.Threshold threshold : anomalyConfig().thresholds()) {
                if (!anomalies.measures(threshold.service(), threshold.signal())) {
                    // A warning, not an error: the seed's own example gives a throughput threshold to a service
                    // with no metrics, and a configuration written for the seed must still run.
                    report.addWarning(new ConfigProblem(threshold.keyPath(), "not evaluated: service "
                            + io.aegis.core.internal.config.QuotedText.of(threshold.service()) + " has no source of its "
                            + threshold.signal().label() + "; give it a metrics: block with requests: (its request"
                            + " counter), or a query: block with " + threshold.signal().key() + ": (a PromQL"
                            + " expression)"));
                }
            }
            if (metrics != null) {
                metrics.anomalies(anomalies::visit);
            }
        }

        /**
         * Reads what anomaly detection needs of {@code service} (its {@code metrics:} / {@code query:} blocks, its
         * {@code metadata.latency_threshold} / {@code error_rate_threshold}) into the report, when its monitor is
         * made: a service added to the running engine is checked as one of the file.
         */
        private void readAnomalySettingsOf(ServiceDefinition service) {
            io.aegis.core.internal.anomaly.SignalSourceConfig sources = service.settings()
                    instanceof io.aegis.core.internal.config.TrackingSettings tracked
                    ? io.aegis.core.internal.anomaly.SignalSourceConfig.parse(tracked, report::add)
                    : io.aegis.core.internal.anomaly.SignalSourceConfig.none();
            Map<io.aegis.core.internal.anomaly.Signal, Double> thresholds =
                    new java.util.EnumMap<>(io.aegis.core.internal.anomaly.Signal.class);
            io.aegis.core.internal.anomaly.AnomalyConfig config = anomalyConfig();
            if (!config.enabled()) {
                if (!sources.isEmpty()) {
                    report.addWarning(new ConfigProblem(service.settings().keyPath(sources.firstKey()), "not read:"
                            + " only anomaly detection reads it, and there is no anomaly_detection: block (or it says"
                            + " enabled: false)"));
                }
                return;
            }
            io.aegis.api.SignalSource plugin = null;
            java.util.Set<io.aegis.core.internal.anomaly.Signal> pluginSignals = java.util.EnumSet.noneOf(
                    io.aegis.core.internal.anomaly.Signal.class);
            if (sources.plugin().isPresent()) {
                io.aegis.core.internal.anomaly.SignalSourceConfig.Plugin spec = sources.plugin().get();
                String typeKey = spec.settings().keyPath("type");
                Optional<io.aegis.api.SignalSourceFactory> factory = plugins.signalSource(spec.type());
                if (factory.isEmpty()) {
                    report.add(unknownType(typeKey, "signal source type", spec.type(), plugins.signalSourceTypes()));
                } else {
                    plugin = createPlugin(() -> factory.get().create(new io.aegis.api.SignalSourceSpec(service.name(),
                            spec.settings(), config.detectionInterval(), pools.blockingChecks().executor())), typeKey,
                            "signal source " + spec.type());
                }
                if (plugin != null) {
                    signalSourcesMade.add(plugin);
                    Set<String> names;
                    try {
                        names = Set.copyOf(plugin.signals());
                    } catch (RuntimeException e) {
                        names = Set.of();
                        report.add(new ConfigProblem(typeKey, "signal source " + spec.type() + " failed to say which"
                                + " signals it gives: " + e));
                    }
                    for (String name : names) {
                        io.aegis.core.internal.anomaly.Signal signal = name == null ? null
                                : io.aegis.core.internal.anomaly.Signal.byKey(name);
                        if (signal == null) {
                            report.add(new ConfigProblem(typeKey, "signal source " + spec.type() + " gives a signal"
                                    + " named \"" + name + "\"; aegis judges latency, error_rate and throughput"));
                        } else if (sources.metrics().map(m -> m.signals().contains(signal)).orElse(false)
                                || sources.query().map(q -> q.queries().containsKey(signal)).orElse(false)) {
                            report.add(new ConfigProblem(typeKey, "signal source " + spec.type() + " gives the "
                                    + signal.label() + " that metrics: or query: gives already; give it in one"));
                        } else {
                            pluginSignals.add(signal);
                        }
                    }
                }
            }
            // the seed's metadata.latency_threshold / error_rate_threshold; a thresholds: entry for the same wins
            Map.of("latency_threshold", io.aegis.core.internal.anomaly.Signal.LATENCY,
                    "error_rate_threshold", io.aegis.core.internal.anomaly.Signal.ERROR_RATE).forEach((key, signal) -> {
                        String text = service.metadata().get(key);
                        if (text != null) {
                            io.aegis.core.internal.anomaly.AnomalyConfig.metadataThreshold(service.name(), signal, text,
                                    service.settings().keyPath("metadata") + "." + key, report::add)
                                    .ifPresent(threshold -> thresholds.put(signal, threshold.value()));
                        }
                    });
            config.thresholds().stream().filter(t -> t.service().equals(service.name()))
                    .forEach(t -> thresholds.put(t.signal(), t.value()));
            anomalySettings.put(service.name(), new AnomalySettings(sources, thresholds, plugin, pluginSignals));
        }

        /** What anomaly detection reads of one service, and the third-party source its signals: block made. */
        private record AnomalySettings(io.aegis.core.internal.anomaly.SignalSourceConfig sources,
                Map<io.aegis.core.internal.anomaly.Signal, Double> thresholds, io.aegis.api.SignalSource plugin,
                Set<io.aegis.core.internal.anomaly.Signal> pluginSignals) {
        }

        /** Has the anomaly detector watch {@code monitor}'s service as {@link #readAnomalySettingsOf} read it. */
        void watchAnomaliesOf(ServiceMonitor monitor) {
            AnomalySettings settings = anomalySettings.get(monitor.name());
            if (anomalies == null || settings == null) {
                return;
            }
            ServiceDefinition service = monitor.definition();
            if (anomalyConfig().action() == io.aegis.core.internal.logs.LogsConfig.Action.RESTART) {
                Optional<RecoveryActionFactory> factory = plugins.action("restart");
                if (monitor.runtime().isEmpty() || factory.isEmpty()) {
                    report.addWarning(new ConfigProblem("anomaly_detection.action", "service "
                            + io.aegis.core.internal.config.QuotedText.of(service.name()) + " has no runtime to"
                            + " restart: its anomalies raise their alert only"));
                } else {
                    RecoveryAction action = createPlugin(() -> factory.get().create(service.actionSettings()),
                            "anomaly_detection.action", "recovery action restart");
                    if (action != null) {
                        anomalyRestarts.put(service.name(), new io.aegis.core.internal.recovery.Ladder.Step("restart",
                                action, io.aegis.core.internal.recovery.Ladder.Kind.REPEAT));
                    }
                }
            }
            anomalies.watch(service.name(), settings.thresholds(), settings.sources(), settings.plugin(),
                    settings.pluginSignals(), pluginCalls);
            if (settings.plugin() != null) {
                signalSourcesMade.remove(settings.plugin()); // the detector's now: it closes it
            }
        }

        /** Creates the log sources of every service a pattern applies to, and the analyzer that matches their lines. */
        private void createLogAnalysis(Map<String, ServiceDefinition> byName) {
            Map<String, ServiceMonitor> byService = new LinkedHashMap<>();
            monitors.forEach(monitor -> byService.put(monitor.name(), monitor));
            logMonitors.putAll(byService);
            logs = new LogAnalyzer(context.alerts(), bus, builder.clock, context.scheduler(), pluginCalls,
                    new LogAnalyzer.Actions() {
                        @Override
                        public CompletableFuture<Void> act(String service,
                                io.aegis.core.internal.logs.LogsConfig.PatternEntry pattern, String cause) {
                            ServiceMonitor monitor = logMonitors.get(service);
                            if (monitor == null) {
                                return CompletableFuture.completedFuture(null);
                            }
                            io.aegis.core.internal.recovery.Ladder.Step restart = logRestarts.get(service);
                            return monitor.withCoordinator(coordinator -> {
                                coordinator.onLogMatch(cause, pattern.action()
                                        == io.aegis.core.internal.logs.LogsConfig.Action.RESTART ? restart : null);
                                return CompletableFuture.completedFuture(null);
                            });
                        }

                        @Override
                        public boolean alertsHeld(String service) {
                            ServiceMonitor monitor = logMonitors.get(service);
                            return monitor != null && monitor.paused();
                        }
                    });
            io.aegis.core.internal.logs.LogsConfig config = builder.config != null ? builder.config.logsConfig()
                    : io.aegis.core.internal.logs.LogsConfig.none();
            logAssembly = new LogAnalysisAssembly(config, plugins, report, logs, stateDirectory.path().resolve("logs"),
                    builder.stateDirectory != null || (builder.config != null && builder.config.stateDir().isPresent()),
                    pools.runtimeWork(), new LogAnalysisAssembly.Plugins() {
                        @Override
                        public <T> T create(java.util.function.Supplier<T> create, String keyPath, String what) {
                            return createPlugin(create, keyPath, what);
                        }

                        @Override
                        public void checkUnknownKeys(Settings settings) {
                            Assembly.this.checkUnknownKeys(settings);
                        }

                        @Override
                        public void restartStep(String service, io.aegis.core.internal.recovery.Ladder.Step step) {
                            logRestarts.put(service, step);
                        }
                    });
            logAssembly.assemble(byName, byService);
            if (metrics != null) {
                metrics.logs(logs::visitCounts);
            }
        }

        /**
         * Follows the logs of {@code monitor}, a service added to the running engine, as the {@code logs:} block
         * says for every service built with the engine (its runtime's output, or its {@code files} entries).
         *
         * @throws InvalidConfigurationException when they cannot be followed (nothing of them is left running)
         */
        void followLogsOf(ServiceMonitor monitor) {
            if (logAssembly == null) {
                return;
            }
            reportingApart(() -> {
                logMonitors.put(monitor.name(), monitor);
                logAssembly.reportingTo(report).assembleOne(monitor);
                if (report.hasProblems()) {
                    forgetLogsOf(monitor.name()).forEach(source -> closeQuietly(source, "log source of "
                            + monitor.name()));
                    report.throwIfProblems();
                }
                return null;
            });
        }

        /** A service leaves the engine: the log sources it had, for the caller to close. */
        List<AutoCloseable> forgetLogsOf(String service) {
            logMonitors.remove(service);
            logRestarts.remove(service);
            return logs == null ? List.of() : List.copyOf(logs.serviceRemoved(service));
        }

        private static Map<String, Map<String, String>> metadataByService(java.util.Collection<ServiceDefinition> all) {
            Map<String, Map<String, String>> metadata = new LinkedHashMap<>();
            all.forEach(service -> metadata.put(service.name(), service.metadata()));
            return metadata;
        }

        /** The opted-in metadata ({@code alerting.metadataLabels}) of a service, as labels of its alerts. */
        private Map<String, String> metadataLabels(String serviceName) {
            ServiceDefinition service = alertedServices.get(serviceName);
            if (service == null || alertingConfig == null || alertingConfig.metadataLabels().isEmpty()) {
                return Map.of();
            }
            Map<String, String> labels = new LinkedHashMap<>();
            alertingConfig.metadataLabels().forEach(key -> {
                String value = service.metadata().get(key);
                if (value != null && !value.isEmpty()) {
                    labels.put(key, value);
                }
            });
            return labels;
        }

        /** The lifecycle between Alerts and the notifiers; restores what the last run kept (nothing is sent yet). */
        private void createAlertLifecycle() {
            Map<String, Optional<Duration>> intervals = new LinkedHashMap<>();
            notifiers.forEach((name, notifier) -> {
                Optional<Duration> interval;
                try {
                    interval = notifier.resendInterval();
                } catch (RuntimeException e) {
                    log.warn("notifier {}: resendInterval() failed ({}); grouping its alerts as usual", name,
                            e.toString());
                    interval = Optional.empty();
                }
                intervals.put(name, interval == null ? Optional.empty() : interval);
            });
            Map<String, List<String>> dependsOn = new LinkedHashMap<>();
            definitions.forEach(service -> dependsOn.put(service.name(), service.dependsOn()));
            // Its flushes, re-sends and writes on a serial executor of the workers, not on the timer thread.
            alertLifecycle = new AlertLifecycle(alertingConfig, intervals, dependsOn, notificationDelivery,
                    context.scheduler(), com.google.common.util.concurrent.MoreExecutors.newSequentialExecutor(workers),
                    builder.clock, new AlertStore(stateDirectory.path().resolve("alerts")),
                    context.alerts()::standing);
            List<AlertStore.Record> restored = alertLifecycle.restore();
            context.alerts().restore(restored.stream().map(AlertStore.Record::alert).toList(), restored.stream()
                    .filter(AlertStore.Record::standing).map(record -> record.alert().fingerprint())
                    .collect(java.util.stream.Collectors.toSet()));
            bus.subscribeLossless("AlertLifecycle", ServiceEvent.class, CheckCompleted.class, alertLifecycle::onEvent);
            if (metrics != null) {
                metrics.alertsFiring(alertLifecycle::firingCounts);
            }
        }

        private void registerMetrics() {
            try {
                metrics = new EngineMetrics(metricsRegistry, builder.clock);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new IllegalStateException("the metrics registry given to Engine.Builder.metricsRegistry already"
                        + " holds aegis metrics (" + e.getMessage() + "): another engine registered there and is not"
                        + " closed yet; give each engine its own registry, or close the other engine first", e);
            }
            if (builder.metricsRegistry == null) {
                // The application owns its registry's JVM metrics (and may have registered them already). Off the
                // start path: created a second later, or by a first scrape that comes sooner (so never missing).
                EngineMetrics.registerJvmMetricsAfterStart(metricsRegistry, timer); // dropped by close()
            }
        }

        private void createMonitor(ServiceDefinition service, MonitorContext context) {
            createMonitor(service, context, null);
        }

        /** As {@link #createMonitor(ServiceDefinition, MonitorContext)}; with {@code kept}, its runtime is that one. */
        private void createMonitor(ServiceDefinition service, MonitorContext context, RuntimeAdapter kept) {
            int problemsBefore = report.problems().size();
            HealthChecker checker = createChecker(service);
            AtomicReference<ServiceMonitor> monitorRef = kept != null ? null : new AtomicReference<>();
            RuntimeAdapter runtime = kept != null ? kept : createRuntime(service, monitorRef);
            Ladder ladder = createLadder(service, runtime);
            readAnomalySettingsOf(service); // before the unknown keys: it reads metrics: and query:
            checkUnknownKeys(service.settings());
            checkUnknownKeys(service.actionSettings());
            service.runtimeSettings().ifPresent(this::checkUnknownKeys);
            if (report.problems().size() > problemsBefore || checker == null || ladder == null) {
                return;
            }
            ServiceMonitor monitor = new ServiceMonitor(service, checker, runtime, ladder, context);
            alertedServices.put(service.name(), service);
            if (monitorRef != null) {
                monitorRef.set(monitor);
                workloadExits.put(service.name(), monitorRef);
            }
            monitors.add(monitor);
        }

        /**
         * Creates one action per step of {@code actions.onFailure}; a step that needs a runtime the service lacks,
         * or an operation its runtime does not support, is a configuration error found now rather than at the first
         * incident. Null when a step could not be created.
         */
        private Ladder createLadder(ServiceDefinition service, RuntimeAdapter runtime) {
            List<String> names = service.ladder();
            List<Ladder.Step> steps = new ArrayList<>();
            boolean complete = true;
            // onFailure: [restartt] is reported at the list's element (its line and column), onFailure: restartt at the key
            boolean listed = names.size() > 1 || service.actionSettings().raw("onFailure")
                    .filter(List.class::isInstance).isPresent();
            for (int i = 0; i < names.size(); i++) {
                String stepName = names.get(i);
                String keyPath = service.actionSettings().keyPath("onFailure") + (listed ? "[" + i + "]" : "");
                Optional<RecoveryActionFactory> factory = plugins.action(stepName);
                if (factory.isEmpty()) {
                    report.add(unknownType(keyPath, "recovery action", stepName, plugins.actionNames()));
                    complete = false;
                    continue;
                }
                if (factory.get().requiresRuntime() && service.runtimeSettings().isEmpty()) {
                    report.add(new ConfigProblem(keyPath, "\"" + stepName + "\" needs a runtime to act on, and this"
                            + " service has none; add a runtime: block to the service (for example runtime: {type:"
                            + " process, command: [java, -jar, app.jar]}), or use onFailure: notify"));
                } else if (runtime != null) {
                    checkRuntimeSupports(service, runtime, stepName, factory.get(), keyPath);
                }
                RecoveryAction action = createPlugin(() -> RedactingPlugins.wrap(RecoveryAction.class,
                        factory.get().create(service.actionSettings()), report.redactor()), keyPath,
                        "recovery action " + stepName);
                if (action == null) {
                    complete = false;
                } else {
                    steps.add(new Ladder.Step(stepName, action, Ladder.kindOf(stepName,
                            factory.get().requiresRuntime())));
                }
            }
            return complete && !steps.isEmpty() ? new Ladder(steps) : null;
        }

        private void checkRuntimeSupports(ServiceDefinition service, RuntimeAdapter runtime, String stepName,
                RecoveryActionFactory factory, String keyPath) {
            java.util.Set<RuntimeOperation> supported;
            java.util.Set<RuntimeOperation> missing;
            try {
                supported = java.util.EnumSet.noneOf(RuntimeOperation.class);
                supported.addAll(runtime.supportedOperations());
                missing = java.util.EnumSet.noneOf(RuntimeOperation.class);
                missing.addAll(factory.requiredOperations());
                missing.removeAll(supported);
            } catch (RuntimeException e) {
                report.add(new ConfigProblem(keyPath, "could not ask runtime " + service.runtimeType().orElse("?")
                        + " which operations it supports: " + Deadlines.describe(e)));
                return;
            }
            if (!missing.isEmpty()) {
                String runtimeType = service.runtimeType().orElse("?");
                report.add(new ConfigProblem(keyPath, "service \"" + service.name() + "\": step \"" + stepName
                        + "\" needs the runtime to " + words(missing) + ", and runtime \"" + runtimeType
                        + "\" cannot (it supports " + words(supported) + "); remove the step from onFailure, or use a"
                        + " runtime that supports it"
                        + (runtimeType.equals("process") ? " (the process runtime rolls back with runtime.rollback"
                                + ".command and isolates with runtime.isolate.command)" : "")));
            }
        }

        private static String words(java.util.Set<RuntimeOperation> operations) {
            return operations.stream().map(op -> op.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '))
                    .collect(java.util.stream.Collectors.joining(", "));
        }

        /**
         * Creates one service's plugins and monitor after the engine was built; its problems are thrown. With
         * {@code kept}, the monitor's runtime is that one (the running workload's) and no runtime is created.
         */
        ServiceMonitor createOne(ServiceDefinition service, RuntimeAdapter kept) {
            int monitorsBefore = monitors.size();
            int checkersBefore = checkers.size();
            int runtimesBefore = runtimes.size();
            try {
                return reportingApart(() -> {
                    createMonitor(service, context, kept);
                    report.throwIfProblems();
                    if (monitors.size() == monitorsBefore) {
                        throw new IllegalStateException(service.name() + ": could not create its monitor");
                    }
                    return monitors.get(monitors.size() - 1);
                });
            } catch (RuntimeException e) {
                // A checker or runtime created before a later key was found wrong is closed (review L7).
                List<AutoCloseable> created = new ArrayList<>(runtimes.subList(runtimesBefore, runtimes.size()));
                created.addAll(checkers.subList(checkersBefore, checkers.size()));
                AnomalySettings read = anomalySettings.remove(service.name());
                if (read != null && read.plugin() != null) {
                    created.add(read.plugin());
                    signalSourcesMade.remove(read.plugin());
                }
                closeAll(created, pluginCalls);
                if (monitors.size() > monitorsBefore) {
                    alertedServices.remove(service.name());
                }
                throw e;
            } finally {
                // These lists serve the build (and its discard when it fails); a service added to the running engine
                // belongs to the engine's service set, which closes it when it is removed: kept here, every hot
                // reload would leave its plugins referenced for good.
                monitors.subList(monitorsBefore, monitors.size()).clear();
                checkers.subList(checkersBefore, checkers.size()).clear();
                runtimes.subList(runtimesBefore, runtimes.size()).clear();
            }
        }

        /** Runs {@code work} (under the engine's lifecycle lock) with a report of its own; see {@link #report}. */
        private <T> T reportingApart(java.util.function.Supplier<T> work) {
            ConfigReport build = report;
            report = build.emptyCopy();
            try {
                return work.get();
            } finally {
                report = build;
            }
        }

        private HealthChecker createChecker(ServiceDefinition service) {
            Optional<HealthCheckerFactory> factory = plugins.checker(service.checkType());
            if (factory.isEmpty()) {
                report.add(unknownType(service.settings().keyPath("type"), "checker type", service.checkType(),
                        plugins.checkerTypes()));
                return null;
            }
            CheckerSpec spec = CheckerSpec.builder(service.name(), service.checkType(), service.endpoint())
                    .interval(service.interval()).timeout(service.timeout()).settings(service.settings())
                    .metadata(service.metadata()).blockingExecutor(pools.blockingChecks().executor()).build();
            // what the checker reports passes the redactor before the engine logs or publishes it
            // Its results are redacted by the monitor, once per attempt: no wrapper on the check's hot path.
            HealthChecker checker = createPlugin(() -> factory.get().create(spec), service.settings().keyPath("type"),
                    "checker " + service.checkType());
            if (checker != null) {
                checkers.add(checker);
            }
            return checker;
        }

        private RuntimeAdapter createRuntime(ServiceDefinition service, AtomicReference<ServiceMonitor> monitor) {
            if (service.runtimeSettings().isEmpty()) {
                return null;
            }
            Settings settings = service.runtimeSettings().get();
            Optional<String> type = service.runtimeType();
            if (type.isEmpty()) {
                report.add(new ConfigProblem(settings.keyPath("type"),
                        "missing: expected the runtime type, one of " + String.join(", ", plugins.runtimeTypes())));
                return null;
            }
            Optional<RuntimeAdapterFactory> factory = plugins.runtime(type.get());
            if (factory.isEmpty()) {
                report.add(unknownType(settings.keyPath("type"), "runtime type", type.get(), plugins.runtimeTypes()));
                return null;
            }
            Path serviceDirectory;
            try {
                serviceDirectory = stateDirectory.serviceDirectory(service.name());
            } catch (IllegalStateException e) {
                report.add(new ConfigProblem(settings.keyPath("type"), e.getMessage()));
                return null;
            }
            WorkloadListener listener = new WorkloadListener() {
                @Override
                public void workloadExited(WorkloadStatus status) {
                    ServiceMonitor target = monitor.get();
                    if (target != null) {
                        target.workloadExited(status);
                    }
                }

                @Override
                public void workloadExitedBeforeStop(WorkloadStatus status) {
                    ServiceMonitor target = monitor.get();
                    if (target != null) {
                        target.workloadExitedBeforeStop(status);
                    }
                }
            };
            RuntimeSpec spec = new RuntimeSpec(service.name(), settings, listener, pools.runtimeWork(),
                    serviceDirectory);
            RuntimeAdapter runtime = createPlugin(() -> factory.get().create(spec), settings.keyPath("type"),
                    "runtime " + type.get());
            if (runtime != null) {
                runtimes.add(runtime);
                checkLogFilesAreItsOwn(service, settings, runtime);
            }
            return runtime;
        }

        /**
         * A service's log files must be its own: not another service's (their rotations would fight, each deleting
         * the other's backups) nor the configuration file (its output would be appended to it, and the next reload
         * or start would fail on it).
         */
        private void checkLogFilesAreItsOwn(ServiceDefinition service, Settings settings, RuntimeAdapter runtime) {
            List<Path> files;
            try {
                files = runtime.logFiles();
            } catch (RuntimeException e) {
                return; // the plugin's own problem, not one of the configuration
            }
            Optional<Path> configFile = Optional.ofNullable(builder.config).flatMap(AegisConfig::file)
                    .map(file -> file.toAbsolutePath().normalize());
            for (Path file : files) {
                Path absolute = file.toAbsolutePath().normalize();
                if (configFile.filter(absolute::equals).isPresent()) {
                    report.add(new ConfigProblem(settings.keyPath("logFile"), "the log file " + absolute + " is the"
                            + " configuration file itself: the service's output would be appended to it; give it a"
                            + " file of its own"));
                    continue;
                }
                String owner = logFileOwners.putIfAbsent(absolute, service.name());
                if (owner != null && !owner.equals(service.name())) {
                    report.add(new ConfigProblem(settings.keyPath("logFile"), "the log file " + absolute + " is"
                            + " service \"" + owner + "\"'s too: their rotations would delete each other's output;"
                            + " give each service a file of its own"));
                }
            }
        }

        private void createNotifiers() {
            if (builder.config == null) {
                return;
            }
            Settings section = builder.config.notifications();
            for (String name : section.keys()) {
                Settings settings;
                try {
                    settings = section.section(name).orElseThrow();
                } catch (ConfigException e) {
                    report.addAll(e.problems());
                    continue;
                }
                String type;
                try {
                    if (!settings.bool("enabled", true)) {
                        continue;
                    }
                    type = settings.string("type", name);
                } catch (ConfigException e) {
                    // enabled: maybe, type: [a]: reported with the rest, not as a stack trace that hides them
                    report.addAll(e.problems());
                    continue;
                }
                Optional<NotifierFactory> factory = plugins.notifier(type);
                if (factory.isEmpty()) {
                    report.add(unknownType(settings.path(), "notifier type", type, plugins.notifierTypes()));
                    continue;
                }
                Notifier notifier = createPlugin(() -> RedactingPlugins.wrap(Notifier.class,
                        factory.get().create(new NotifierSpec(name, settings, pools.notifierWork())), report.redactor()),
                        settings.path(), "notifier " + type);
                if (notifier != null) {
                    notifiers.put(name, notifier);
                }
                checkUnknownKeys(settings);
            }
        }

        private <T> T createPlugin(java.util.function.Supplier<T> create, String keyPath, String what) {
            // On the blocking pool with a deadline: a plugin that hangs in create() must not hang build().
            CompletableFuture<T> creating = CompletableFuture.supplyAsync(create, pluginCalls);
            try {
                T created = creating.get(CREATE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                if (created == null) {
                    report.add(new ConfigProblem(keyPath, what + " returned nothing (a bug in the plugin)"));
                }
                return created;
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof ConfigException) {
                    report.addAll(((ConfigException) cause).problems());
                } else {
                    log.debug("{} failed to initialise", what, cause);
                    report.add(new ConfigProblem(keyPath, what + " failed to initialise: " + Deadlines.describe(cause)));
                }
            } catch (TimeoutException e) {
                creating.cancel(true);
                report.add(new ConfigProblem(keyPath, what + " did not finish initialising within "
                        + CREATE_DEADLINE.toSeconds() + "s"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                report.add(new ConfigProblem(keyPath, what + " was interrupted while initialising"));
            }
            return null;
        }

        private void checkUnknownKeys(Settings settings) {
            if (settings instanceof TrackingSettings) {
                report.addAll(((TrackingSettings) settings).unknownKeys());
            }
        }

        private static ConfigProblem unknownType(String keyPath, String what, String found, List<String> known) {
            String suggestion = KeySuggestions.closest(found, known).map(s -> "; did you mean \"" + s + "\"?")
                    .orElse("");
            String installed = known.isEmpty() ? "none is installed" : "installed: " + String.join(", ", known);
            return new ConfigProblem(keyPath, "unknown " + what + " \"" + found + "\" (" + installed + ")" + suggestion);
        }

        void discard() {
            List<AutoCloseable> created = new ArrayList<>(runtimes);
            if (logs != null) {
                created.addAll(logs.sources());
            }
            created.addAll(checkers);
            created.addAll(signalSourcesMade);
            created.addAll(notifiers.values());
            closeAll(created, pluginCalls);
            closeAll(List.of(plugins), pluginCalls);
            bus.close(Duration.ZERO);
            if (metrics != null) {
                metrics.unregister();
            }
            timer.shutdownNow();
            workers.shutdownNow();
            pools.close();
            pluginCalls.shutdownNow();
            if (stateDirectory != null) {
                stateDirectory.close();
            }
        }

        private static java.util.concurrent.ThreadFactory daemonThreads(String nameFormat) {
            return new ThreadFactoryBuilder().setNameFormat(nameFormat).setDaemon(true).build();
        }
    }
}
