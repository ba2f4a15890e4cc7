package io.aegis.core.internal.alerting;

import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import io.aegis.core.internal.Deadlines;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TEMPORARY {@link NotificationSink} until the spooling NotificationDelivery (helper D) is merged: hands each
 * notification straight to {@link Notifier#deliver(Notification)}, one at a time per notifier in order, retrying a
 * failure a few times with a doubling delay, and gives what is in flight a short last chance at shutdown. No spool.
 */
public final class DirectDelivery implements NotificationSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DirectDelivery.class);
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final int ATTEMPTS = 5;

    private final Map<String, Notifier> notifiers;
    private final ScheduledExecutorService timer;
    private final Executor pluginCalls;
    private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

    /** Delivers to {@code notifiers} on {@code pluginCalls}; {@code timer} times deadlines and retries. */
    public DirectDelivery(Map<String, Notifier> notifiers, ScheduledExecutorService timer, Executor pluginCalls) {
        this.notifiers = Map.copyOf(notifiers);
        this.timer = timer;
        this.pluginCalls = pluginCalls;
    }

    @Override
    public void enqueue(String notifierName, Notification notification) {
        Notifier notifier = notifiers.get(notifierName);
        if (notifier == null) {
            return;
        }
        tails.compute(notifierName, (name, tail) -> (tail == null ? CompletableFuture.<Void>completedFuture(null)
                : tail).thenCompose(previous -> attempt(name, notifier, notification, 1)));
    }

    private CompletableFuture<Void> attempt(String name, Notifier notifier, Notification notification, int attempt) {
        return Deadlines.<Throwable>call(() -> notifier.deliver(notification).thenApply(done -> null), pluginCalls,
                DEADLINE, timer, error -> error, () -> new TimeoutException("no answer within " + DEADLINE.toSeconds()
                        + "s")).thenCompose(error -> {
                            if (error == null) {
                                return CompletableFuture.completedFuture(null);
                            }
                            if (attempt >= ATTEMPTS || timer.isShutdown()) {
                                log.warn("could not deliver notification {} to {} after {} attempt(s): {}",
                                        notification.groupKey(), name, attempt, Deadlines.describe(error));
                                return CompletableFuture.completedFuture(null);
                            }
                            CompletableFuture<Void> retried = new CompletableFuture<>();
                            try {
                                timer.schedule(() -> attempt(name, notifier, notification, attempt + 1)
                                        .whenComplete((done, e) -> retried.complete(null)),
                                        1L << (attempt - 1), TimeUnit.SECONDS);
                            } catch (java.util.concurrent.RejectedExecutionException e) {
                                retried.complete(null);
                            }
                            return retried;
                        });
    }

    /** Waits up to 3 seconds for what is in flight, then closes the notifiers. */
    @Override
    public void close() {
        List<CompletableFuture<Void>> pending = new ArrayList<>(tails.values());
        try {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("some notifications were not delivered before shutdown");
        }
        notifiers.forEach((name, notifier) -> {
            try {
                notifier.close();
            } catch (Exception e) {
                log.warn("notifier {} failed to close", name, e);
            }
        });
    }
}
