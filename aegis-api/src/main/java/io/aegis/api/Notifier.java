package io.aegis.api;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Delivers {@link Alert}s to one destination (a webhook, Alertmanager, a chat). Created by a
 * {@link NotifierFactory}.
 *
 * <p>The engine calls a notifier with one {@link Notification} at a time (never two in flight), in order, and
 * retries a failed one with backoff until it is delivered (see {@link DeliveryException} for what is not
 * retried); so a notifier does not retry or queue on its own. {@code deliver} must not block.
 */
@FunctionalInterface
public interface Notifier extends AutoCloseable {

    /**
     * Sends one alert; completes when the destination has accepted it.
     *
     * @param alert the alert, firing or resolved
     * @return a stage completed when the destination has accepted the alert, exceptionally (with a {@link
     *     DeliveryException} saying whether to retry) when it has not
     */
    CompletionStage<Void> deliver(Alert alert);

    /**
     * Sends a group of alerts; completes when the destination has accepted all of it, exceptionally otherwise
     * (then the whole notification is tried again). By default each alert is {@linkplain #deliver(Alert)
     * delivered} in turn; a notifier that sends a group in one request overrides this.
     *
     * @param notification the group of alerts to send
     * @return a stage completed when the destination has accepted the whole notification
     */
    default CompletionStage<Void> deliver(Notification notification) {
        CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
        for (Alert alert : notification.alerts()) {
            chain = chain.thenCompose(previous -> deliver(alert));
        }
        return chain;
    }

    /**
     * {@return how often the destination must hear again about alerts that still fire, when it forgets them otherwise
     * (Alertmanager resolves an alert whose client stopped sending it)} The engine then re-sends every firing alert
     * routed here at this interval, and every resolved one for a while after it resolved, whatever the route's {@code
     * repeatInterval}. Empty (the default) when the destination keeps what it was told.
     */
    default Optional<Duration> resendInterval() {
        return Optional.empty();
    }

    /** Releases connections; called once when the engine stops. */
    @Override
    default void close() {
    }
}
