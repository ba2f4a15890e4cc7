package io.aegis.core.internal;

import io.aegis.api.Alert;
import io.aegis.api.Notifier;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.ServiceEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the alerts of {@link AlertFired} and {@link AlertResolved} events (see {@link Alerts}) to every
 * configured notifier, and retries a failed delivery with exponential backoff
 * (1s doubling up to 5m) for as long as the engine runs: an alert is never dropped because a receiver was
 * briefly down. At shutdown, what is still pending gets one short last chance and is then logged, alert by
 * alert (there is no spool on disk yet).
 */
public final class AlertDispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AlertDispatcher.class);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration MAX_RETRY = Duration.ofMinutes(5);
    private static final Duration DELIVERY_DEADLINE = Duration.ofSeconds(30);
    /** How long close() waits, in total, for the last attempts: shutdown must stay fast. */
    static final Duration FLUSH_DEADLINE = Duration.ofSeconds(3);

    private final Map<String, Notifier> notifiers;
    private final ScheduledExecutorService timer;
    private final java.util.concurrent.Executor pluginCalls;
    /**
     * Per notifier and alert, the newest state not yet delivered: a retry of an older one (firing) must not
     * overtake it, and close() reports what is left here.
     */
    private final Map<String, Delivery> pending = new ConcurrentHashMap<>();
    private final Duration flushDeadline;
    private volatile boolean closed;
    /** Set once close() has reported what was not delivered: a later failure is reported on its own. */
    private volatile boolean flushed;

    /**
     * Creates a dispatcher over named notifiers; {@code timer} schedules retries and deadlines (and never
     * runs a notifier), {@code pluginCalls} is where notifiers are invoked.
     */
    public AlertDispatcher(Map<String, Notifier> notifiers, ScheduledExecutorService timer,
            java.util.concurrent.Executor pluginCalls) {
        this(notifiers, timer, pluginCalls, FLUSH_DEADLINE);
    }

    /** As the public constructor, with the time {@link #close} may spend delivering what is pending. */
    AlertDispatcher(Map<String, Notifier> notifiers, ScheduledExecutorService timer,
            java.util.concurrent.Executor pluginCalls, Duration flushDeadline) {
        this.notifiers = Map.copyOf(notifiers);
        this.timer = timer;
        this.pluginCalls = pluginCalls;
        this.flushDeadline = flushDeadline;
    }

    /**
     * Delivers the alert of an {@link AlertFired} or {@link AlertResolved} event to every notifier; other events
     * are ignored. The engine subscribes it to its event bus (losslessly). Returns at once: notifiers are called
     * on the plugin pool.
     */
    public void onEvent(ServiceEvent event) {
        if (event instanceof AlertFired) {
            deliverToAll(((AlertFired) event).alert());
        } else if (event instanceof AlertResolved) {
            deliverToAll(((AlertResolved) event).alert());
        }
    }

    /**
     * Stops retrying after one short last attempt: every delivery still pending (waiting for its next retry, or
     * in flight) gets up to {@link #FLUSH_DEADLINE} in total, so that shutdown stays fast. Each alert still not
     * delivered then is logged at WARN, with its notifier and last error: nothing is dropped silently.
     */
    @Override
    public void close() {
        closed = true;
        List<Delivery> undelivered = flush();
        if (undelivered.size() > 1) {
            log.warn("{} alert deliveries were not completed before shutdown; aegis keeps no alert spool yet, so"
                    + " these are lost:", undelivered.size());
        }
        flushed = true;
        for (Delivery delivery : undelivered) {
            if (pending.remove(delivery.key(), delivery)) { // removing it is the right to report it, once
                reportUndelivered(delivery);
            }
        }
        for (Map.Entry<String, Notifier> entry : notifiers.entrySet()) {
            try {
                entry.getValue().close();
            } catch (Exception e) {
                log.warn("notifier {} failed to close", entry.getKey(), e);
            }
        }
    }

    /**
     * Tries every pending delivery once more now (its retry may be minutes away) and waits for the attempts in
     * flight, up to the flush deadline in total; returns the deliveries still not done, oldest alert first.
     */
    List<Delivery> flush() {
        long deadline = System.nanoTime() + flushDeadline.toNanos();
        Set<Delivery> triedAgain = new HashSet<>();
        while (true) {
            List<CompletableFuture<?>> inFlight = new ArrayList<>();
            for (Delivery delivery : pending.values()) {
                ScheduledFuture<?> retry = delivery.retry;
                if (retry != null && triedAgain.add(delivery) && retry.cancel(false)) {
                    attempt(delivery);
                }
                if (!delivery.inFlight.isDone()) {
                    inFlight.add(delivery.inFlight);
                }
            }
            long left = deadline - System.nanoTime();
            if (inFlight.isEmpty() || left <= 0) {
                break;
            }
            try {
                // Then look again: a retry that was already running when we tried to cancel it is in flight now.
                CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                break;
            } catch (ExecutionException e) {
                // Deliveries complete with their error as a value; nothing to do here.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return pending.values().stream()
                .sorted(Comparator.comparing((Delivery d) -> d.alert.startsAt())
                        .thenComparing(d -> d.alert.serviceName()).thenComparing(d -> d.notifierName))
                .toList();
    }

    private void deliverToAll(Alert alert) {
        notifiers.forEach((name, notifier) -> {
            Delivery delivery = new Delivery(name, notifier, alert);
            // Replaces an older state of the same alert: its retry, if any, is dropped when it comes due.
            pending.put(delivery.key(), delivery);
            attempt(delivery);
        });
    }

    private void attempt(Delivery delivery) {
        Alert alert = delivery.alert;
        if (pending.get(delivery.key()) != delivery) {
            log.debug("{}: dropping the retry of {} to {}: a newer state of the alert was sent since",
                    alert.serviceName(), alert.name(), delivery.notifierName);
            return;
        }
        delivery.retry = null;
        int attempt = ++delivery.attempts;
        CompletableFuture<Throwable> result = Deadlines.<Throwable>call(
                () -> delivery.notifier.deliver(alert).thenApply(delivered -> null), pluginCalls,
                DELIVERY_DEADLINE, timer,
                error -> error,
                () -> new TimeoutException("no answer within " + DELIVERY_DEADLINE.toSeconds() + "s"));
        delivery.inFlight = result;
        result.thenAccept(error -> {
            if (error == null) {
                pending.remove(delivery.key(), delivery);
                if (attempt > 1) {
                    log.info("{}: alert {} delivered to {} after {} attempts", alert.serviceName(),
                            alert.name(), delivery.notifierName, attempt);
                }
                return;
            }
            delivery.lastError = Deadlines.describe(error);
            if (flushed) {
                // Raised while closing, after close() made its report.
                if (pending.remove(delivery.key(), delivery)) {
                    reportUndelivered(delivery);
                }
                return;
            }
            if (closed) {
                return; // close() reports it
            }
            long delay = Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(attempt - 1, 20));
            log.warn("{}: could not deliver alert {} to {} (attempt {}): {}; retrying in {}ms",
                    alert.serviceName(), alert.name(), delivery.notifierName, attempt, delivery.lastError, delay);
            try {
                delivery.retry = timer.schedule(() -> attempt(delivery), delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // The engine is shutting down: close() reports it.
            }
        });
    }

    private void reportUndelivered(Delivery delivery) {
        Alert alert = delivery.alert;
        log.warn("{}: alert {} ({}) was not delivered to notifier {} before shutdown, after {}: {}",
                alert.serviceName(), alert.name(), alert.state().name().toLowerCase(Locale.ROOT),
                delivery.notifierName, delivery.attempts == 1 ? "1 attempt" : delivery.attempts + " attempts",
                delivery.lastError != null ? delivery.lastError
                        : "no answer within the " + flushDeadline.toMillis() + "ms allowed at shutdown");
    }

    private static String key(Alert alert) {
        return alert.serviceName() + '\u0000' + alert.name();
    }

    /** One alert state on its way to one notifier, until the notifier accepts it. */
    static final class Delivery {
        final String notifierName;
        final Notifier notifier;
        final Alert alert;
        // Written by the thread of the latest attempt; attempts of one delivery never overlap.
        volatile int attempts;
        volatile String lastError;
        volatile ScheduledFuture<?> retry;
        volatile CompletableFuture<?> inFlight = CompletableFuture.completedFuture(null);

        Delivery(String notifierName, Notifier notifier, Alert alert) {
            this.notifierName = notifierName;
            this.notifier = notifier;
            this.alert = alert;
        }

        String key() {
            return notifierName + '\u0000' + AlertDispatcher.key(alert);
        }
    }
}
