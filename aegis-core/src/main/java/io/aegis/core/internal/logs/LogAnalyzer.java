package io.aegis.core.internal.logs;

import io.aegis.api.Alert;
import io.aegis.api.Durations;
import io.aegis.api.LogSink;
import io.aegis.api.LogSource;
import io.aegis.core.event.LogMatch;
import io.aegis.core.internal.Alerts;
import io.aegis.core.internal.EventBus;
import io.aegis.core.internal.Scheduler;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log analysis: owns the log sources of every service ({@link #follow}), matches each line they deliver against
 * the patterns that apply to the service (on its bytes: a line is made a {@code String} only when it matches), counts
 * lines, bytes and matches, and turns a match (the {@code count}-th within a pattern's threshold window) into a
 * {@link LogMatch} event, a standing alert named after the pattern (labels {@code service}, {@code severity},
 * {@code pattern}; annotation {@code description}) that resolves once the pattern has not matched for its
 * {@code resolveAfter}, and the pattern's action, handed to {@link Actions}.
 *
 * <p>Sources read on their own threads; everything here is thread-safe and never throws into a source. A source that
 * throws or hangs in {@code start} holds a thread of {@code pluginCalls}, never the engine. Time (threshold windows,
 * the quiet period) comes from the engine's clock and {@link Scheduler}: virtual in tests.
 */
public final class LogAnalyzer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogAnalyzer.class);
    /** How long the same problem sentence of one source is not logged again. */
    private static final Duration PROBLEM_REPEAT = Duration.ofMinutes(1);

    /** Where a pattern's action goes: the service's recovery coordinator. */
    @FunctionalInterface
    public interface Actions {
        /**
         * {@code pattern} (with an action) fired for {@code service}; {@code cause} says which line where. Completes
         * once the action was decided on (run, delayed or dropped): until then, further firings of the pattern are
         * not handed over, so a flood of matching lines queues at most one decision per pattern, not one per line.
         */
        CompletionStage<?> act(String service, LogsConfig.PatternEntry pattern, String cause);

        /**
         * Whether {@code service}'s alerts are held now (a person paused it for maintenance): its matches are still
         * counted and published as {@link LogMatch} events, but raise no alert. Called from the source's thread.
         */
        default boolean alertsHeld(String service) {
            return false;
        }
    }

    /** Reads the counters at scrape time. */
    public interface CountVisitor {
        /** One service's lines and bytes read, and how many of those lines were cut at maxLineLength. */
        void service(String service, long lines, long bytes, long cut);

        /** One (service, pattern)'s matches, every one counted (not only those that crossed a threshold). */
        void pattern(String service, String pattern, String severity, long matches);
    }

    private final Alerts alerts;
    private final EventBus bus;
    private final Clock clock;
    private final Scheduler scheduler;
    private final Executor pluginCalls;
    private final Actions actions;
    private final Map<String, ServiceLog> services = new ConcurrentHashMap<>();
    private volatile boolean started;
    private volatile boolean closed;
    /** Cleared by {@link #stopActing()}: the engine is shutting down, a match alerts and restarts nothing any more. */
    private volatile boolean acting = true;
    /** Lines whose matching failed (a regex that overflowed the stack): logged once at WARN, then at debug. */
    private final java.util.concurrent.atomic.AtomicBoolean matchFailureLogged =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * An analyzer raising through {@code alerts}, publishing on {@code bus}, timing with {@code clock} and
     * {@code scheduler}, starting sources on {@code pluginCalls} and acting through {@code actions}.
     */
    public LogAnalyzer(Alerts alerts, EventBus bus, Clock clock, Scheduler scheduler, Executor pluginCalls,
            Actions actions) {
        this.alerts = Objects.requireNonNull(alerts, "alerts");
        this.bus = Objects.requireNonNull(bus, "bus");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.pluginCalls = Objects.requireNonNull(pluginCalls, "pluginCalls");
        this.actions = Objects.requireNonNull(actions, "actions");
    }

    /**
     * Matches the lines of {@code source} (described as {@code what} in messages) for {@code service} against
     * {@code patterns} (those that apply to it, non-empty); several sources per service add up. Started by
     * {@link #start}, or at once when the analyzer runs already.
     */
    public void follow(String service, List<LogsConfig.PatternEntry> patterns, String what, LogSource source) {
        if (patterns.isEmpty()) {
            throw new IllegalArgumentException(service + ": no pattern applies to its log");
        }
        ServiceLog serviceLog = services.computeIfAbsent(service, name -> new ServiceLog(name, patterns));
        Sink sink = new Sink(serviceLog, what, source);
        serviceLog.sinks.add(sink);
        if (started) {
            start(sink);
        }
    }

    /** The services whose logs are followed. */
    public List<String> services() {
        return List.copyOf(services.keySet());
    }

    /**
     * Takes over the log-pattern alerts the last run left firing whose pattern still applies to their service, before
     * {@link #start}: they resolve after their pattern's quiet period, counted from now, instead of being resolved
     * at start (and raised again at the next match: a resolved and a new firing notification for one incident).
     * The others (a pattern removed or renamed) no one raises any more; the rule evaluator's start resolves them.
     */
    public void adoptRestoredAlerts() {
        int adopted = services.values().stream().mapToInt(ServiceLog::adoptRestoredAlerts).sum();
        if (adopted > 0) {
            log.info("{} log-pattern alert(s) still firing from the last run; each resolves once its pattern has been"
                    + " quiet for its resolveAfter", adopted);
        }
    }

    /** Starts every source, each on a plugin-call thread of its own (a source's start must return at once). */
    public void start() {
        started = true;
        services.values().forEach(serviceLog -> serviceLog.sinks.forEach(this::start));
    }

    private void start(Sink sink) {
        try {
            pluginCalls.execute(() -> {
                try {
                    sink.source.start(sink);
                } catch (RuntimeException | LinkageError e) {
                    log.warn("{}: the log source {} failed to start; its lines are not analyzed: {}",
                            sink.serviceLog.name, sink.what, e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("{}: not following {}: the engine is shutting down", sink.serviceLog.name, sink.what);
        }
    }

    /** Every source, for the engine to close (in parallel, under its deadline). */
    public List<LogSource> sources() {
        List<LogSource> all = new ArrayList<>();
        services.values().forEach(serviceLog -> serviceLog.sinks.forEach(sink -> all.add(sink.source)));
        return all;
    }

    /**
     * Stops analyzing {@code service} (it is no longer supervised): its lines are ignored from now on, its pending
     * resolutions cancelled; returns its sources for the caller to close. Its alerts are the caller's to resolve.
     */
    public List<LogSource> serviceRemoved(String service) {
        ServiceLog serviceLog = services.remove(service);
        if (serviceLog == null) {
            return List.of();
        }
        serviceLog.stop();
        return serviceLog.sinks.stream().map(sink -> sink.source).toList();
    }

    /** Reads every counter (for the metrics, at scrape time). */
    public void visitCounts(CountVisitor visitor) {
        for (ServiceLog serviceLog : services.values()) {
            // The matches are read before the lines: a line is counted before its matches, so a scrape in the
            // middle of a flood never shows more matches than lines.
            long[] matches = new long[serviceLog.states.length];
            for (int i = 0; i < matches.length; i++) {
                matches[i] = serviceLog.states[i].matches.sum();
            }
            long bytes = serviceLog.bytes.sum();
            visitor.service(serviceLog.name, serviceLog.lines.sum(), bytes, serviceLog.cut.sum());
            for (int i = 0; i < matches.length; i++) {
                PatternState state = serviceLog.states[i];
                visitor.pattern(serviceLog.name, state.entry.name(), state.entry.severity().label(), matches[i]);
            }
        }
    }

    /**
     * The engine is shutting down: matches still count and are published (the lines the sources deliver while they
     * close are analysed, since their positions will say they were), but raise no alert and start no recovery.
     */
    public void stopActing() {
        acting = false;
    }

    /** Stops analyzing: lines delivered from now on are ignored, pending resolutions cancelled. Sources are not closed. */
    @Override
    public void close() {
        closed = true;
        services.values().forEach(ServiceLog::stop);
    }

    // ---- one service ----------------------------------------------------------------------------------------------

    private final class ServiceLog implements PatternSet.Visitor {
        final String name;
        final PatternSet patterns;
        final PatternState[] states;
        final List<Sink> sinks = new java.util.concurrent.CopyOnWriteArrayList<>();
        final LongAdder lines = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final LongAdder cut = new LongAdder();
        volatile boolean stopped;

        ServiceLog(String name, List<LogsConfig.PatternEntry> entries) {
            this.name = name;
            PatternSet.Builder builder = PatternSet.builder();
            states = new PatternState[entries.size()];
            for (int i = 0; i < entries.size(); i++) {
                builder.add(entries.get(i).name(), entries.get(i).regex());
                states[i] = new PatternState(entries.get(i));
            }
            this.patterns = builder.build();
        }

        void line(String origin, long lineNumber, byte[] data, int offset, int length) {
            lines.increment();
            if (patterns.size() == 0) {
                return;
            }
            patterns.forEachMatch(data, offset, length, origin, lineNumber, this); // no lambda per line
        }

        @Override
        public void matched(int index, String origin, long lineNumber, byte[] data, int offset, int length) {
            matched(states[index], origin, lineNumber, data, offset, length);
        }

        private void matched(PatternState state, String origin, long lineNumber, byte[] data, int offset, int length) {
            state.matches.increment();
            long now = clock.millis();
            boolean fire;
            synchronized (state) {
                state.lastMatchMillis = now;
                fire = state.threshold.matched(now);
            }
            if (!fire) {
                return;
            }
            // The only place a line becomes a String: it matched (and crossed the threshold).
            String text = new String(data, offset, Math.min(length, LogMatch.MAX_LINE_BYTES), StandardCharsets.UTF_8);
            LogsConfig.PatternEntry entry = state.entry;
            int count = state.threshold.count();
            bus.publish(new LogMatch(name, clock.instant(), entry.name(), entry.severity(), text, origin, lineNumber,
                    count));
            if (!acting) {
                // The engine is shutting down: what the services print while they are stopped (refused connections,
                // stack traces of interrupted work) is no incident to page anyone for (hostile F3). Counted and
                // published as above, since the positions will say these lines were read.
                log.debug("{}: log pattern {} matched while aegis shuts down: no alert", name, entry.name());
            } else if (actions.alertsHeld(name)) {
                // paused for maintenance: "no recovery and no alerts until resumed", as for its health checks
                log.debug("{}: log pattern {} matched while paused: no alert", name, entry.name());
            } else {
                raise(state);
            }
            // One decision in flight per pattern: the matches meanwhile would find the coordinator in the same state
            // (a restart queued, running, or the budget spent), so they are not handed over, nor their cause built.
            if (entry.action() != LogsConfig.Action.NONE && acting && state.deciding.compareAndSet(false, true)) {
                String where = origin + (lineNumber > 0 ? ":" + lineNumber : "");
                String cause = "log pattern " + entry.name() + " matched in " + where + (count > 1 ? " (" + count
                        + " matches within " + Durations.format(entry.within()) + ")" : "") + ": "
                        + abbreviate(text);
                try {
                    actions.act(name, entry, cause).whenComplete((ignored, error) -> state.deciding.set(false));
                } catch (RuntimeException e) {
                    state.deciding.set(false);
                    log.error("{}: acting on log pattern {} failed", name, entry.name(), e);
                }
            }
        }

        private void raise(PatternState state) {
            synchronized (state) {
                if (state.fingerprint != null) {
                    return; // it stands already (only its resolveIfQuiet takes it down): nothing to build per line
                }
            }
            LogsConfig.PatternEntry entry = state.entry;
            Alert alert = alertOf(entry);
            synchronized (state) {
                if (stopped) {
                    return;
                }
                state.fingerprint = alerts.fingerprintOf(alert);
                alerts.raiseStanding(alert);
                if (state.resolveTask == null) {
                    scheduleResolve(state, entry.resolveAfter());
                }
            }
        }

        /** Resolves the alert once the pattern has been quiet for its resolveAfter; called with the state's lock. */
        private void scheduleResolve(PatternState state, Duration delay) {
            try {
                state.resolveTask = scheduler.schedule(() -> resolveIfQuiet(state), delay);
            } catch (RejectedExecutionException e) {
                state.resolveTask = null; // shutting down
            }
        }

        private void resolveIfQuiet(PatternState state) {
            synchronized (state) {
                state.resolveTask = null;
                if (stopped || state.fingerprint == null) {
                    return;
                }
                long quietMillis = clock.millis() - state.lastMatchMillis;
                long resolveAfterMillis = state.entry.resolveAfter().toMillis();
                if (quietMillis < resolveAfterMillis) {
                    scheduleResolve(state, Duration.ofMillis(resolveAfterMillis - quietMillis));
                    return;
                }
                log.info("{}: log pattern {} quiet for {}; resolving its alert", name, state.entry.name(),
                        Durations.format(state.entry.resolveAfter()));
                alerts.resolveFingerprint(state.fingerprint);
                state.fingerprint = null;
            }
        }

        private Alert alertOf(LogsConfig.PatternEntry entry) {
            return Alert.builder(entry.name(), name).severity(entry.severity()).label("pattern", entry.name())
                    .summary(name + ": " + entry.description() + " (log pattern " + entry.name()
                            + (entry.count() > 1 ? ", " + entry.count() + " matches within "
                            + Durations.format(entry.within()) : "") + ")")
                    .description(entry.description()).startsAt(clock.instant()).build();
        }

        /**
         * Takes over the alerts of its patterns that still fired when the last run ended: each stands until its
         * pattern has been quiet for its resolveAfter, counted from now (when the last match was is not kept).
         */
        int adoptRestoredAlerts() {
            int adopted = 0;
            for (PatternState state : states) {
                String fingerprint = alerts.fingerprintOf(alertOf(state.entry));
                if (alerts.claimStanding(fingerprint)) {
                    synchronized (state) {
                        state.fingerprint = fingerprint;
                        state.lastMatchMillis = clock.millis();
                        scheduleResolve(state, state.entry.resolveAfter());
                    }
                    adopted++;
                }
            }
            return adopted;
        }

        void stop() {
            stopped = true;
            for (PatternState state : states) {
                synchronized (state) {
                    Scheduler.cancel(state.resolveTask);
                    state.resolveTask = null;
                }
            }
        }
    }

    /** One pattern of one service: its threshold window, its alert and its counter. */
    private static final class PatternState {
        final LogsConfig.PatternEntry entry;
        final Threshold threshold;
        final LongAdder matches = new LongAdder();
        long lastMatchMillis;
        /** The fingerprint of its alert while it fires, else null. */
        String fingerprint;
        Scheduler.Task resolveTask;
        /** Whether an action handed over has not been decided on yet. */
        final AtomicBoolean deciding = new AtomicBoolean();

        PatternState(LogsConfig.PatternEntry entry) {
            this.entry = entry;
            this.threshold = new Threshold(entry.count(), entry.within());
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }

    /** What one source delivers to: never throws into it. */
    private final class Sink implements LogSink {
        final ServiceLog serviceLog;
        final String what;
        final LogSource source;
        private String lastProblem;
        private long lastProblemMillis;

        Sink(ServiceLog serviceLog, String what, LogSource source) {
            this.serviceLog = serviceLog;
            this.what = what;
            this.source = source;
        }

        @Override
        public void line(String origin, long lineNumber, byte[] bytes, int offset, int length, boolean cut) {
            if (closed || serviceLog.stopped) {
                return;
            }
            if (cut) {
                serviceLog.cut.increment();
            }
            try {
                serviceLog.line(origin, lineNumber, bytes, offset, length);
            } catch (RuntimeException e) {
                log.error("{}: analyzing a line of {} failed", serviceLog.name, origin, e);
            } catch (StackOverflowError e) {
                // java.util.regex recurses per repetition: (\w|\.)+ over a 64 KB line overflows the stack. Uncaught,
                // it ended the one thread that reads every file of the engine. The line counts as not matching.
                if (matchFailureLogged.compareAndSet(false, true)) {
                    log.warn("{}: a line of {} ({} bytes) made a pattern's regular expression overflow the stack; such"
                            + " lines count as not matching (a pattern with a repeated group, as (a|b)+, on long lines:"
                            + " write it with a character class, [ab]+, or lower logs.maxLineLength)",
                            serviceLog.name, origin, length);
                } else {
                    log.debug("{}: a line of {} overflowed the stack in a regular expression", serviceLog.name, origin);
                }
            }
        }

        @Override
        public void bytesRead(long count) {
            if (count > 0) {
                serviceLog.bytes.add(count);
            }
        }

        @Override
        public void problem(String sentence) {
            long now = System.currentTimeMillis();
            synchronized (this) {
                if (Objects.equals(sentence, lastProblem) && now - lastProblemMillis < PROBLEM_REPEAT.toMillis()) {
                    return;
                }
                lastProblem = sentence;
                lastProblemMillis = now;
            }
            log.warn("{}: log {}: {}", serviceLog.name, what, sentence);
        }
    }
}
