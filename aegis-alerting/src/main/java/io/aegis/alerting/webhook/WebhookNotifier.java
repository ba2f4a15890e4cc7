package io.aegis.alerting.webhook;

import io.aegis.alerting.internal.HttpPost;
import io.aegis.api.Alert;
import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** POSTs notifications to one webhook with the factory's shared client; never blocks the caller. */
final class WebhookNotifier implements Notifier {
    private final String receiver;
    private final WebhookConfig config;
    private final HttpPost http;
    private final String destination;

    WebhookNotifier(String receiver, WebhookConfig config, HttpPost http) {
        this.receiver = receiver;
        this.config = config;
        this.http = http;
        this.destination = "webhook " + config.shownEndpoint();
    }

    @Override
    public CompletionStage<Void> deliver(Alert alert) {
        if (config.format() == WebhookConfig.Format.AEGIS) {
            // an id that tells this incident's firing from its resolve, and one incident from the next
            String id = alert.fingerprint() + "-" + alert.startsAt().toEpochMilli() + "-"
                    + WebhookPayload.status(alert.state());
            return deliver(Notification.of(id, alert, alert.startsAt()));
        }
        return post(() -> WebhookPayload.json(receiver, alert));
    }

    /**
     * One request for the whole notification (Alertmanager's payload), or one per alert in order
     * ({@code format: aegis}); the notification is delivered when every request was, and tried again whole
     * otherwise (the receiver may see an alert twice: delivery is at least once).
     */
    @Override
    public CompletionStage<Void> deliver(Notification notification) {
        if (config.format() == WebhookConfig.Format.ALERTMANAGER) {
            return post(() -> WebhookPayload.json(receiver, notification));
        }
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (int i = 0; i < notification.alerts().size(); i++) {
            int index = i;
            chain = chain.thenCompose(previous -> post(() -> AegisPayload.json(receiver, notification, index)));
        }
        return chain;
    }

    private CompletableFuture<Void> post(java.util.function.Supplier<String> body) {
        try {
            return http.send(config.request(body.get()), config.timeout(), destination, config.secrets());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public String toString() {
        return "webhook " + receiver + " -> " + config.shownEndpoint();
    }
}
