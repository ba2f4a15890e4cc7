package io.aegis.httpapi.internal;

import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.ConfigReloaded;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the engine does not keep but a person looking at a service wants: the latencies of its last check cycles
 * (the status page's sparkline), its last state transitions and when its last check completed. Fed by the
 * engine's events from the moment the API starts; bounded per service.
 */
public final class ServiceHistory {
    /** Latencies kept per service: a sparkline's worth. */
    public static final int LATENCIES = 30;
    /** Transitions kept per service. */
    public static final int TRANSITIONS = 20;

    /** A state transition as the API shows it. */
    public record Transition(Instant at, String from, String to, String reason) {
    }

    private static final class Entry {
        final ArrayDeque<Double> latencies = new ArrayDeque<>(LATENCIES);
        final ArrayDeque<Transition> transitions = new ArrayDeque<>(TRANSITIONS);
        Instant lastCheckAt;
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** Takes what it keeps from {@code event}; other events are ignored. */
    public void accept(ServiceEvent event) {
        if (event instanceof ConfigReloaded reload) {
            reload.removed().forEach(entries::remove); // not supervised any more: nothing to show of them
            return;
        }
        if (event instanceof CheckCompleted check) {
            if (!check.finalAttempt()) {
                return; // a retry inside one cycle: the cycle's verdict comes with its last attempt
            }
            Entry entry = entries.computeIfAbsent(check.serviceName(), name -> new Entry());
            synchronized (entry) {
                if (entry.latencies.size() == LATENCIES) {
                    entry.latencies.removeFirst();
                }
                entry.latencies.addLast(check.result().latency().toNanos() / 1e6);
                entry.lastCheckAt = check.at();
            }
        } else if (event instanceof StateChanged change) {
            Entry entry = entries.computeIfAbsent(change.serviceName(), name -> new Entry());
            synchronized (entry) {
                if (entry.transitions.size() == TRANSITIONS) {
                    entry.transitions.removeFirst();
                }
                entry.transitions.addLast(new Transition(change.at(), change.from().name(), change.to().name(),
                        change.cause()));
            }
        }
    }

    /** Latencies in milliseconds, oldest first. */
    public List<Double> latencies(String service) {
        Entry entry = entries.get(service);
        if (entry == null) {
            return List.of();
        }
        synchronized (entry) {
            return new ArrayList<>(entry.latencies);
        }
    }

    /** Transitions, oldest first. */
    public List<Transition> transitions(String service) {
        Entry entry = entries.get(service);
        if (entry == null) {
            return List.of();
        }
        synchronized (entry) {
            return new ArrayList<>(entry.transitions);
        }
    }

    /** When the last check cycle completed, or null before the first one seen. */
    public Instant lastCheckAt(String service) {
        Entry entry = entries.get(service);
        if (entry == null) {
            return null;
        }
        synchronized (entry) {
            return entry.lastCheckAt;
        }
    }
}
