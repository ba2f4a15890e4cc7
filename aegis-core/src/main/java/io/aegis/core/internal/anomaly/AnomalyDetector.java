package io.aegis.core.internal.anomaly;

import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.core.event.AnomalyDetected;
import io.aegis.core.event.AnomalyResolved;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.EventBus;
import io.aegis.core.internal.Scheduler;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Anomaly detection ({@code anomaly_detection:}): every {@code detection_interval} each service's signals are
 * measured over the interval just ended and judged ({@link SignalJudge}) against their static thresholds and learned
 * baselines. An anomaly that begins is published ({@link AnomalyDetected}), fires a standing alert (resolved when the
 * anomaly ends, not when a check passes), makes the service DEGRADED while its checks pass, and hands the block's
 * {@code action} to the service's recovery; one that ends is published ({@link AnomalyResolved}) and resolves its
 * alert.
 *
 * <p>Signals come from the service's health checks ({@code checks}): latency is the mean latency of the check
 * cycles that ended in the interval, error rate the share of them that failed; and from the sources a service names
 * ({@code metrics:}, {@code query:}), which give throughput and take over the signals they measure. An interval
 * without a sample gives nothing to judge (nothing is judged, nothing learned). Evaluations run on the engine's
 * scheduler thread under this object's lock; check results arrive on the monitors' threads and take only their
 * service's lock, so a check never waits behind an evaluation.
 */
