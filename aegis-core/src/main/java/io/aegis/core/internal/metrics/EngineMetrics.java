package io.aegis.core.internal.metrics;

import io.aegis.api.ActionOutcome;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthStatus;
import io.aegis.api.ServiceState;
import io.aegis.api.event.CheckCompleted;
import io.aegis.api.event.RecoveryBudgetExhausted;
import io.aegis.api.event.RecoveryConcluded;
import io.aegis.api.event.RecoveryFinished;
import io.aegis.api.event.ServiceEvent;
import io.aegis.api.event.StateChanged;
import io.aegis.api.event.WorkloadExited;
import io.aegis.core.internal.SkippedChecks;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
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
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
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
 * <p>{@code onEvent} sits on the hot path of every check of every service, so the data points of each
 * service are looked up once and cached; an event costs one map lookup and a few atomic adds.
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
    /** State ordinals in the order of their labels: the order a snapshot sorts its data points into. */
    private static final int[] STATES_BY_LABEL = java.util.stream.IntStream.range(0, STATES.length).boxed()
            .sorted(Comparator.comparing(i -> STATE_LABELS[i])).mapToInt(Integer::intValue).toArray();
    private static final String SERVICE_STATE = "aegis_service_state";
    private static final RecoveryConcluded.Outcome[] OUTCOMES = RecoveryConcluded.Outcome.values();
    private static final String[] OUTCOME_LABELS = lowerCaseNames(OUTCOMES);
    private static final FailureReason[] REASONS = FailureReason.values();

    /** {@link ServiceSeries#healthySinceMillis} when the service is not healthy. */
    private static final long NOT_HEALTHY = Long.MIN_VALUE;

    private final Clock clock;
    private final ConcurrentMap<String, ServiceSeries> services = new ConcurrentHashMap<>();
    private final AtomicBoolean failureLogged = new AtomicBoolean();

    private final Gauge serviceStatus;
    private final Counter serviceRestarts;
    private final Counter recoveries;
    private final Counter healthChecks;
    private final Counter healthCheckAttempts;
    private final Counter healthCheckErrors;
    private final Histogram healthCheckDuration;
    private final Gauge lastHealthCheckTimestamp;
    private final Counter workloadExits;
    private final Counter budgetExhausted;
    private final Counter checksSkipped;

    /**
     * Registers every aegis metric into {@code registry}. JVM and process metrics are separate: see
     * {@link #registerJvmMetrics(PrometheusRegistry)}.
     *
     * @param registry this engine's registry; must not already hold aegis metrics
     * @param clock the engine's clock, read at scrape time for {@code aegis_service_uptime_seconds}
     * @throws IllegalArgumentException if {@code registry} already holds a metric of the same name
     */
    public EngineMetrics(PrometheusRegistry registry, Clock clock) {
        Objects.requireNonNull(registry, "registry");
        this.clock = Objects.requireNonNull(clock, "clock");

        // Exemplars are off: they are useful only with tracing, and they add work to every increment.
        serviceStatus = Gauge.builder()
                .name("aegis_service_status")
                .help("Whether the service is up: 1 when it is HEALTHY or DEGRADED, 0 in every other state.")
                .labelNames("service")
                .withoutExemplars()
                .register(registry);
        // One-hot over every state: seven series per service, the largest family at ten thousand services. A
        // collector of our own composes it from each service's cached labels in sorted order, rather than a
        // Gauge rebuilding, validating and sorting 70,000 label sets per scrape (see ServiceStateCollector).
        registry.register(new ServiceStateCollector());
        GaugeWithCallback.builder()
                .name("aegis_service_uptime_seconds")
                .unit(Unit.SECONDS)
                .help("Seconds since the service last became HEALTHY or DEGRADED; 0 while it is in any other state.")
                .labelNames("service")
                .callback(callback -> {
                    long now = this.clock.millis();
                    services.forEach((name, series) -> callback.call(series.uptimeSeconds(now), name));
                })
                .register(registry);
        serviceRestarts = Counter.builder()
                .name("aegis_service_restarts_total")
                .help("Restarts of the service's workload that the restart action carried out, whether or not the"
                        + " service was healthy after them (aegis_recoveries_total says that).")
                .labelNames("service")
                .withoutExemplars()
                .register(registry);
        recoveries = Counter.builder()
                .name("aegis_recoveries_total")
                .help("Recoveries by action and verified outcome: succeeded (healthy again within verifyWithin),"
                        + " not_healthy (the action ran but the service was not healthy in time, or exited again),"
                        + " failed (the action failed), skipped (the action had nothing to do).")
                .labelNames("service", "action", "outcome")
                .withoutExemplars()
                .register(registry);
        healthChecks = Counter.builder()
                .name("aegis_health_checks_total")
                .help("Health check cycles, by the result of the attempt that decided the cycle "
                        + "(healthy, degraded, unhealthy, unknown).")
                .labelNames("service", "result")
                .withoutExemplars()
                .register(registry);
        healthCheckAttempts = Counter.builder()
                .name("aegis_health_check_attempts_total")
                .help("Health check attempts including retries, by result (healthy, degraded, unhealthy, unknown).")
                .labelNames("service", "result")
                .withoutExemplars()
                .register(registry);
        healthCheckErrors = Counter.builder()
                .name("aegis_health_check_errors_total")
                .help("Health check cycles that did not pass (unhealthy or unknown), by failure reason.")
                .labelNames("service", "reason")
                .withoutExemplars()
                .register(registry);
        // Classic buckets only: they are what the text format shows and what promtool checks, and a native
        // histogram per service would cost far more memory at ten thousand services.
        healthCheckDuration = Histogram.builder()
                .name("aegis_health_check_duration_seconds")
                .unit(Unit.SECONDS)
                .help("Duration of health check attempts, retries included.")
                .labelNames("service")
                .classicOnly()
                .classicUpperBounds(CHECK_DURATION_BUCKETS)
                .withoutExemplars()
                .register(registry);
        lastHealthCheckTimestamp = Gauge.builder()
                .name("aegis_last_health_check_timestamp_seconds")
                .unit(Unit.SECONDS)
                .help("Unix time in seconds when the last health check attempt of the service finished; 0 before "
                        + "the first (named aegis_last_health_check_timestamp in the original project).")
                .labelNames("service")
                .withoutExemplars()
                .register(registry);
        workloadExits = Counter.builder()
                .name("aegis_workload_exits_total")
                .help("Times the service's workload ended without the engine asking (crashed or killed).")
                .labelNames("service")
                .withoutExemplars()
                .register(registry);
        budgetExhausted = Counter.builder()
                .name("aegis_recovery_budget_exhausted_total")
                .help("Times the service spent its recovery budget and was marked FAILED.")
                .labelNames("service")
                .withoutExemplars()
                .register(registry);
        checksSkipped = Counter.builder()
                .name("aegis_health_checks_skipped_total")
                .help("Ticks whose check did not start, by reason: busy (the previous cycle was still running), "
                        + "no_capacity (global.maxConcurrentBlockingChecks blocking checks were running).")
                .labelNames("service", "reason")
                .withoutExemplars()
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
     * Creates the series of a service at 0, so they are there before its first check. Calling it again
     * for the same service changes nothing.
     *
     * @param serviceName the service's name, used as the {@code service} label
     */
    public void serviceAdded(String serviceName) {
        Objects.requireNonNull(serviceName, "serviceName");
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
        if (services.remove(serviceName) == null) {
            return;
        }
        serviceStatus.remove(serviceName);
        serviceRestarts.remove(serviceName);
        recoveries.removeIf(labels -> serviceName.equals(labels.get(0)));
        for (String status : STATUS_LABELS) {
            healthChecks.remove(serviceName, status);
            healthCheckAttempts.remove(serviceName, status);
        }
        healthCheckErrors.removeIf(labels -> serviceName.equals(labels.get(0)));
        healthCheckDuration.remove(serviceName);
        lastHealthCheckTimestamp.remove(serviceName);
        workloadExits.remove(serviceName);
        budgetExhausted.remove(serviceName);
        checksSkipped.removeIf(labels -> serviceName.equals(labels.get(0)));
    }

    /**
     * Counts a tick of {@code serviceName} whose check did not start. The series of a reason appears with its
     * first skip (most services never skip). Never throws.
     */
    public void checkSkipped(String serviceName, SkippedChecks.Reason reason) {
        try {
            checksSkipped.labelValues(serviceName, reason.label()).inc();
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
        if (event == null) {
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
                series.workloadExits.inc();
            } else if (event instanceof RecoveryBudgetExhausted) {
                series.budgetExhausted.inc();
            }
            // RecoveryStarted has no metric: aegis_recoveries_total counts recoveries when their outcome is known.
        } catch (RuntimeException e) {
            if (failureLogged.compareAndSet(false, true)) {
                LOG.warn("{}: could not update metrics for {}; further failures are logged at debug",
                        event.serviceName(), event.getClass().getSimpleName(), e);
            } else {
                LOG.debug("{}: could not update metrics for {}", event.serviceName(), event, e);
            }
        }
    }

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

    /**
     * {@code aegis_service_state}, composed at scrape time from each service's current state and cached labels.
     * Services go in name order and states in label order, the order the snapshot sorts data points into, so
     * its sort is one pass; a scrape also reads each service's state once, so it never shows two states at 1.
     */
    private final class ServiceStateCollector implements Collector {
        @Override
        public MetricSnapshot collect() {
            List<ServiceSeries> all = new ArrayList<>(services.values());
            all.sort(Comparator.comparing(series -> series.name));
            GaugeSnapshot.Builder snapshot = GaugeSnapshot.builder()
                    .name(SERVICE_STATE)
                    .help("The service's current state, one-hot: 1 for the state it is in, 0 for the others.");
            for (ServiceSeries series : all) {
                int current = series.state;
                for (int i : STATES_BY_LABEL) {
                    snapshot.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                            .labels(series.stateLabels[i])
                            .value(i == current ? 1 : 0)
                            .build());
                }
            }
            return snapshot.build();
        }

        @Override
        public String getPrometheusName() {
            return SERVICE_STATE;
        }
    }

    /** The cached data points of one service, so that an event needs no label lookup. */
    private final class ServiceSeries {
        private final String name;
        private final GaugeDataPoint status;
        /** The {@code service, state} labels of each state, built once. */
        private final Labels[] stateLabels = new Labels[STATES.length];
        /** The ordinal of the current state; written by the service's one logical thread. */
        private volatile int state = ServiceState.UNKNOWN.ordinal();
        private final CounterDataPoint restarts;
        private final CounterDataPoint[] checksByStatus = new CounterDataPoint[STATUSES.length];
        private final CounterDataPoint[] attemptsByStatus = new CounterDataPoint[STATUSES.length];
        /** Filled on first use; a race fills a slot twice with the same data point, which is harmless. */
        private final AtomicReferenceArray<CounterDataPoint> errorsByReason =
                new AtomicReferenceArray<>(REASONS.length);
        private final DistributionDataPoint checkDuration;
        private final GaugeDataPoint lastCheckTimestamp;
        private final CounterDataPoint workloadExits;
        private final CounterDataPoint budgetExhausted;
        /** Per action name, the data points by outcome; action names come from config and plugins. */
        private final ConcurrentMap<String, CounterDataPoint[]> recoveriesByAction = new ConcurrentHashMap<>();
        /** Epoch millis when the service last became HEALTHY or DEGRADED, or {@link #NOT_HEALTHY}. */
        private volatile long healthySinceMillis = NOT_HEALTHY;

        ServiceSeries(String name) {
            this.name = name;
            status = serviceStatus.labelValues(name);
            status.set(0);
            for (int i = 0; i < STATES.length; i++) {
                stateLabels[i] = Labels.of("service", name, "state", STATE_LABELS[i]);
            }
            restarts = serviceRestarts.labelValues(name);
            for (int i = 0; i < STATUSES.length; i++) {
                checksByStatus[i] = healthChecks.labelValues(name, STATUS_LABELS[i]);
                attemptsByStatus[i] = healthCheckAttempts.labelValues(name, STATUS_LABELS[i]);
            }
            checkDuration = healthCheckDuration.labelValues(name);
            lastCheckTimestamp = lastHealthCheckTimestamp.labelValues(name);
            workloadExits = EngineMetrics.this.workloadExits.labelValues(name);
            budgetExhausted = EngineMetrics.this.budgetExhausted.labelValues(name);
        }

        void checkCompleted(CheckCompleted event) {
            CheckResult result = event.result();
            int status = result.status().ordinal();
            attemptsByStatus[status].inc();
            checkDuration.observe(seconds(result.latency()));
            lastCheckTimestamp.set(epochSeconds(event.at()));
            if (event.finalAttempt()) {
                checksByStatus[status].inc();
                if (!result.isPassing()) {
                    // A result that does not pass always has a reason (CheckResult enforces it); the fallback
                    // only guards against a future change there.
                    errors(result.failureReason().orElse(FailureReason.PLUGIN_ERROR)).inc();
                }
            }
        }

        void stateChanged(StateChanged event) {
            ServiceState to = event.to();
            // Events of one service arrive in order from one logical thread, so these writes do not race.
            state = to.ordinal();
            if (isUp(to)) {
                status.set(1);
                // HEALTHY <-> DEGRADED keeps the uptime running; only coming up from a down state resets it.
                if (!isUp(event.from()) || healthySinceMillis == NOT_HEALTHY) {
                    healthySinceMillis = event.at().toEpochMilli();
                }
            } else {
                status.set(0);
                healthySinceMillis = NOT_HEALTHY;
            }
        }

        void recoveryFinished(RecoveryFinished event) {
            if (event.outcome().result() == ActionOutcome.Result.SUCCEEDED && RESTART_ACTION.equals(event.action())) {
                restarts.inc();
            }
        }

        void recoveryConcluded(RecoveryConcluded event) {
            CounterDataPoint[] byOutcome = recoveriesByAction.get(event.action());
            if (byOutcome == null) {
                byOutcome = recoveriesByAction.computeIfAbsent(event.action(), this::recoveryDataPoints);
            }
            byOutcome[event.outcome().ordinal()].inc();
        }

        double uptimeSeconds(long nowMillis) {
            long since = healthySinceMillis;
            if (since == NOT_HEALTHY) {
                return 0;
            }
            return Math.max(0, nowMillis - since) / 1000.0;
        }

        private CounterDataPoint errors(FailureReason reason) {
            CounterDataPoint dataPoint = errorsByReason.get(reason.ordinal());
            if (dataPoint == null) {
                // labelValues returns the one data point of these labels, so a racing thread stores the same.
                dataPoint = healthCheckErrors.labelValues(name, reason.label());
                errorsByReason.set(reason.ordinal(), dataPoint);
            }
            return dataPoint;
        }

        private CounterDataPoint[] recoveryDataPoints(String action) {
            // All outcomes of an action appear together, so a failure rate has a denominator at once.
            CounterDataPoint[] byOutcome = new CounterDataPoint[OUTCOMES.length];
            for (int i = 0; i < OUTCOMES.length; i++) {
                byOutcome[i] = recoveries.labelValues(name, action, OUTCOME_LABELS[i]);
            }
            return byOutcome;
        }
    }
}
