package io.aegis.core.internal.metrics;

import io.aegis.api.ActionOutcome;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthStatus;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.IncidentClosed;
import io.aegis.core.event.RecoveryBudgetExhausted;
import io.aegis.core.event.RecoveryConcluded;
import io.aegis.core.event.RecoveryEscalated;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.core.event.WorkloadExited;
import io.aegis.core.internal.SkippedChecks;
import io.aegis.core.internal.alerting.delivery.NotificationDelivery;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryPoolAllocationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmNativeMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.MetricType;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.registry.PrometheusScrapeRequest;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's Prometheus metrics, fed from its {@link ServiceEvent}s.
 *
 * <p>One instance per engine, registered into that engine's own {@link PrometheusRegistry} (never the
 * process-wide default registry: several engines may live in one JVM). The engine calls
 * {@link #serviceAdded(String)} for every configured service before its first check, and
 * {@link #onEvent(ServiceEvent)} for every event it publishes.
 *
 * <p>{@code onEvent} sits on the hot path of every check of every service, so each service's series are one
 * object holding its labels (built once) and its values; an event costs one map lookup and a few atomic adds
 * and allocates nothing once its series exist. A scrape composes the families from those objects (see
 * {@code ServiceFamilies}).
 *
 * <p>Series whose label values are known up front (results, states) exist at 0 from
 * {@code serviceAdded} on, so that {@code rate()} and {@code increase()} see the first increment. Series
 * labelled by failure {@code reason} or recovery {@code action}/{@code outcome} are created when they first
 * happen: pre-creating ten reasons for ten thousand services would add a hundred thousand series that are
 * almost all zero forever.
 */
public final class EngineMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(EngineMetrics.class);

    /** Classic buckets from 1 ms to 10 s: a check slower than its timeout ends as a TIMEOUT anyway. */
    static final double[] CHECK_DURATION_BUCKETS = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
    };

    private static final String RESTART_ACTION = "restart";
    private static final HealthStatus[] STATUSES = HealthStatus.values();
    private static final String[] STATUS_LABELS = lowerCaseNames(STATUSES);
    private static final ServiceState[] STATES = ServiceState.values();
    private static final String[] STATE_LABELS = lowerCaseNames(STATES);
    private static final RecoveryConcluded.Outcome[] OUTCOMES = RecoveryConcluded.Outcome.values();
    private static final String[] OUTCOME_LABELS = lowerCaseNames(OUTCOMES);
    private static final FailureReason[] REASONS = FailureReason.values();
    private static final String[] REASON_LABELS = Arrays.stream(REASONS).map(FailureReason::label)
            .toArray(String[]::new);
    private static final SkippedChecks.Reason[] SKIP_REASONS = SkippedChecks.Reason.values();
    private static final String[] SKIP_REASON_LABELS = Arrays.stream(SKIP_REASONS)
            .map(SkippedChecks.Reason::label).toArray(String[]::new);
    // The ordinals of each enum in the order of their labels: the order a snapshot sorts its data points into.
    private static final int[] STATES_BY_LABEL = byLabel(STATE_LABELS);
    private static final int[] STATUSES_BY_LABEL = byLabel(STATUS_LABELS);
    private static final int[] REASONS_BY_LABEL = byLabel(REASON_LABELS);
    private static final int[] SKIP_REASONS_BY_LABEL = byLabel(SKIP_REASON_LABELS);
    /** The classic buckets' upper bounds with the {@code +Inf} bucket, as a client_java histogram has them. */
    private static final double[] UPPER_BOUNDS = java.util.stream.DoubleStream.concat(
            Arrays.stream(CHECK_DURATION_BUCKETS), java.util.stream.DoubleStream.of(Double.POSITIVE_INFINITY))
            .toArray();

    /** {@link ServiceSeries#healthySinceMillis} when the service is not healthy. */
    private static final long NOT_HEALTHY = Long.MIN_VALUE;

    private final Clock clock;
    private final PrometheusRegistry registry;
    private final ConcurrentMap<String, ServiceSeries> services = new ConcurrentHashMap<>();
    private final AtomicBoolean failureLogged = new AtomicBoolean();
    private final ServiceFamilies serviceFamilies;
    private final DroppedEvents droppedEvents = new DroppedEvents();
    /** {@code aegis_recoveries_waiting}, once registered; taken out again by {@link #unregister()}. */
    private GaugeWithCallback recoveriesWaiting;
    /** The {@code aegis_notifications_*} families, once registered; taken out again by {@link #unregister()}. */
    private final List<Collector> notificationFamilies = new ArrayList<>();
    /**
     * The {@code aegis_log_*} and {@code aegis_anomaly_*} families, once registered; taken out again by
     * {@link #unregister()}.
     */
    private final List<Collector> logFamilies = new ArrayList<>();
    /** {@code aegis_alerts_firing}, once registered; taken out again by {@link #unregister()}. */
    private GaugeWithCallback alertsFiring;

    /**
     * Registers every aegis metric into {@code registry}. JVM and process metrics are separate: see
     * {@link #registerJvmMetrics(PrometheusRegistry)}.
     *
     * @param registry this engine's registry; must not already hold aegis metrics
     * @param clock the engine's clock, read at scrape time for {@code aegis_service_uptime_seconds}
     * @throws IllegalArgumentException if {@code registry} already holds a metric of the same name (nothing of
     *     this engine's is left registered then)
     */
    public EngineMetrics(PrometheusRegistry registry, Clock clock) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.serviceFamilies = new ServiceFamilies();
        registry.register(serviceFamilies);
        try {
            registry.register(droppedEvents);
        } catch (RuntimeException e) {
            registry.unregister(serviceFamilies);
            throw e;
        }
    }

    /**
     * Where {@code aegis_events_dropped_total{subscriber}} is read at scrape time: the event bus's count of
     * events each bounded subscriber lost to a full queue.
     */
    public void countDroppedEvents(Supplier<Map<String, Long>> droppedBySubscriber) {
        droppedEvents.source = Objects.requireNonNull(droppedBySubscriber, "droppedBySubscriber");
    }

    /**
     * Takes this engine's metrics out of the registry they were registered into (the JVM metrics stay), so that
     * a registry the embedding application owns can serve another engine later. Idempotent.
     */
    public void unregister() {
        registry.unregister(serviceFamilies);
        registry.unregister(droppedEvents);
        synchronized (this) {
            if (recoveriesWaiting != null) {
                registry.unregister(recoveriesWaiting);
            }
            notificationFamilies.forEach(registry::unregister);
            logFamilies.forEach(registry::unregister);
            if (alertsFiring != null) {
                registry.unregister(alertsFiring);
            }
        }
    }

    /**
     * Registers {@code aegis_recoveries_waiting}: recovery actions waiting for one of the fleet's
     * {@code global.recovery.maxConcurrent} slots, read from {@code waiting} at scrape time.
     */
    public synchronized void recoveriesWaiting(java.util.function.IntSupplier waiting) {
        Objects.requireNonNull(waiting, "waiting");
        recoveriesWaiting = GaugeWithCallback.builder()
                .name("aegis_recoveries_waiting")
                .help("Recovery actions waiting for a free slot of global.recovery.maxConcurrent, in the order their"
                        + " services failed.")
                .callback(callback -> callback.call(waiting.getAsInt()))
                .register(registry);
    }

    /**
     * Registers the notification delivery's metrics, per notifier, read from {@code counts} at scrape time:
     * {@code aegis_notifications_sent_total}, {@code aegis_notifications_failed_total} (failed attempts),
     * {@code aegis_notifications_dropped_total{reason="overflow"|"rejected"}} and the gauge
     * {@code aegis_notifications_spooled} (waiting for delivery, on disk).
     */
    public synchronized void notifications(Supplier<List<NotificationDelivery.NotifierCounts>> counts) {
        Objects.requireNonNull(counts, "counts");
        notificationFamilies.add(CounterWithCallback.builder()
                .name("aegis_notifications_sent_total")
                .help("Notifications the notifier's receiver accepted.")
                .labelNames("notifier")
                .callback(callback -> counts.get().forEach(c -> callback.call(c.sent(), c.notifier())))
                .register(registry));
        notificationFamilies.add(CounterWithCallback.builder()
                .name("aegis_notifications_failed_total")
                .help("Delivery attempts that failed (each is retried with backoff, unless rejected).")
                .labelNames("notifier")
                .callback(callback -> counts.get().forEach(c -> callback.call(c.failed(), c.notifier())))
                .register(registry));
        notificationFamilies.add(CounterWithCallback.builder()
                .name("aegis_notifications_dropped_total")
                .help("Notifications given up: overflow (the notifier's queue was full) or rejected (the receiver"
                        + " refused it as wrong, e.g. HTTP 400; not retried).")
                .labelNames("notifier", "reason")
                .callback(callback -> counts.get().forEach(c -> {
                    callback.call(c.droppedOverflow(), c.notifier(), "overflow");
                    callback.call(c.droppedRejected(), c.notifier(), "rejected");
                }))
                .register(registry));
        notificationFamilies.add(GaugeWithCallback.builder()
                .name("aegis_notifications_spooled")
                .help("Notifications waiting for delivery to the notifier: in the on-disk spool (in memory only while the"
                        + " spool cannot be written).")
                .labelNames("notifier")
                .callback(callback -> counts.get().forEach(c -> callback.call(c.spooled(), c.notifier())))
                .register(registry));
    }

    /**
     * Registers the log analysis' counters, read from {@code counts} at scrape time: {@code
     * aegis_log_lines_total{service}}, {@code aegis_log_bytes_read_total{service}}, {@code
     * aegis_log_lines_cut_total{service}} and {@code
     * aegis_log_matches_total{service,pattern,severity}} (every matching line, threshold or not).
     */
    public synchronized void logs(Consumer<io.aegis.core.internal.logs.LogAnalyzer.CountVisitor> counts) {
        Objects.requireNonNull(counts, "counts");
        serviceLogCounter(counts, "aegis_log_lines_total",
                "Lines read from the service's logs (files, container output) and matched against logs.patterns.",
                (lines, bytes, cut) -> lines);
        serviceLogCounter(counts, "aegis_log_bytes_read_total",
                "Bytes read from the service's logs, line terminators and the skipped rest of cut lines included.",
                (lines, bytes, cut) -> bytes);
        serviceLogCounter(counts, "aegis_log_lines_cut_total",
                "Log lines longer than logs.maxLineLength: only their first maxLineLength bytes were matched.",
                (lines, bytes, cut) -> cut);
        logFamilies.add(CounterWithCallback.builder()
                .name("aegis_log_matches_total")
                .help("Log lines that matched a pattern of logs.patterns (each counted, whether or not it crossed the"
                        + " pattern's threshold).")
                .labelNames("service", "pattern", "severity")
                .callback(callback -> counts.accept(new LogCounts() {
                    @Override
                    public void pattern(String service, String pattern, String severity, long matches) {
                        callback.call(matches, service, pattern, severity);
                    }
                }))
                .register(registry));
    }

    /**
     * Registers the anomaly detection families, read from {@code signals} at scrape time: {@code
     * aegis_anomaly_signal_value}, {@code aegis_anomaly_baseline_mean}, {@code aegis_anomaly_baseline_lower}, {@code
     * aegis_anomaly_baseline_upper} (so a dashboard can draw the band), {@code aegis_anomaly_active} and {@code
     * aegis_anomalies_total}, each by {@code service} and {@code signal}. Latency is in seconds here (the base unit),
     * though the configuration gives it in milliseconds.
     */
    public synchronized void anomalies(
            Consumer<io.aegis.core.internal.anomaly.AnomalyDetector.SignalVisitor> signals) {
        Objects.requireNonNull(signals, "signals");
        anomalyGauge(signals, "aegis_anomaly_signal_value", "The last evaluated value of a signal of anomaly_detection"
                + " (latency in seconds, error_rate 0 to 1, throughput in requests per second).", Pick.VALUE);
        anomalyGauge(signals, "aegis_anomaly_baseline_mean", "The learned baseline's mean of a signal, once warmed up.",
                Pick.MEAN);
        anomalyGauge(signals, "aegis_anomaly_baseline_lower", "The lower bound of a signal's expected range (baseline"
                + " mean minus sensitivity times its spread).", Pick.LOWER);
        anomalyGauge(signals, "aegis_anomaly_baseline_upper", "The upper bound of a signal's expected range (baseline"
                + " mean plus sensitivity times its spread).", Pick.UPPER);
        anomalyGauge(signals, "aegis_anomaly_active", "1 while a signal of the service is anomalous, else 0.",
                Pick.ACTIVE);
        logFamilies.add(CounterWithCallback.builder()
                .name("aegis_anomalies_total")
                .help("Anomalies that began, by service and signal.")
                .labelNames("service", "signal")
                .callback(callback -> signals.accept((service, signal, value, mean, lower, upper, anomalous, count) ->
                        callback.call(count, service, signal.key())))
                .register(registry));
    }

    /** Which figure of a signal an anomaly gauge shows. */
    private enum Pick {
        VALUE, MEAN, LOWER, UPPER, ACTIVE
    }

    private void anomalyGauge(Consumer<io.aegis.core.internal.anomaly.AnomalyDetector.SignalVisitor> signals,
            String name, String help, Pick pick) {
        logFamilies.add(GaugeWithCallback.builder()
                .name(name)
                .help(help)
                .labelNames("service", "signal")
                .callback(callback -> signals.accept((service, signal, value, mean, lower, upper, anomalous, count) -> {
                    double figure = switch (pick) {
                        case VALUE -> value;
                        case MEAN -> mean;
                        case LOWER -> lower;
                        case UPPER -> upper;
                        case ACTIVE -> anomalous ? 1 : 0;
                    };
                    if (!Double.isNaN(figure)) { // no series until there is a figure (warming up, nothing measured)
                        callback.call(pick == Pick.ACTIVE ? figure : figure * signal.toBaseUnit(), service,
                                signal.key());
                    }
                }))
                .register(registry));
    }

    /** Picks one of a service's log counts. */
    @FunctionalInterface
    private interface ServiceLogCount {
        long of(long lines, long bytes, long cut);
    }

    /** One per-service log counter family, its value picked from each service's counts by {@code count}. */
    private void serviceLogCounter(Consumer<io.aegis.core.internal.logs.LogAnalyzer.CountVisitor> counts, String name,
            String help, ServiceLogCount count) {
        logFamilies.add(CounterWithCallback.builder()
                .name(name)
                .help(help)
                .labelNames("service")
                .callback(callback -> counts.accept(new LogCounts() {
                    @Override
                    public void service(String service, long lines, long bytes, long cut) {
                        callback.call(count.of(lines, bytes, cut), service);
                    }
                }))
                .register(registry));
    }

    /** A visitor of the log counters that ignores what one family does not show. */
    private abstract static class LogCounts implements io.aegis.core.internal.logs.LogAnalyzer.CountVisitor {
        @Override
        public void service(String service, long lines, long bytes, long cut) {
        }

        @Override
        public void pattern(String service, String pattern, String severity, long matches) {
        }
    }

    /**
     * Registers {@code aegis_alerts_firing{service,alertname,severity}}: the alerts firing now (silenced and
     * inhibited ones too), read from {@code firing} (label values in that order, to a count) at scrape time.
     */
    public synchronized void alertsFiring(Supplier<Map<List<String>, Long>> firing) {
        Objects.requireNonNull(firing, "firing");
        alertsFiring = GaugeWithCallback.builder()
                .name("aegis_alerts_firing")
                .help("Alerts firing now, by service, alert name and severity; silenced and inhibited ones included.")
                .labelNames("service", "alertname", "severity")
                .callback(callback -> firing.get().forEach((labels, count) -> callback.call(count,
                        labels.toArray(String[]::new))))
                .register(registry);
    }

    /**
     * Registers the JVM metrics (memory, GC, threads, classes, buffer pools, runtime info) and the process
     * metrics (CPU, file descriptors, memory) of this JVM into {@code registry}.
     *
     * <p>The collectors are registered one by one rather than through {@code JvmMetrics.builder()}, because
     * {@code JvmMetrics} remembers every registry it has served in a static set, which would keep each
     * engine's registry (and everything reachable from it) alive after the engine is closed.
     *
     * @param registry the registry to fill; call once per registry
     * @throws IllegalArgumentException if {@code registry} already holds JVM metrics
     */
    public static void registerJvmMetrics(PrometheusRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        JvmThreadsMetrics.builder().register(registry);
        JvmBufferPoolMetrics.builder().register(registry);
        JvmClassLoadingMetrics.builder().register(registry);
        JvmCompilationMetrics.builder().register(registry);
        JvmGarbageCollectorMetrics.builder().register(registry);
        JvmMemoryPoolAllocationMetrics.builder().register(registry);
        JvmMemoryMetrics.builder().register(registry);
        JvmNativeMemoryMetrics.builder().register(registry);
        JvmRuntimeInfoMetric.builder().register(registry);
        ProcessMetrics.builder().register(registry);
    }

    /**
     * {@link #registerJvmMetrics} off the start: the collectors are created {@link #JVM_METRICS_DELAY} after this
     * call (scheduled on {@code timer}, then created on a one-off daemon thread, so that the timer's other tasks do
     * not wait for them), or by the first scrape if one comes sooner (it waits for them). Creating them loads ~400
     * classes and sets up JMX, a fifth of aegis' start-up CPU; done at once, even on a thread of its own, that
     * competed with the start for the second core. They go into a registry of their own that {@code registry}
     * scrapes through one collector, so {@code jvm_*} and {@code process_*} are in every scrape, the first one
     * included, and never missing from one. They are created once, whoever comes first. The engine passes its own
     * timer, whose {@code shutdownNow()} at close drops the task: an engine closed within the delay (a failed start,
     * a test, the launcher's training) creates nothing for a registry nobody scrapes any more.
     *
     * @param registry the registry to fill; call once per registry
     * @param timer where the delayed task waits; shutting it down cancels it
     */
    public static void registerJvmMetricsAfterStart(PrometheusRegistry registry, ScheduledExecutorService timer) {
        registerJvmMetricsAfterStart(registry, EngineMetrics::registerJvmMetrics, timer, JVM_METRICS_DELAY);
    }

    /** How long after the engine is built the JVM metrics are created when no scrape asked for them sooner. */
    static final Duration JVM_METRICS_DELAY = Duration.ofSeconds(1);

    /** As {@link #registerJvmMetricsAfterStart(PrometheusRegistry, ScheduledExecutorService)}, for tests. */
    static void registerJvmMetricsAfterStart(PrometheusRegistry registry,
            java.util.function.Consumer<PrometheusRegistry> registration, ScheduledExecutorService timer,
            Duration delay) {
        registerJvmMetricsAfterStart(registry, registration, task -> timer.schedule(() -> {
            Thread thread = new Thread(task, "aegis-jvm-metrics");
            thread.setDaemon(true);
            thread.start();
        }, delay.toMillis(), TimeUnit.MILLISECONDS));
    }

    /**
     * As {@link #registerJvmMetricsAfterStart(PrometheusRegistry, ScheduledExecutorService)}, with
     * {@code registration} doing the work when {@code later} runs it, unless a scrape came first.
     */
    static void registerJvmMetricsAfterStart(PrometheusRegistry registry,
            java.util.function.Consumer<PrometheusRegistry> registration, Executor later) {
        Objects.requireNonNull(registry, "registry");
        JvmMetricsOnce jvm = new JvmMetricsOnce(Objects.requireNonNull(registration,
                "registration"));
        registry.register(jvm);
        later.execute(jvm::ready);
    }

    /** The JVM and process metrics, registered by the first scrape or by the delayed task, whichever comes first. */
    private static final class JvmMetricsOnce implements MultiCollector {
        private final PrometheusRegistry jvm = new PrometheusRegistry();
        private final java.util.function.Consumer<PrometheusRegistry> registration;
        private boolean registered;

        JvmMetricsOnce(java.util.function.Consumer<PrometheusRegistry> registration) {
            this.registration = registration;
        }

        private synchronized PrometheusRegistry ready() {
            if (!registered) {
                registered = true; // once: a failure is not retried at every scrape
                try {
                    registration.accept(jvm);
                } catch (RuntimeException | Error e) {
                    // Whatever was registered is still served; the rest is missing, so say why once.
                    LOG.warn("metrics: registering the JVM metrics failed; some jvm_* and process_* metrics are"
                            + " missing", e);
                }
            }
            return jvm;
        }

        @Override
        public MetricSnapshots collect() {
            return ready().scrape();
        }

        @Override
        public MetricSnapshots collect(PrometheusScrapeRequest request) {
            return ready().scrape(request);
        }

        @Override
        public MetricSnapshots collect(Predicate<String> includedNames) {
            return ready().scrape(includedNames);
        }

        @Override
        public MetricSnapshots collect(Predicate<String> includedNames, PrometheusScrapeRequest request) {
            return ready().scrape(includedNames, request);
        }
    }

    /**
     * Creates the series of a service at 0, so they are there before its first check. Calling it again
     * for the same service changes nothing.
     *
     * @param serviceName the service's name, used as the {@code service} label
     */
    public void serviceAdded(String serviceName) {
        Objects.requireNonNull(serviceName, "serviceName");
        removedServices.remove(serviceName);
        series(serviceName);
    }

    /**
     * Removes every series of a service, for a service that is no longer supervised (for example after a
     * configuration reload). Call it after the service's last event: an event that arrives later creates
     * its series again.
     *
     * @param serviceName the service's name
     */
    public void serviceRemoved(String serviceName) {
        Objects.requireNonNull(serviceName, "serviceName");
        // The families are composed from this map at scrape time: a service that is not in it has no series.
        removedServices.add(serviceName);
        services.remove(serviceName);
    }

    /**
     * The recorder through which the monitor of {@code serviceName} counts each check attempt directly, in place of
     * a {@link CheckCompleted} event per check through {@link #onEvent} (the engine then subscribes this instance
     * to every event but those). It counts into the service's series as they are now: a service removed by
     * {@link #serviceRemoved} must not record through it any more. Never throws.
     */
    public io.aegis.core.internal.CheckMetrics.Recorder checkRecorder(String serviceName) {
        ServiceSeries series = series(Objects.requireNonNull(serviceName, "serviceName"));
        return (result, at, finalAttempt) -> {
            try {
                series.checkCompleted(result, at, finalAttempt);
            } catch (RuntimeException e) {
                if (failureLogged.compareAndSet(false, true)) {
                    LOG.warn("{}: could not update metrics for a check; further failures are logged at debug",
                            serviceName, e);
                } else {
                    LOG.debug("{}: could not update metrics for a check", serviceName, e);
                }
            }
        };
    }

    /**
     * Counts a tick of {@code serviceName} whose check did not start. The series of a reason appears with its
     * first skip (most services never skip). Never throws.
     */
    public void checkSkipped(String serviceName, SkippedChecks.Reason reason) {
        try {
            series(serviceName).skipped(reason).increment();
        } catch (RuntimeException e) {
            LOG.debug("{}: could not count a skipped check", serviceName, e);
        }
    }

    /**
     * Updates the metrics for one event. Safe to call from many threads at once; never blocks and never
     * throws (a failure is logged once and the event is dropped from the metrics, so that a metrics bug
     * cannot break the event bus).
     *
     * @param event any service event; {@code null} is ignored
     */
    public void onEvent(ServiceEvent event) {
        if (event == null || event.serviceName().isEmpty()) {
            return; // an event about the engine itself (a reload, a silence): no service's series
        }
        if (removedServices.contains(event.serviceName())) {
            // a late event of a removed service (its monitor's last STOPPED, delivered after the removal): it must not
            // bring the series back; a service added again under the name gets them through serviceAdded
            return;
        }
        try {
            ServiceSeries series = series(event.serviceName());
            if (event instanceof CheckCompleted) {
                series.checkCompleted((CheckCompleted) event);
            } else if (event instanceof StateChanged) {
                series.stateChanged((StateChanged) event);
            } else if (event instanceof RecoveryFinished) {
                series.recoveryFinished((RecoveryFinished) event);
            } else if (event instanceof RecoveryConcluded) {
                series.recoveryConcluded((RecoveryConcluded) event);
            } else if (event instanceof WorkloadExited) {
                series.workloadExits.increment();
            } else if (event instanceof RecoveryBudgetExhausted) {
                series.budgetExhausted.increment();
            } else if (event instanceof RecoveryStarted) {
                // aegis_recoveries_total counts recoveries when their outcome is known; this is the ladder's step.
                series.ladderStep = ((RecoveryStarted) event).step();
            } else if (event instanceof RecoveryEscalated) {
                series.ladderStep = ((RecoveryEscalated) event).step();
            } else if (event instanceof IncidentClosed) {
                series.ladderStep = 0;
            }
        } catch (RuntimeException e) {
            if (failureLogged.compareAndSet(false, true)) {
                LOG.warn("{}: could not update metrics for {}; further failures are logged at debug",
                        event.serviceName(), event.getClass().getSimpleName(), e);
            } else {
                LOG.debug("{}: could not update metrics for {}", event.serviceName(), event, e);
            }
        }
    }

    /** Services removed and not added again since: their late events are ignored. */
    private final Set<String> removedServices = ConcurrentHashMap.newKeySet();

    private ServiceSeries series(String serviceName) {
        // get() first: computeIfAbsent may lock the bin even when the key is present.
        ServiceSeries series = services.get(serviceName);
        return series != null ? series : services.computeIfAbsent(serviceName, ServiceSeries::new);
    }

    private static String[] lowerCaseNames(Enum<?>[] values) {
        String[] names = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            names[i] = values[i].name().toLowerCase(Locale.ROOT);
        }
        return names;
    }

    private static boolean isUp(ServiceState state) {
        return state == ServiceState.HEALTHY || state == ServiceState.DEGRADED;
    }

    /** Seconds as a double without {@code Duration.toNanos()}, which overflows for absurd durations. */
    private static double seconds(Duration duration) {
        return duration.getSeconds() + duration.getNano() / 1e9;
    }

    private static double epochSeconds(Instant instant) {
        return instant.getEpochSecond() + instant.getNano() / 1e9;
    }

    /** The indexes of {@code labels} in label order. */
    private static int[] byLabel(String[] labels) {
        return java.util.stream.IntStream.range(0, labels.length).boxed()
                .sorted(Comparator.comparing(i -> labels[i])).mapToInt(Integer::intValue).toArray();
    }

    /**
     * Every per-service family, composed at scrape time from each service's counters and cached labels.
     *
     * <p>At ten thousand services a scrape is about 240,000 data points. As client_java {@code Counter}s,
     * {@code Gauge}s and a {@code Histogram}, every scrape rebuilt, validated and sorted the label set of each
     * of them from a hash map. Here each service holds its {@link Labels} (built once) and its values (plain
     * atomics updated on the event path), services are sorted by name once per scrape, and every family's
     * data points are handed over in the order the snapshot sorts them into, so its sort is one pass. The
     * metadata comes from unregistered client_java metrics of the same definition as before, so names, help,
     * units and types cannot drift from what the families were.
     */
    private final class ServiceFamilies implements MultiCollector {
        private final Map<String, Collector> families = new LinkedHashMap<>();
        private final MetricMetadata status;
        private final MetricMetadata state;
        private final MetricMetadata uptime;
        private final MetricMetadata restarts;
        private final MetricMetadata recoveries;
        private final MetricMetadata checks;
        private final MetricMetadata attempts;
        private final MetricMetadata errors;
        private final MetricMetadata duration;
        private final MetricMetadata lastCheck;
        private final MetricMetadata exits;
        private final MetricMetadata budgetExhausted;
        private final MetricMetadata skipped;
        private final MetricMetadata ladderStep;

        ServiceFamilies() {
            // Exemplars are off: they are useful only with tracing, and they add work to every increment.
            status = family(Gauge.builder()
                    .name("aegis_service_status")
                    .help("Whether the service is up: 1 when it is HEALTHY or DEGRADED, 0 in every other state.")
                    .labelNames("service")
                    .withoutExemplars()
                    .build());
            // One-hot over every state: nine series per service, the largest family at ten thousand services.
            state = family(Gauge.builder()
                    .name("aegis_service_state")
                    .help("The service's current state, one-hot: 1 for the state it is in, 0 for the others.")
                    .labelNames("service", "state")
                    .withoutExemplars()
                    .build());
            uptime = family(Gauge.builder()
                    .name("aegis_service_uptime_seconds")
                    .unit(Unit.SECONDS)
                    .help("Seconds since the service last became HEALTHY or DEGRADED; 0 while it is in any other"
                            + " state.")
                    .labelNames("service")
                    .build());
            restarts = family(Counter.builder()
                    .name("aegis_service_restarts_total")
                    .help("Restarts of the service's workload that the restart action carried out, whether or not"
                            + " the service was healthy after them (aegis_recoveries_total says that).")
                    .labelNames("service")
                    .withoutExemplars()
                    .build());
            recoveries = family(Counter.builder()
                    .name("aegis_recoveries_total")
                    .help("Recoveries by action and verified outcome: succeeded (healthy again within verifyWithin),"
                            + " not_healthy (the action ran but the service was not healthy in time, or exited"
                            + " again), failed (the action failed), skipped (the action had nothing to do).")
                    .labelNames("service", "action", "outcome")
                    .withoutExemplars()
                    .build());
            checks = family(Counter.builder()
                    .name("aegis_health_checks_total")
                    .help("Health check cycles, by the result of the attempt that decided the cycle "
                            + "(healthy, degraded, unhealthy, unknown).")
                    .labelNames("service", "result")
                    .withoutExemplars()
                    .build());
            attempts = family(Counter.builder()
                    .name("aegis_health_check_attempts_total")
                    .help("Health check attempts including retries, by result (healthy, degraded, unhealthy,"
                            + " unknown).")
                    .labelNames("service", "result")
                    .withoutExemplars()
                    .build());
            errors = family(Counter.builder()
                    .name("aegis_health_check_errors_total")
                    .help("Health check cycles that did not pass (unhealthy or unknown), by failure reason.")
                    .labelNames("service", "reason")
                    .withoutExemplars()
                    .build());
            // Classic buckets only: they are what the text format shows and what promtool checks, and a native
            // histogram per service would cost far more memory at ten thousand services.
            duration = family(Histogram.builder()
                    .name("aegis_health_check_duration_seconds")
                    .unit(Unit.SECONDS)
                    .help("Duration of health check attempts, retries included.")
                    .labelNames("service")
                    .classicOnly()
                    .classicUpperBounds(CHECK_DURATION_BUCKETS)
                    .withoutExemplars()
                    .build());
            lastCheck = family(Gauge.builder()
                    .name("aegis_last_health_check_timestamp_seconds")
                    .unit(Unit.SECONDS)
                    .help("Unix time in seconds when the last health check attempt of the service finished; 0"
                            + " before the first (named aegis_last_health_check_timestamp in the original"
                            + " project).")
                    .labelNames("service")
                    .withoutExemplars()
                    .build());
            exits = family(Counter.builder()
                    .name("aegis_workload_exits_total")
                    .help("Times the service's workload ended without the engine asking (crashed or killed).")
                    .labelNames("service")
                    .withoutExemplars()
                    .build());
            budgetExhausted = family(Counter.builder()
                    .name("aegis_recovery_budget_exhausted_total")
                    .help("Times the service spent its recovery budget: then FAILED, or the next step of its recovery"
                            + " ladder.")
                    .labelNames("service")
                    .withoutExemplars()
                    .build());
            skipped = family(Counter.builder()
                    .name("aegis_health_checks_skipped_total")
                    .help("Ticks whose check did not start or did not count, by reason: busy (the previous cycle"
                            + " was still running), no_capacity (global.maxConcurrentBlockingChecks blocking checks"
                            + " were running), overload (global.maxInFlightChecks checks of the type were in flight,"
                            + " or the check timed out while aegis was starved), late (the tick came more than half"
                            + " an interval late).")
                    .labelNames("service", "reason")
                    .withoutExemplars()
                    .build());
            ladderStep = family(Gauge.builder()
                    .name("aegis_recovery_ladder_step")
                    .help("The step of actions.onFailure the service's current incident has reached: 1 for the first"
                            + " action, 2 for the second...; 0 when there is no incident (healthy for resetAfter).")
                    .labelNames("service")
                    .withoutExemplars()
                    .build());
        }

        /** Keeps {@code definition} for its metadata, type and label names; it never holds data. */
        private MetricMetadata family(Collector definition) {
            MetricMetadata metadata = definition.getMetadata();
            families.put(metadata.getPrometheusName(), definition);
            return metadata;
        }

        @Override
        public MetricSnapshots collect() {
            return collect(name -> true);
        }

        @Override
        public MetricSnapshots collect(PrometheusScrapeRequest scrapeRequest) {
            return collect();
        }

        @Override
        public MetricSnapshots collect(Predicate<String> includedNames, PrometheusScrapeRequest scrapeRequest) {
            return collect(includedNames);
        }

        @Override
        public MetricSnapshots collect(Predicate<String> includedNames) {
            ServiceSeries[] all = services.values().toArray(new ServiceSeries[0]);
            // The order of the service label; the one other label of a family sorts before it or after it.
            Arrays.sort(all, Comparator.comparing(series -> series.name));
            List<MetricSnapshot> snapshots = new ArrayList<>(families.size());
            if (includedNames.test(status.getPrometheusName())) {
                List<GaugeDataPointSnapshot> points = new ArrayList<>(all.length);
                for (ServiceSeries series : all) {
                    points.add(new GaugeDataPointSnapshot(isUp(STATES[series.state]) ? 1 : 0, series.labels, null));
                }
                snapshots.add(new GaugeSnapshot(status, points));
            }
            if (includedNames.test(state.getPrometheusName())) {
                List<GaugeDataPointSnapshot> points = new ArrayList<>(all.length * STATES.length);
                for (ServiceSeries series : all) {
                    // Read once, so that a scrape never shows two states at 1.
                    int current = series.state;
                    for (int i : STATES_BY_LABEL) {
                        points.add(new GaugeDataPointSnapshot(i == current ? 1 : 0, series.stateLabels[i], null));
                    }
                }
                snapshots.add(new GaugeSnapshot(state, points));
            }
            if (includedNames.test(uptime.getPrometheusName())) {
                long now = clock.millis();
                List<GaugeDataPointSnapshot> points = new ArrayList<>(all.length);
                for (ServiceSeries series : all) {
                    points.add(new GaugeDataPointSnapshot(series.uptimeSeconds(now), series.labels, null));
                }
                snapshots.add(new GaugeSnapshot(uptime, points));
            }
            if (includedNames.test(lastCheck.getPrometheusName())) {
                List<GaugeDataPointSnapshot> points = new ArrayList<>(all.length);
                for (ServiceSeries series : all) {
                    points.add(new GaugeDataPointSnapshot(series.lastCheckSeconds, series.labels, null));
                }
                snapshots.add(new GaugeSnapshot(lastCheck, points));
            }
            if (includedNames.test(ladderStep.getPrometheusName())) {
                List<GaugeDataPointSnapshot> points = new ArrayList<>(all.length);
                for (ServiceSeries series : all) {
                    points.add(new GaugeDataPointSnapshot(series.ladderStep, series.labels, null));
                }
                snapshots.add(new GaugeSnapshot(ladderStep, points));
            }
            counterPerService(snapshots, includedNames, restarts, all, series -> series.restarts);
            counterPerService(snapshots, includedNames, exits, all, series -> series.workloadExits);
            counterPerService(snapshots, includedNames, budgetExhausted, all, series -> series.budgetExhausted);
            counterPerStatus(snapshots, includedNames, checks, all, series -> series.checksByStatus);
            counterPerStatus(snapshots, includedNames, attempts, all, series -> series.attemptsByStatus);
            counterPerReason(snapshots, includedNames, errors, all, REASONS_BY_LABEL, series -> series.errorsByReason);
            counterPerReason(snapshots, includedNames, skipped, all, SKIP_REASONS_BY_LABEL,
                    series -> series.skippedByReason);
            if (includedNames.test(recoveries.getPrometheusName())) {
                // Few services ever recover, so this family is small: the snapshot sorts it.
                List<CounterDataPointSnapshot> points = new ArrayList<>();
                for (ServiceSeries series : all) {
                    series.recoveriesByAction.values().forEach(cells -> cells.addTo(points));
                }
                snapshots.add(new CounterSnapshot(recoveries, points));
            }
            if (includedNames.test(duration.getPrometheusName())) {
                List<HistogramDataPointSnapshot> points = new ArrayList<>(all.length);
                for (ServiceSeries series : all) {
                    points.add(series.checkDuration.snapshot(series.labels, series.createdMillis));
                }
                snapshots.add(new HistogramSnapshot(duration, points));
            }
            return new MetricSnapshots(snapshots);
        }

        private void counterPerService(List<MetricSnapshot> snapshots, Predicate<String> includedNames,
                MetricMetadata metadata, ServiceSeries[] all, Function<ServiceSeries, LongAdder> counter) {
            if (!includedNames.test(metadata.getPrometheusName())) {
                return;
            }
            List<CounterDataPointSnapshot> points = new ArrayList<>(all.length);
            for (ServiceSeries series : all) {
                points.add(new CounterDataPointSnapshot(counter.apply(series).sum(), series.labels, null,
                        series.createdMillis));
            }
            snapshots.add(new CounterSnapshot(metadata, points));
        }

        /** A {@code result, service} family: the result label sorts first, so results are the outer loop. */
        private void counterPerStatus(List<MetricSnapshot> snapshots, Predicate<String> includedNames,
                MetricMetadata metadata, ServiceSeries[] all, Function<ServiceSeries, LongAdder[]> counters) {
            if (!includedNames.test(metadata.getPrometheusName())) {
                return;
            }
            List<CounterDataPointSnapshot> points = new ArrayList<>(all.length * STATUSES.length);
            for (int status : STATUSES_BY_LABEL) {
                for (ServiceSeries series : all) {
                    points.add(new CounterDataPointSnapshot(counters.apply(series)[status].sum(),
                            series.resultLabels[status], null, series.createdMillis));
                }
            }
            snapshots.add(new CounterSnapshot(metadata, points));
        }

        /** A {@code reason, service} family of series created on first use, reasons as the outer loop. */
        private void counterPerReason(List<MetricSnapshot> snapshots, Predicate<String> includedNames,
                MetricMetadata metadata, ServiceSeries[] all, int[] reasonsByLabel,
                Function<ServiceSeries, AtomicReferenceArray<CounterCell>> cells) {
            if (!includedNames.test(metadata.getPrometheusName())) {
                return;
            }
            List<CounterDataPointSnapshot> points = new ArrayList<>();
            for (int reason : reasonsByLabel) {
                for (ServiceSeries series : all) {
                    CounterCell cell = cells.apply(series).get(reason);
                    if (cell != null) {
                        points.add(cell.snapshot());
                    }
                }
            }
            snapshots.add(new CounterSnapshot(metadata, points));
        }

        @Override
        public List<String> getPrometheusNames() {
            return List.copyOf(families.keySet());
        }

        @Override
        public MetricType getMetricType(String prometheusName) {
            return definition(prometheusName).getMetricType();
        }

        @Override
        public Set<String> getLabelNames(String prometheusName) {
            return definition(prometheusName).getLabelNames();
        }

        @Override
        public MetricMetadata getMetadata(String prometheusName) {
            return definition(prometheusName).getMetadata();
        }

        private Collector definition(String prometheusName) {
            Collector definition = families.get(prometheusName);
            if (definition == null) {
                throw new IllegalArgumentException("no aegis per-service family is named " + prometheusName);
            }
            return definition;
        }
    }

    /** A counter series created on first use, with the labels it was created for. */
    private static final class CounterCell {
        private final Labels labels;
        private final LongAdder count = new LongAdder();
        private final long createdMillis = System.currentTimeMillis();

        CounterCell(Labels labels) {
            this.labels = labels;
        }

        CounterDataPointSnapshot snapshot() {
            return new CounterDataPointSnapshot(count.sum(), labels, null, createdMillis);
        }
    }

    /** The {@code aegis_recoveries_total} series of one service and action, one per outcome. */
    private static final class RecoveryCells {
        private final Labels[] labels = new Labels[OUTCOMES.length];
        private final LongAdder[] counts = new LongAdder[OUTCOMES.length];
        private final long createdMillis = System.currentTimeMillis();

        RecoveryCells(String service, String action) {
            for (int i = 0; i < OUTCOMES.length; i++) {
                labels[i] = Labels.of("service", service, "action", action, "outcome", OUTCOME_LABELS[i]);
                counts[i] = new LongAdder();
            }
        }

        void addTo(List<CounterDataPointSnapshot> points) {
            for (int i = 0; i < OUTCOMES.length; i++) {
                points.add(new CounterDataPointSnapshot(counts[i].sum(), labels[i], null, createdMillis));
            }
        }
    }

    /**
     * The classic buckets of one service's check durations. One lock rather than an adder per bucket: the count
     * (the sum of the buckets) and the sum of a snapshot then agree, as they did with client_java's histogram,
     * and a service's checks are observed from its one logical thread, so the lock is all but never contended.
     */
    private static final class DurationBuckets {
        /** Observations per bucket (not cumulative), the last the {@code +Inf} bucket. Guarded by {@code this}. */
        private final long[] counts = new long[UPPER_BOUNDS.length];
        /** Guarded by {@code this}. */
        private double sum;

        void observe(double seconds) {
            int bucket = 0;
            while (bucket < UPPER_BOUNDS.length - 1 && !(seconds <= UPPER_BOUNDS[bucket])) {
                bucket++;
            }
            synchronized (this) {
                counts[bucket]++;
                sum += seconds;
            }
        }

        HistogramDataPointSnapshot snapshot(Labels labels, long createdMillis) {
            long[] copy;
            double sumNow;
            synchronized (this) {
                copy = counts.clone();
                sumNow = sum;
            }
            return new HistogramDataPointSnapshot(ClassicHistogramBuckets.of(UPPER_BOUNDS, copy), sumNow, labels,
                    Exemplars.EMPTY, createdMillis);
        }
    }

    /**
     * The values and labels of one service. An event updates a few atomics and allocates nothing; the labels of
     * every series are built once, here, in the form and order a snapshot needs.
     */
    private static final class ServiceSeries {
        private final String name;
        /** When the series were created (client_java's created timestamp, shown only where it is enabled). */
        private final long createdMillis = System.currentTimeMillis();
        /** {@code service}: the labels of every family with no other label. */
        private final Labels labels;
        /** The {@code service, state} labels of each state, by ordinal. */
        private final Labels[] stateLabels = new Labels[STATES.length];
        /** The {@code result, service} labels of each health status, by ordinal. */
        private final Labels[] resultLabels = new Labels[STATUSES.length];
        /** The ordinal of the current state; written by the service's one logical thread. */
        private volatile int state = ServiceState.UNKNOWN.ordinal();
        private final LongAdder restarts = new LongAdder();
        private final LongAdder[] checksByStatus = adders(STATUSES.length);
        private final LongAdder[] attemptsByStatus = adders(STATUSES.length);
        /** Filled on first use. */
        private final AtomicReferenceArray<CounterCell> errorsByReason = new AtomicReferenceArray<>(REASONS.length);
        /** Filled on first use. */
        private final AtomicReferenceArray<CounterCell> skippedByReason =
                new AtomicReferenceArray<>(SKIP_REASONS.length);
        private final DurationBuckets checkDuration = new DurationBuckets();
        /** The current incident's ladder step from 1, 0 without an incident; written by the service's one thread. */
        private volatile int ladderStep;
        /** Unix seconds when the last check attempt finished, 0 before the first. */
        private volatile double lastCheckSeconds;
        private final LongAdder workloadExits = new LongAdder();
        private final LongAdder budgetExhausted = new LongAdder();
        /** Per action name; action names come from config and plugins. */
        private final ConcurrentMap<String, RecoveryCells> recoveriesByAction = new ConcurrentHashMap<>();
        /** Epoch millis when the service last became HEALTHY or DEGRADED, or {@link #NOT_HEALTHY}. */
        private volatile long healthySinceMillis = NOT_HEALTHY;

        ServiceSeries(String name) {
            this.name = name;
            labels = Labels.of("service", name);
            for (int i = 0; i < STATES.length; i++) {
                stateLabels[i] = Labels.of("service", name, "state", STATE_LABELS[i]);
            }
            for (int i = 0; i < STATUSES.length; i++) {
                resultLabels[i] = Labels.of("service", name, "result", STATUS_LABELS[i]);
            }
        }

        void checkCompleted(CheckCompleted event) {
            checkCompleted(event.result(), event.at(), event.finalAttempt());
        }

        void checkCompleted(CheckResult result, Instant at, boolean finalAttempt) {
            int status = result.status().ordinal();
            attemptsByStatus[status].increment();
            checkDuration.observe(seconds(result.latency()));
            lastCheckSeconds = epochSeconds(at);
            if (finalAttempt) {
                checksByStatus[status].increment();
                if (!result.isPassing()) {
                    // A result that does not pass always has a reason (CheckResult enforces it); the fallback
                    // only guards against a future change there.
                    errors(result.failureReason().orElse(FailureReason.PLUGIN_ERROR)).increment();
                }
            }
        }

        void stateChanged(StateChanged event) {
            ServiceState to = event.to();
            // Events of one service arrive in order from one logical thread, so these writes do not race.
            state = to.ordinal();
            if (isUp(to)) {
                // HEALTHY <-> DEGRADED keeps the uptime running; only coming up from a down state resets it.
                if (!isUp(event.from()) || healthySinceMillis == NOT_HEALTHY) {
                    healthySinceMillis = event.at().toEpochMilli();
                }
            } else {
                healthySinceMillis = NOT_HEALTHY;
            }
        }

        void recoveryFinished(RecoveryFinished event) {
            if (event.outcome().result() == ActionOutcome.Result.SUCCEEDED && RESTART_ACTION.equals(event.action())) {
                restarts.increment();
            }
        }

        void recoveryConcluded(RecoveryConcluded event) {
            // All outcomes of an action appear together, so a failure rate has a denominator at once.
            RecoveryCells cells = recoveriesByAction.get(event.action());
            if (cells == null) {
                cells = recoveriesByAction.computeIfAbsent(event.action(), action -> new RecoveryCells(name, action));
            }
            cells.counts[event.outcome().ordinal()].increment();
        }

        double uptimeSeconds(long nowMillis) {
            long since = healthySinceMillis;
            if (since == NOT_HEALTHY) {
                return 0;
            }
            return Math.max(0, nowMillis - since) / 1000.0;
        }

        private LongAdder errors(FailureReason reason) {
            return cell(errorsByReason, reason.ordinal(), "reason", reason.label());
        }

        LongAdder skipped(SkippedChecks.Reason reason) {
            return cell(skippedByReason, reason.ordinal(), "reason", reason.label());
        }

        private LongAdder cell(AtomicReferenceArray<CounterCell> cells, int index, String labelName, String label) {
            CounterCell cell = cells.get(index);
            if (cell == null) {
                // A racing thread may have stored one first: count into that one.
                cells.compareAndSet(index, null, new CounterCell(Labels.of("service", name, labelName, label)));
                cell = cells.get(index);
            }
            return cell.count;
        }

        private static LongAdder[] adders(int n) {
            LongAdder[] adders = new LongAdder[n];
            for (int i = 0; i < n; i++) {
                adders[i] = new LongAdder();
            }
            return adders;
        }
    }

    /** {@code aegis_events_dropped_total{subscriber}}, read from the event bus at scrape time. */
    private static final class DroppedEvents implements Collector {
        private final MetricMetadata metadata = Counter.builder()
                .name("aegis_events_dropped_total")
                .help("Events a slow or blocked event listener did not get because its queue was full, by subscriber"
                        + " (the listener's class, or the class that declared the lambda).")
                .labelNames("subscriber")
                .build().getMetadata();
        private volatile Supplier<Map<String, Long>> source = Map::of;

        @Override
        public MetricSnapshot collect() {
            List<CounterDataPointSnapshot> points = new ArrayList<>();
            source.get().forEach((subscriber, count) -> points.add(new CounterDataPointSnapshot(count,
                    Labels.of("subscriber", subscriber), null, 0)));
            return new CounterSnapshot(metadata, points);
        }

        @Override
        public String getPrometheusName() {
            return metadata.getPrometheusName();
        }

        @Override
        public MetricType getMetricType() {
            return MetricType.COUNTER;
        }

        @Override
        public Set<String> getLabelNames() {
            return Set.of("subscriber");
        }

        @Override
        public MetricMetadata getMetadata() {
            return metadata;
        }
    }
}
