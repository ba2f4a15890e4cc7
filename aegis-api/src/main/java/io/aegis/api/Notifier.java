package io.aegis.api;

import java.util.concurrent.CompletionStage;

/**
 * Delivers {@link Alert}s to one destination (a webhook, Alertmanager, a chat). Created by a
 * {@link NotifierFactory}.
 *
 * <p>{@link #deliver} must not block. Complete the stage exceptionally when the alert was not delivered;
 * the engine retries with backoff, so a notifier does not retry on its own.
 */
@FunctionalInterface
public interface Notifier extends AutoCloseable {

    /** Sends one alert; completes when the destination has accepted it. */
    CompletionStage<Void> deliver(Alert alert);

    /** Releases connections; called once when the engine stops. */
    @Override
    default void close() {
    }
}