public final class AnomalyDetector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AnomalyDetector.class);
    /** Where signals measured from health-check results come from, in events and alerts. */
    static final String CHECKS = "checks";

    /** What an anomaly does to the rest of the engine. */
    public interface Actions {
        /** {@code service} has an anomalous signal now ({@code true}), or none any more. */
        void anomalous(String service, boolean anomalous, String cause);

        /** The block's {@code action} (not none) for an anomaly of {@code service} that began: {@code cause} says what. */
        void act(String service, String cause);

        /** Whether {@code service}'s alerts are held (paused for maintenance): its anomalies raise no alert then. */
        default boolean alertsHeld(String service) {
            return false;
        }
    }

    /** Reads the signals at scrape time. */
    public interface SignalVisitor {
        /**
         * One judged signal of one service: its last value, its baseline's mean and bounds (NaN while there is none),
         * whether it is anomalous, and how many anomalies of it began.
         */
        void signal(String service, Signal signal, double value, double mean, double lower, double upper,
                boolean anomalous, long anomalies);
    }

    private final AnomalyConfig config;
    private final Alerts alerts;
    private final EventBus bus;
    private final Clock clock;
    private final Scheduler scheduler;
    private final Actions actions;
    private final Map<String, ServiceSignals> services = new ConcurrentHashMap<>();
    private final ScrapeClient client = new ScrapeClient();
    private Scheduler.Task evaluations;
    private boolean started;
    private boolean closed;

    /** A detector evaluating as {@code config} says, raising through {@code alerts}, publishing on {@code bus}. */
    public AnomalyDetector(AnomalyConfig config, Alerts alerts, EventBus bus, Clock clock, Scheduler scheduler,
            Actions actions) {
        this.config = Objects.requireNonNull(config, "config");
        this.alerts = Objects.requireNonNull(alerts, "alerts");
        this.bus = Objects.requireNonNull(bus, "bus");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.actions = Objects.requireNonNull(actions, "actions");
    }

    /**
     * Watches {@code service}: its check results, and {@code sources} ({@code metrics:}, {@code query:}) for the
     * signals they give (which then are not taken from the checks), with {@code thresholds} (those of the
     * configuration that name it, in the signal's unit; empty for none). A signal with neither a threshold nor a
     * baseline is not judged; throughput only where a source measures it.
     */
    public synchronized void watch(String service, Map<Signal, Double> thresholds, SignalSourceConfig sources) {
        watch(service, thresholds, sources, null, Set.of(), null);
    }

    /**
     * As {@link #watch(String, Map, SignalSourceConfig)}, with {@code plugin} (the third-party source its
     * {@code signals:} block made, measuring {@code pluginSignals}, called on {@code pluginCalls}), or null.
     */
    public synchronized void watch(String service, Map<Signal, Double> thresholds, SignalSourceConfig sources,
            io.aegis.api.SignalSource plugin, Set<Signal> pluginSignals, java.util.concurrent.Executor pluginCalls) {
        forget(service);
        List<SignalSource> made = new ArrayList<>();
        if (plugin != null) {
            made.add(new PluginSignalSource(service, sources.plugin().map(SignalSourceConfig.Plugin::type)
                    .orElse("plugin"), plugin, pluginSignals, pluginCalls));
        }
        sources.metrics().ifPresent(metrics -> made.add(new MetricsSource(service, metrics,
                config.detectionInterval(), client, scheduler)));
        sources.query().ifPresent(query -> made.add(new QuerySource(service, query, config.detectionInterval(),
                client, scheduler)));
        Map<Signal, String> sourceOf = new EnumMap<>(Signal.class);
        sourceOf.put(Signal.LATENCY, CHECKS);
        sourceOf.put(Signal.ERROR_RATE, CHECKS);
        made.forEach(source -> source.signals().forEach(signal -> sourceOf.put(signal, source.kind())));
        Map<Signal, SignalJudge> judges = new EnumMap<>(Signal.class);
        for (Signal signal : sourceOf.keySet()) {
            Double threshold = thresholds.get(signal);
            if (threshold == null && !config.baselines()) {
                continue;
            }
            judges.put(signal, SignalJudge.of(signal, threshold == null ? Double.NaN : threshold, config));
        }
        if (judges.isEmpty()) {
            return;
        }
        ServiceSignals signals = new ServiceSignals(service, judges, sourceOf, made);
        services.put(service, signals);
        if (started) {
            made.forEach(SignalSource::start);
        }
    }

    /** Whether {@code service}'s {@code signal} is measured (by its checks, or a source it has). */
    public synchronized boolean measures(String service, Signal signal) {
        ServiceSignals signals = services.get(service);
        return signals != null && signals.sourceOf.containsKey(signal);
    }

    /** Stops watching {@code service} (removed from the engine): its anomalies end without a resolution of their own. */
    public synchronized void forget(String service) {
        ServiceSignals gone = services.remove(service);
        if (gone != null) {
            gone.sources.forEach(SignalSource::close);
        }
    }

    /** The services watched. */
    public List<String> services() {
        return List.copyOf(services.keySet());
    }

    /** Evaluates every {@code detection_interval} from now on. */
    public synchronized void start() {
        if (closed) {
            return;
        }
        started = true; // services watched later (Engine.addService) start their sources at once
        services.values().forEach(signals -> signals.sources.forEach(SignalSource::start));
        try {
            evaluations = scheduler.scheduleAtFixedRate(this::evaluate, config.detectionInterval(),
                    config.detectionInterval());
        } catch (RejectedExecutionException e) {
            log.debug("anomalies not evaluated: the engine is shutting down");
        }
    }

    /**
     * What the monitors tell of their checks ({@code CheckMetrics.Recorder}, called on the monitor's thread): one
     * recorder per service, looked up at each call since the service may be watched later, or again.
     */
    public io.aegis.core.internal.CheckMetrics.Recorder recorder(String service) {
        return new io.aegis.core.internal.CheckMetrics.Recorder() {
            @Override
            public void checkCompleted(CheckResult result, Instant at, boolean finalAttempt) {
                // only the call that knows the service's state counts
            }

            @Override
            public void checkCompleted(CheckResult result, Instant at, boolean finalAttempt, boolean normal) {
                AnomalyDetector.this.checkCompleted(service, result, finalAttempt, normal);
            }
        };
    }

    /**
     * Takes one check result into the current interval's measurements. Only a cycle's last attempt counts, as for the
     * service's state; only while the service is {@code normal} (HEALTHY or DEGRADED: the failures of a start, of
     * an outage or of a recovery are the health checks' to report, and a baseline learning them would
     * take 100% failures for normal); never a "could not tell" (the checker itself failed). Latency is that of the
     * passing cycles: a timeout says nothing of how fast the service answers.
     */
    public void checkCompleted(String service, CheckResult result, boolean finalAttempt, boolean normal) {
        if (!finalAttempt || !normal || result.failureReason().filter(reason -> reason
                == io.aegis.api.FailureReason.PLUGIN_ERROR).isPresent()) {
            return;
        }
        ServiceSignals signals = services.get(service);
        if (signals == null) {
            return;
        }
        // The service's own lock, not the detector's: this runs for every check of every service, on the checkers'
        // loops, and must not wait behind an evaluation or a scrape of metrics.
        synchronized (signals) {
            signals.cycles++;
            if (result.isPassing()) {
                signals.passing++;
                signals.latencyMillisSum += result.latency().toNanos() / 1e6;
            } else {
                signals.failures++;
            }
        }
    }

    /** Judges every watched signal on what the interval just ended measured; a failure is logged, not fatal. */
    void evaluate() {
        try {
            evaluateNow();
        } catch (RuntimeException e) {
            // a periodic task that throws is never run again: this one must go on
            log.error("anomaly detection: an evaluation failed; the next one runs as planned", e);
        }
    }

    private void evaluateNow() {
        List<Runnable> effects = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            Instant now = clock.instant();
            double[] values = new double[Signal.values().length];
            for (ServiceSignals signals : services.values()) {
                java.util.Arrays.fill(values, Double.NaN);
                synchronized (signals) {
                    values[Signal.LATENCY.ordinal()] = signals.passing == 0 ? Double.NaN
                            : signals.latencyMillisSum / signals.passing;
                    values[Signal.ERROR_RATE.ordinal()] = signals.cycles == 0 ? Double.NaN
                            : (double) signals.failures / signals.cycles;
                    signals.cycles = 0;
                    signals.passing = 0;
                    signals.failures = 0;
                    signals.latencyMillisSum = 0;
                }
                signals.sources.forEach(source -> source.drain(values)); // what a source measures wins over checks
                signals.evaluations++;
                boolean wasAnomalous = signals.anyAnomalous();
                List<Runnable> ofService = new ArrayList<>();
                String firstCause = null;
                String lastEnded = null;
                for (SignalJudge judge : signals.judges.values()) {
                    double value = values[judge.signal().ordinal()];
                    SignalJudge.Change change = Double.isNaN(value) ? judge.unmeasured(now) : judge.evaluate(value, now);
                    if (change == SignalJudge.Change.BEGAN) {
                        String cause = cause(signals, judge);
                        firstCause = firstCause == null ? judge.signal().label() + " anomaly: " + cause : firstCause;
                        ofService.add(began(signals, judge, now, cause));
                    } else if (change == SignalJudge.Change.ENDED) {
                        lastEnded = judge.signal().label() + " anomaly ended: " + judge.endedBecause();
                        ofService.add(ended(signals, judge, now));
                    }
                }
                settleRestored(signals, ofService);
                // the service's state changes once per evaluation, whichever signals began or ended in it
                boolean isAnomalous = signals.anyAnomalous();
                if (isAnomalous != wasAnomalous) {
                    String cause = isAnomalous ? firstCause : lastEnded;
                    ofService.add(() -> actions.anomalous(signals.name, isAnomalous, cause));
                }
                if (!ofService.isEmpty()) {
                    // Run only while the service is still this one: removed (or removed and added again) meanwhile,
                    // its effects would raise an alert nobody resolves, or make the new one DEGRADED.
                    effects.add(() -> {
                        if (current(signals)) {
                            ofService.forEach(Runnable::run);
                        }
                    });
                }
            }
        }
        // Outside the lock: raising an alert or handing an action over must not hold up the checks' results.
        effects.forEach(Runnable::run);
    }

    private synchronized boolean current(ServiceSignals signals) {
        return !closed && services.get(signals.name) == signals;
    }

    private String cause(ServiceSignals signals, SignalJudge judge) {
        return measured(judge.signal(), signals.sourceOf.get(judge.signal())) + " "
                + judge.signal().format(judge.lastValue()) + " is " + outside(judge) + " (" + config.forEvaluations()
                + " evaluation" + (config.forEvaluations() == 1 ? "" : "s in a row") + ")";
    }

    private Runnable began(ServiceSignals signals, SignalJudge judge, Instant now, String cause) {
        String service = signals.name;
        Signal signal = judge.signal();
        SignalJudge.Judgement judgement = judge.lastJudgement();
        double value = judge.lastValue();
        String source = signals.sourceOf.get(signal);
        Alert alert = alertOf(service, signal).summary(service + ": " + cause).build();
        signals.fingerprints.put(signal, alerts.fingerprintOf(alert));
        signals.restored.remove(signal); // the alert the last run left is this one: it goes on
        return () -> {
            // INFO: the alert's own line is the WARN (none while the service is paused)
            log.info("{}: {} anomaly: {}", service, signal.label(), cause);
            bus.publish(new AnomalyDetected(service, now, signal.key(), value, judgement.lower(), judgement.upper(),
                    judgement.method(), source));
            if (actions.alertsHeld(service)) {
                log.debug("{}: {} anomaly while paused: no alert", service, signal.label());
            } else {
                alerts.raiseStanding(alert);
            }
            if (config.action() != io.aegis.core.internal.logs.LogsConfig.Action.NONE) {
                actions.act(service, signal.label() + " anomaly: " + cause);
            }
        };
    }

    private Runnable ended(ServiceSignals signals, SignalJudge judge, Instant now) {
        String service = signals.name;
        Signal signal = judge.signal();
        double value = judge.lastValue();
        String fingerprint = signals.fingerprints.remove(signal);
        String because = judge.endedBecause();
        return () -> {
            log.info("{}: {} anomaly ended: {}", service, signal.label(), because);
            bus.publish(new AnomalyResolved(service, now, signal.key(), value));
            if (fingerprint != null) {
                alerts.resolveFingerprint(fingerprint);
            }
        };
    }

    /**
     * Takes over the anomaly alerts the last run left firing for the watched services (before the rules' start
     * resolves every restored alert no one raises): baselines are not kept across runs, so each stands until its
     * signal has been judged again, and is resolved unless the anomaly is found again by then (warm-up plus
     * {@code for} evaluations), instead of a resolved and a new firing notification at every restart of aegis.
     */
    public synchronized void adoptRestoredAlerts() {
        int adopted = 0;
        for (ServiceSignals signals : services.values()) {
            for (Signal signal : signals.judges.keySet()) {
                String fingerprint = alerts.fingerprintOf(alertOf(signals.name, signal).build());
                if (alerts.claimStanding(fingerprint)) {
                    signals.restored.put(signal, fingerprint);
                    adopted++;
                }
            }
        }
        if (adopted > 0) {
            log.info("{} anomaly alert(s) still firing from the last run; each resolves unless its anomaly is found"
                    + " again within {} evaluations", adopted, settleEvaluations());
        }
    }

    private int settleEvaluations() {
        return (config.baselines() ? config.warmUp() : 0) + config.forEvaluations();
    }

    /** Resolves the restored alerts of {@code signals} whose anomaly was not found again in time. */
    private void settleRestored(ServiceSignals signals, List<Runnable> effects) {
        if (signals.restored.isEmpty() || signals.evaluations < settleEvaluations()) {
            return;
        }
        List<String> stale = new ArrayList<>(signals.restored.values());
        signals.restored.clear();
        effects.add(() -> {
            log.info("{}: {} anomaly alert(s) of the last run resolved: not found again", signals.name, stale.size());
            stale.forEach(alerts::resolveFingerprint);
        });
    }

    private Alert.Builder alertOf(String service, Signal signal) {
        return Alert.builder(signal.alertName(), service).severity(config.severity()).label("signal", signal.key())
                .description("The service's " + signal.label() + " left its expected range").startsAt(clock.instant());
    }

    /** {@code check latency}, {@code throughput (its metrics)}, {@code error rate (Prometheus query)}. */
    private static String measured(Signal signal, String source) {
        return switch (source) {
            case CHECKS -> "check " + signal.label();
            case "metrics" -> signal.label() + " (its metrics)";
            case "query" -> signal.label() + " (Prometheus query)";
            default -> signal.label() + " (signal source " + source + ")";
        };
    }

    /** {@code above its threshold 100 ms}, {@code below its learned range, down to 20 req/s}. */
    private static String outside(SignalJudge judge) {
        Signal signal = judge.signal();
        SignalJudge.Judgement judgement = judge.lastJudgement();
        boolean above = judge.lastValue() > judgement.upper();
        if (judgement.method().equals("threshold")) {
            return (above ? "above" : "below") + " its threshold " + signal.format(judge.threshold());
        }
        return above ? "above its learned range, up to " + signal.format(judgement.upper())
                : "below its learned range, down to " + signal.format(judgement.lower());
    }

    /** Visits every judged signal of every service (at scrape time). */
    public synchronized void visit(SignalVisitor visitor) {
        for (ServiceSignals signals : services.values()) {
            for (SignalJudge judge : signals.judges.values()) {
                visitor.signal(signals.name, judge.signal(), judge.lastValue(), judge.baselineMean(),
                        judge.baselineLower(), judge.baselineUpper(), judge.anomalous(), judge.anomalies());
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        Scheduler.cancel(evaluations);
        services.values().forEach(signals -> signals.sources.forEach(SignalSource::close));
        client.close();
    }

    /**
     * One service's judges and the measurements of the current interval: the judges guarded by the detector's lock, the
     * check counters by this object's (taken inside the detector's, never the other way round).
     */
    private static final class ServiceSignals {
        final String name;
        final Map<Signal, SignalJudge> judges;
        final Map<Signal, String> fingerprints = new EnumMap<>(Signal.class);
        /** Where each signal comes from: {@link #CHECKS} or a source's kind. */
        final Map<Signal, String> sourceOf;
        final List<SignalSource> sources;
        /** Restored alerts of the last run not settled yet, by signal. */
        final Map<Signal, String> restored = new EnumMap<>(Signal.class);
        int cycles;
        int passing;
        int failures;
        double latencyMillisSum;
        long evaluations;

        ServiceSignals(String name, Map<Signal, SignalJudge> judges, Map<Signal, String> sourceOf,
                List<SignalSource> sources) {
            this.name = name;
            this.judges = judges;
            this.sourceOf = sourceOf;
            this.sources = sources;
        }

        boolean anyAnomalous() {
            return judges.values().stream().anyMatch(SignalJudge::anomalous);
        }
    }
}
