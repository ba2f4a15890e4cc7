package io.aegis.alerting.webhook;

import io.aegis.api.Alert;
import io.aegis.api.Durations;
import io.aegis.api.Notifier;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** POSTs alerts to one webhook with the factory's shared client; never blocks the caller. */
final class WebhookNotifier implements Notifier {
    private static final int MAX_CAUSES = 32;

    private final String receiver;
    private final WebhookConfig config;
    private final HttpClient client;
    private final ScheduledExecutorService timer;

    WebhookNotifier(String receiver, WebhookConfig config, HttpClient client, ScheduledExecutorService timer) {
        this.receiver = receiver;
        this.config = config;
        this.client = client;
        this.timer = timer;
    }

    @Override
    public CompletionStage<Void> deliver(Alert alert) {
        CompletableFuture<Void> delivered = new CompletableFuture<>();
        HttpRequest request;
        try {
            request = config.request(AlertmanagerPayload.json(receiver, alert));
        } catch (RuntimeException e) {
            delivered.completeExceptionally(e);
            return delivered;
        }
        // The request timeout ends only the wait for the response headers; this deadline also ends an
        // answer whose body never finishes.
        ScheduledFuture<?> deadline;
        try {
            deadline = timer.schedule(() -> delivered.completeExceptionally(timedOut()),
                    config.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            delivered.completeExceptionally(new IllegalStateException("the webhook notifier is closed", e));
            return delivered;
        }
        delivered.whenComplete((result, error) -> deadline.cancel(false));
        CompletableFuture<HttpResponse<Void>> exchange;
        try {
            exchange = client.sendAsync(request, HttpResponse.BodyHandlers.discarding());
        } catch (RuntimeException e) {
            delivered.completeExceptionally(e);
            return delivered;
        }
        exchange.whenComplete((response, error) -> {
            if (error != null) {
                delivered.completeExceptionally(failed(error));
            } else if (response.statusCode() / 100 == 2) {
                delivered.complete(null);
            } else {
                delivered.completeExceptionally(new IOException("webhook " + config.shownEndpoint() + " answered HTTP "
                        + response.statusCode()));
            }
        });
        // after a timeout, abort the exchange so its connection is not left waiting; a finished one ignores this
        delivered.whenComplete((result, error) -> exchange.cancel(true));
        return delivered;
    }

    private HttpTimeoutException timedOut() {
        return new HttpTimeoutException("webhook " + config.shownEndpoint() + " did not answer within "
                + Durations.format(config.timeout()));
    }

    private Throwable failed(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof HttpTimeoutException) {
            HttpTimeoutException timeout = timedOut();
            timeout.initCause(cause);
            return timeout;
        }
        String message = deepestMessage(cause);
        if (cause instanceof ConnectException) {
            // JDK 17 reports a refused connection as a ConnectException without a message
            return new IOException("cannot connect to webhook " + config.shownEndpoint()
                    + (message == null ? "" : ": " + message), cause);
        }
        return new IOException("cannot reach webhook " + config.shownEndpoint() + ": "
                + (message == null ? cause.getClass().getSimpleName() : message), cause);
    }

    /** The deepest message in the chain, which is the most concrete one ({@code Connection refused}); or null. */
    private static String deepestMessage(Throwable error) {
        String message = null;
        Throwable current = error;
        for (int depth = 0; current != null && depth < MAX_CAUSES; depth++, current = current.getCause()) {
            if (current.getMessage() != null && !current.getMessage().isBlank()) {
                message = current.getMessage();
            }
        }
        return message;
    }

    @Override
    public String toString() {
        return "webhook " + receiver + " -> " + config.shownEndpoint();
    }
}
