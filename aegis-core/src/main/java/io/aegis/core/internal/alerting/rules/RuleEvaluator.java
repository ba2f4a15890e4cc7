package io.aegis.core.internal.alerting.rules;

import io.aegis.api.ActionOutcome;
import io.aegis.api.Alert;
import io.aegis.core.ServiceState;
import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.OperatorAction;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.RecoveryStarted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.Scheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates the threshold rules: keeps, per service, the windows its rules look at, filled from the engine's own
 * events (a lossless bus subscriber: {@link #onEvent}), not by scraping its metrics; every
 * {@code evaluationInterval} (on the engine's {@link Scheduler}, so virtual time drives it in tests; the work
 * itself runs on {@code executor}, never on a plugin thread) it computes each rule for each service it watches and
 * moves the pair through Prometheus' states: inactive → pending (the condition holds, for less than
 * {@code for:}) → firing ({@link Alerts#raiseStanding}: a healthy check does not end it), and back to inactive when the condition no longer holds (a firing
 * alert is resolved with {@link Alerts#resolveFingerprint}). A window without the samples a value needs (no check
 * in it) makes the condition false, as an absent series does in Prometheus.
 *
 * <p>While a person has paused the service ({@code Engine.pause}, maintenance) its rules raise no new alert; one
 * whose condition still holds fires after {@code resume}.
 *
 * <p>The first evaluation of a pair that finds its condition false also resolves its fingerprint, so that an alert
 * restored from the state directory after a restart resolves when the rule no longer holds; one that no configured
 * rule raises any more (the rule removed or renamed, its labels changed, the service no longer matched) is resolved
 * at {@link #start}.
 *
 * <p>Thread-safe: events arrive on the bus' thread, evaluation runs on the executor; each service's data is
 * guarded by its own lock, evaluations by the evaluator's.
 */
public final class RuleEvaluator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RuleEvaluator.class);
    private static final String RESTART_ACTION = "restart";

    private final RuleSet rules;
    private final Alerts alerts;
    private final Clock clock;
    private final Scheduler scheduler;
    private final Executor executor;
    private final Map<String, Watched> services = new ConcurrentHashMap<>();
    private volatile Scheduler.Task task;

    /**
     * Evaluates {@code rules}, raising through {@code alerts}, at {@code clock}'s time (the clock events are stamped
     * with), every interval of {@code scheduler}, on {@code executor}.
     */
    public RuleEvaluator(RuleSet rules, Alerts alerts, Clock clock, Scheduler scheduler, Executor executor) {
        this.rules = rules;
        this.alerts = alerts;
        this.clock = clock;
        this.scheduler = scheduler;
        this.executor = executor;
    }

    /** Watches service {@code name} (with {@code metadata}) with the rules that apply to it; none, no memory. */
    public void serviceAdded(String name, Map<String, String> metadata) {
        List<ThresholdRule> applicable = rules.rules().stream().filter(rule -> rule.appliesTo(name, metadata)).toList();
        if (!applicable.isEmpty()) {
            services.put(name, new Watched(name, applicable));
        }
    }

    /** Forgets service {@code name}: its windows and rule states (its alerts are resolved by whoever removes it). */
    public void serviceRemoved(String name) {
        services.remove(name);
    }

    /** Takes what the rules need from an engine event; returns at once. */
    public void onEvent(ServiceEvent event) {
        Watched watched = services.get(event.serviceName());
        if (watched == null) {
            return;
        }
        synchronized (watched) {
            if (event instanceof CheckCompleted check) {
                long at = check.at().toEpochMilli();
                long latency = Math.max(0, check.result().latency().toNanos());
                boolean failed = !check.result().isPassing();
                watched.windows.values().forEach(w -> w.check(at, latency, check.finalAttempt(), failed));
            } else if (event instanceof OperatorAction action && (action.kind() == OperatorAction.Kind.PAUSE
                    || action.kind() == OperatorAction.Kind.RESUME)) {
                watched.paused = action.kind() == OperatorAction.Kind.PAUSE;
            } else if (event instanceof StateChanged changed) {
                long at = changed.at().toEpochMilli();
                if (watched.state != null) {
                    ServiceState was = watched.state;
                    long since = watched.stateSince;
                    watched.windows.values().forEach(w -> w.stayed(was, since, at));
                }
                watched.state = changed.to();
                watched.stateSince = at;
            } else if (event instanceof RecoveryStarted started) {
                long at = started.at().toEpochMilli();
                watched.windows.values().forEach(w -> w.recovery(at));
            } else if (event instanceof RecoveryFinished finished
                    && finished.outcome().result() == ActionOutcome.Result.SUCCEEDED
                    && RESTART_ACTION.equals(finished.action())) {
                long at = finished.at().toEpochMilli();
                watched.windows.values().forEach(w -> w.restart(at));
            }
        }
    }

    /**
     * Resolves the restored standing alerts no configured rule can raise any more, then evaluates every
     * {@code evaluationInterval} from now on (nothing when there are no rules). Called once the alerts kept by the
     * last run are restored and every service at start is added.
     */
    public void start() {
        resolveRestoredAlertsNoRuleRaises();
        if (rules.isEmpty()) {
            return;
        }
        Duration interval = rules.evaluationInterval();
        try {
            task = scheduler.scheduleAtFixedRate(() -> {
                try {
                    executor.execute(this::evaluate);
                } catch (RejectedExecutionException e) {
                    log.debug("rule evaluation skipped: the engine is shutting down");
                }
            }, interval, interval);
        } catch (RejectedExecutionException e) {
            log.debug("rules not evaluated: the engine is shutting down");
        }
    }

    /**
     * A standing alert restored from the last run ends only when the rule that raised it finds its condition false;
     * if no configured (rule, service) pair raises that fingerprint any more (the rule was removed or renamed, the
     * service no longer matches it, its labels, severity or the service's metadata labels changed), nothing would
     * ever resolve it: resolve it now. A fingerprint depends on the labels only, so the value and start given to
     * the would-be alert do not matter.
     */
    private void resolveRestoredAlertsNoRuleRaises() {
        Set<String> standing = alerts.standingFingerprints();
        if (standing.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        Set<String> raisable = new HashSet<>();
        for (Watched watched : services.values()) {
            watched.rules.forEach(rule -> raisable.add(alerts.fingerprintOf(rule.alertFor(watched.name, 0, now))));
        }
        int resolved = 0;
        for (String fingerprint : standing) {
            if (!raisable.contains(fingerprint)) {
                alerts.resolveFingerprint(fingerprint);
                resolved++;
            }
        }
        if (resolved > 0) {
            // Log-pattern alerts a pattern still raises were claimed by the log analyzer: these are a rule's or a
            // pattern's that the configuration no longer has (hostile F4: the line named rules when there were none).
            log.info("resolved {} alert(s) still firing from the last run that no configured rule or log pattern"
                    + " raises any more", resolved);
        }
    }

    /** Evaluates every rule for every service it watches, now. */
    synchronized void evaluate() {
        Instant now = clock.instant();
        for (Watched watched : services.values()) {
            try {
                evaluate(watched, now);
            } catch (RuntimeException e) {
                log.error("{}: evaluating the threshold rules failed", watched.name, e);
            }
        }
    }

    private void evaluate(Watched watched, Instant now) {
        Map<Duration, WindowAggregate> sums = new HashMap<>();
        boolean paused;
        synchronized (watched) {
            paused = watched.paused;
            watched.windows.forEach((window, data) -> sums.put(window, data.at(now.toEpochMilli(), watched.state,
                    watched.stateSince)));
        }
        for (int i = 0; i < watched.rules.size(); i++) {
            ThresholdRule rule = watched.rules.get(i);
            RuleState state = watched.states[i];
            OptionalDouble value = rule.expression().value(sums.get(rule.expression().window()));
            boolean holds = value.isPresent() && rule.expression().holds(value.getAsDouble());
            if (!holds) {
                if (state.firing != null) {
                    log.info("{}: rule {} ({}) no longer holds; resolving", watched.name, rule.alert(),
                            rule.expression());
                    alerts.resolveFingerprint(state.firing);
                } else if (!state.falseBefore) {
                    alerts.resolveFingerprint(alerts.fingerprintOf(rule.alertFor(watched.name, 0, now))); // restored, if any
                }
                state.falseBefore = true;
                state.activeAt = null;
                state.firing = null;
            } else {
                if (state.activeAt == null) {
                    state.activeAt = now;
                    if (!rule.holdFor().isZero()) {
                        log.debug("{}: rule {} ({}) pending: {}", watched.name, rule.alert(), rule.expression(),
                                rule.expression().format(value.getAsDouble()));
                    }
                }
                // Paused for maintenance: no new alert (as the monitor raises none); it fires after resume if it holds.
                if (state.firing == null && !paused && !now.isBefore(state.activeAt.plus(rule.holdFor()))) {
                    Alert alert = rule.alertFor(watched.name, value.getAsDouble(), state.activeAt);
                    state.firing = alerts.fingerprintOf(alert);
                    alerts.raiseStanding(alert);
                }
            }
        }
    }

    /** How many window buckets exist for {@code service} (for the memory test). */
    int allocatedBuckets(String service) {
        Watched watched = services.get(service);
        if (watched == null) {
            return 0;
        }
        synchronized (watched) {
            return watched.windows.values().stream().mapToInt(SeriesWindow::allocatedBuckets).sum();
        }
    }

    /** Stops evaluating. */
    @Override
    public void close() {
        Scheduler.cancel(task);
    }

    /** One service and the rules that watch it. */
    private static final class Watched {
        final String name;
        final List<ThresholdRule> rules;
        final RuleState[] states;
        /** One window per distinct window length of its rules. */
        final Map<Duration, SeriesWindow> windows = new LinkedHashMap<>();
        /** Paused by a person ({@code Engine.pause}): maintenance, no new alert. */
        boolean paused;
        /** The state it is in, since {@link #stateSince} (epoch ms); null until the first state change seen. */
        ServiceState state;
        long stateSince;

        Watched(String name, List<ThresholdRule> rules) {
            this.name = name;
            this.rules = List.copyOf(rules);
            this.states = new RuleState[rules.size()];
            Map<Duration, Boolean> histograms = new LinkedHashMap<>();
            Map<Duration, Boolean> timePerState = new LinkedHashMap<>();
            for (int i = 0; i < rules.size(); i++) {
                states[i] = new RuleState();
                RuleExpression expression = rules.get(i).expression();
                histograms.merge(expression.window(), expression.needsHistogram(), Boolean::logicalOr);
                timePerState.merge(expression.window(), expression.needsStates(), Boolean::logicalOr);
            }
            histograms.forEach((window, histogram) -> windows.put(window, new SeriesWindow(window, histogram,
                    timePerState.get(window))));
        }
    }

    /** Where one rule stands for one service (touched by evaluations only, which are serialized). */
    private static final class RuleState {
        /** Since when the condition holds; null when it does not. */
        Instant activeAt;
        /** The fingerprint of the alert raised, while it fires. */
        String firing;
        /**
         * Whether the condition was false at an evaluation before: the first false evaluation also resolves an alert
         * of the rule restored from an earlier run, which this evaluator did not raise.
         */
        boolean falseBefore;
    }
}
