package io.aegis.core.internal;

import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts and reports ticks whose check did not run. Each skip goes to the metrics sink at once; the log gets
 * one line per reason at most every {@link #LOG_EVERY} (the first skip at once, later ones summed up), never
 * a line per tick: a thousand services skipping every second must not flood the log. Thread-safe.
 */
public final class SkippedChecks {
    /** Why a tick's check did not run; {@link #label()} is the {@code reason} label of the metric. */
    public enum Reason {
        /** The service's previous check cycle (with its retries) was still running. */
        BUSY("busy", "its previous check was still running (the check takes longer than its interval)"),
        /** No blocking-check permit came free while the check could still end before the next tick. */
        NO_CAPACITY("no_capacity", "the limit of blocking checks running at once was reached"
                + " (global.maxConcurrentBlockingChecks) and no place came free in time to end before the next tick"),
        /**
         * The checks of its checker type in flight had reached {@code global.maxInFlightChecks}: the tick came while
         * the service still waited in line for a slot, or while the line stood and was being drained; or its check
         * timed out while the engine itself was behind, so the timeout says nothing about the service.
         */
        OVERLOAD("overload", "aegis is overloaded: the checks of its checker type in flight reached"
                + " global.maxInFlightChecks and the service was still waiting in line for a slot (or the line was"
                + " being drained), or a check timed out while aegis itself was behind (its CPU saturated), which"
                + " says nothing about the service; such ticks are shed instead of piling up or counting as failures"),
        /** The tick came more than half an interval late (the engine was behind): shed, rather than run as a backlog. */
        LATE("late", "aegis was behind: the tick came more than half an interval after its time, so it was shed"
                + " instead of running a backlog of checks (the next tick runs on time)");

        private final String label;
        private final String why;

        Reason(String label, String why) {
            this.label = label;
            this.why = why;
        }

        /** The metric label: {@code busy}, {@code no_capacity}, {@code overload} or {@code late}. */
        public String label() {
            return label;
        }
    }

    /** How often at most one reason is logged. */
    static final long LOG_EVERY = TimeUnit.MINUTES.toNanos(1);
    private static final int NAMES_SHOWN = 5;
    private static final Logger log = LoggerFactory.getLogger(SkippedChecks.class);

    private final LongSupplier nanoTime;
    private final Consumer<String> warn;
    private final Map<Reason, Window> windows = new EnumMap<>(Reason.class);
    private volatile BiConsumer<String, Reason> sink = (service, reason) -> { };

    /** Reports with the system's nano time. */
    public SkippedChecks() {
        this(System::nanoTime, log::warn);
    }

    /** Reports with {@code nanoTime} as the time source, logging through {@code warn} (tests). */
    SkippedChecks(LongSupplier nanoTime, Consumer<String> warn) {
        this.nanoTime = nanoTime;
        this.warn = warn;
        for (Reason reason : Reason.values()) {
            windows.put(reason, new Window());
        }
    }

    /** Where each skip is counted (the engine's metrics); set once while the engine is built. */
    public void countInto(BiConsumer<String, Reason> sink) {
        this.sink = sink;
    }

    /** A tick of {@code service} was skipped for {@code reason}. */
    public void skipped(String service, Reason reason) {
        sink.accept(service, reason);
        Window window = windows.get(reason);
        String line;
        synchronized (window) {
            long now = nanoTime.getAsLong();
            window.count++;
            if (window.names.size() < NAMES_SHOWN) {
                window.names.add(service);
            }
            if (window.loggedAt != Long.MIN_VALUE && now - window.loggedAt < LOG_EVERY) {
                return;
            }
            line = window.loggedAt == Long.MIN_VALUE
                    ? service + ": check skipped: " + reason.why + "; further skips are summed up once a minute"
                    + " and counted in aegis_health_checks_skipped_total{reason=\"" + reason.label + "\"}"
                    : service + ": " + window.count + " check(s) skipped in the last "
                    + TimeUnit.NANOSECONDS.toSeconds(now - window.loggedAt) + "s because " + reason.why
                    + " (services: " + String.join(", ", window.names)
                    + (window.names.size() == NAMES_SHOWN ? ", ..." : "") + ")";
            window.loggedAt = now;
            window.count = 0;
            window.names.clear();
        }
        warn.accept(line);
    }

    private static final class Window {
        long loggedAt = Long.MIN_VALUE;
        long count;
        final Set<String> names = new LinkedHashSet<>();
    }
}
