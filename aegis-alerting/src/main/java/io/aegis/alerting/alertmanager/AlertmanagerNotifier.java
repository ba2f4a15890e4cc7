package io.aegis.alerting.alertmanager;

import io.aegis.alerting.internal.HttpPost;
import io.aegis.api.Alert;
import io.aegis.api.DeliveryException;
import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Pushes alerts to every Alertmanager of its list in parallel, as Prometheus does: Alertmanagers of an HA pair
 * gossip silences and notification logs, not alerts, so each must hear of every alert. A delivery succeeds when at
 * least one took the alerts (Prometheus' rule too): the next re-send, a {@link #resendInterval()} later, reaches
 * the one that was down. Never blocks the caller.
 */
final class AlertmanagerNotifier implements Notifier {
    private static final System.Logger LOG = System.getLogger(AlertmanagerNotifier.class.getName());

    private final String name;
    private final AlertmanagerConfig config;
    private final HttpPost http;
    private final Clock clock;
    /** Per target: whether its last delivery failed, so a down Alertmanager is logged once, not every re-send. */
    private final List<AtomicBoolean> failing = new ArrayList<>();

    AlertmanagerNotifier(String name, AlertmanagerConfig config, HttpPost http, Clock clock) {
        this.name = name;
        this.config = config;
        this.http = http;
        this.clock = clock;
        config.targets().forEach(target -> failing.add(new AtomicBoolean()));
    }

    @Override
    public CompletionStage<Void> deliver(Alert alert) {
        return post(List.of(alert));
    }

    /** All alerts of the notification in one request per Alertmanager; Alertmanager groups them itself. */
    @Override
    public CompletionStage<Void> deliver(Notification notification) {
        return post(notification.alerts());
    }

    @Override
    public Optional<Duration> resendInterval() {
        return Optional.of(config.resendInterval());
    }

    private CompletionStage<Void> post(List<Alert> alerts) {
        String json;
        try {
            json = AlertmanagerPayload.json(alerts, clock.instant(), config.resendInterval());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<AlertmanagerConfig.Target> targets = config.targets();
        List<CompletableFuture<Throwable>> outcomes = new ArrayList<>();
        for (AlertmanagerConfig.Target target : targets) {
            CompletableFuture<Void> sent;
            try {
                sent = http.send(target.request(json, config.timeout()), config.timeout(),
                        "alertmanager " + target.shown(), target.secrets());
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            }
            outcomes.add(sent.handle((ok, error) -> unwrap(error)));
        }
        return CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new))
                .thenApply(all -> outcomes.stream().map(CompletableFuture::join).toList())
                .thenCompose(errors -> {
                    if (!errors.contains(null)) {
                        // the delivery failed as a whole, and the engine logs that
                        return CompletableFuture.failedFuture(combined(errors));
                    }
                    for (int i = 0; i < errors.size(); i++) {
                        track(targets.get(i), failing.get(i), errors.get(i));
                    }
                    return CompletableFuture.completedFuture(null);
                });
    }

    /** Logs when an Alertmanager starts failing while another takes the alerts, and when it is back. */
    private void track(AlertmanagerConfig.Target target, AtomicBoolean wasFailing, Throwable error) {
        if (error != null && !wasFailing.getAndSet(true)) {
            LOG.log(Level.WARNING, "notifier " + name + ": " + error.getMessage() + "; the other Alertmanagers"
                    + " still get the alerts, and this one gets them again with the next re-send once it is back");
        } else if (error == null && wasFailing.getAndSet(false)) {
            LOG.log(Level.INFO, "notifier " + name + ": alertmanager " + target.shown() + " takes alerts again");
        }
    }

    /**
     * Every Alertmanager failed: with one, its failure as it is; with several, rejected only when every one
     * rejected the alerts (one that may take them later is worth a retry), after the shortest wait asked for.
     */
    private static Throwable combined(List<Throwable> errors) {
        if (errors.size() == 1) {
            return errors.get(0);
        }
        StringBuilder message = new StringBuilder("none of the ").append(errors.size())
                .append(" Alertmanagers took the alerts: ");
        boolean allRejected = true;
        Duration retryAfter = null;
        boolean everyRetryHasWait = true;
        for (int i = 0; i < errors.size(); i++) {
            Throwable error = errors.get(i);
            message.append(i == 0 ? "" : "; ").append(error.getMessage());
            if (error instanceof DeliveryException && !((DeliveryException) error).retryable()) {
                continue;
            }
            allRejected = false;
            Optional<Duration> wait = error instanceof DeliveryException ? ((DeliveryException) error).retryAfter()
                    : Optional.empty();
            if (wait.isEmpty()) {
                everyRetryHasWait = false;
            } else if (retryAfter == null || wait.get().compareTo(retryAfter) < 0) {
                retryAfter = wait.get();
            }
        }
        return allRejected ? DeliveryException.rejected(message.toString())
                : DeliveryException.retryLater(message.toString(), everyRetryHasWait ? retryAfter : null);
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    @Override
    public String toString() {
        return "alertmanager " + name + " -> " + config.targets().stream().map(AlertmanagerConfig.Target::shown)
                .toList();
    }
}
