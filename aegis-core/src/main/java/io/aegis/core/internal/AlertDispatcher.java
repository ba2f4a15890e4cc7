package io.aegis.core.internal;

import io.aegis.api.Alert;
import io.aegis.api.Notifier;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands alerts to every configured notifier, logs each one, remembers which alerts fire so they can be
 * resolved when the service is healthy again, and retries a failed delivery with exponential backoff
 * (1s doubling up to 5m) for as long as the engine runs: an alert is never dropped because a receiver was
 * briefly down.
 */
public final class AlertDispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AlertDispatcher.class);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration MAX_RETRY = Duration.ofMinutes(5);
    private static final Duration DELIVERY_DEADLINE = Duration.ofSeconds(30);

    private final Map<String, Notifier> notifiers;
    private final ScheduledExecutorService timer;
    private final java.util.concurrent.Executor pluginCalls;
    private final Clock clock;
    private final Map<String, Alert> firing = new ConcurrentHashMap<>();
    /** The newest version of each alert per notifier: a retry of an older one (firing) must not overtake it. */
    private final Map<String, Alert> newest = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * Creates a dispatcher over named notifiers; {@code timer} schedules retries and deadlines (and never
     * runs a notifier), {@code pluginCalls} is where notifiers are invoked.
     */
    public AlertDispatcher(Map<String, Notifier> notifiers, ScheduledExecutorService timer,
            java.util.concurrent.Executor pluginCalls, Clock clock) {
        this.notifiers = Map.copyOf(notifiers);
        this.timer = timer;
        this.pluginCalls = pluginCalls;
        this.clock = clock;
    }

    /** Logs and delivers a firing alert; completes once it is queued for every notifier. */
    public CompletableFuture<Void> raise(Alert alert) {
        firing.put(key(alert), alert);
        log.warn("{}: ALERT {} [{}] {}", alert.serviceName(), alert.name(), alert.severity().label(), alert.summary());
        deliverToAll(alert);
        return CompletableFuture.completedFuture(null);
    }

    /** Resolves every alert firing for {@code serviceName}: the service is healthy again. */
    public void resolveAll(String serviceName) {
        for (Alert alert : List.copyOf(firing.values())) {
            if (alert.serviceName().equals(serviceName) && firing.remove(key(alert), alert)) {
                Alert resolved = alert.resolve(clock.instant());
                log.info("{}: RESOLVED {}", serviceName, alert.name());
                deliverToAll(resolved);
            }
        }
    }

    /** Stops retrying; deliveries still pending are reported. */
    @Override
    public void close() {
        closed = true;
        for (Map.Entry<String, Notifier> entry : notifiers.entrySet()) {
            try {
                entry.getValue().close();
            } catch (Exception e) {
                log.warn("notifier {} failed to close", entry.getKey(), e);
            }
        }
    }

    private void deliverToAll(Alert alert) {
        notifiers.forEach((name, notifier) -> {
            newest.put(name + '\u0000' + key(alert), alert);
            deliver(name, notifier, alert, 1);
        });
    }

    private void deliver(String name, Notifier notifier, Alert alert, int attempt) {
        if (attempt > 1 && newest.get(name + '\u0000' + key(alert)) != alert) {
            log.debug("{}: dropping the retry of {} to {}: a newer state of the alert was sent since",
                    alert.serviceName(), alert.name(), name);
            return;
        }
        if (closed) {
            log.error("{}: alert {} was not delivered to notifier {} before shutdown", alert.serviceName(), alert.name(),
                    name);
            return;
        }
        Deadlines.<Throwable>call(() -> notifier.deliver(alert).thenApply(delivered -> null), pluginCalls,
                DELIVERY_DEADLINE, timer,
                error -> error,
                () -> new TimeoutException("no answer within " + DELIVERY_DEADLINE.toSeconds() + "s"))
                .thenAccept(error -> {
                    if (error == null) {
                        if (attempt > 1) {
                            log.info("{}: alert {} delivered to {} after {} attempts", alert.serviceName(),
                                    alert.name(), name, attempt);
                        }
                        return;
                    }
                    if (closed) {
                        log.error("{}: alert {} was not delivered to {} before shutdown: {}", alert.serviceName(),
                                alert.name(), name, Deadlines.describe(error));
                        return;
                    }
                    long delay = Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(attempt - 1, 20));
                    log.warn("{}: could not deliver alert {} to {} (attempt {}): {}; retrying in {}ms",
                            alert.serviceName(), alert.name(), name, attempt, Deadlines.describe(error),
                            delay);
                    try {
                        timer.schedule(() -> deliver(name, notifier, alert, attempt + 1), delay, TimeUnit.MILLISECONDS);
                    } catch (java.util.concurrent.RejectedExecutionException e) {
                        log.error("{}: alert {} was not delivered to {} before shutdown", alert.serviceName(),
                                alert.name(), name);
                    }
                });
    }

    private static String key(Alert alert) {
        return alert.serviceName() + '\u0000' + alert.name();
    }
}
