package io.aegis.alerting.log;

import io.aegis.api.Alert;
import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import io.aegis.api.Severity;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Writes each alert as one line to a {@link System.Logger}. */
final class LogNotifier implements Notifier {
    private final System.Logger logger;

    LogNotifier(System.Logger logger) {
        this.logger = logger;
    }

    @Override
    public CompletionStage<Void> deliver(Alert alert) {
        try {
            logger.log(level(alert), line(alert));
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * One line per alert of the notification, in its order; a repeat (the same alerts again after the route's
     * {@code repeatInterval}) is logged too, so a log reader sees that the alert still fires.
     */
    @Override
    public CompletionStage<Void> deliver(Notification notification) {
        try {
            for (Alert alert : notification.alerts()) {
                logger.log(level(alert), line(alert));
            }
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    static Level level(Alert alert) {
        if (alert.state() == Alert.State.RESOLVED) {
            return Level.INFO;
        }
        return alert.severity() == Severity.CRITICAL ? Level.ERROR : Level.WARNING;
    }

    /** {@code ALERT firing critical ServiceUnhealthy service=api zone=eu: api is unhealthy: HTTP 503}. */
    static String line(Alert alert) {
        StringBuilder line = new StringBuilder("ALERT ")
                .append(alert.state() == Alert.State.FIRING ? "firing" : "resolved").append(' ')
                .append(alert.severity().label()).append(' ')
                .append(alert.name()).append(" service=").append(oneLine(alert.serviceName()));
        for (Map.Entry<String, String> label : new TreeMap<>(alert.labels()).entrySet()) {
            line.append(' ').append(oneLine(label.getKey())).append('=').append(oneLine(label.getValue()));
        }
        return line.append(": ").append(oneLine(alert.summary())).toString();
    }

    // A summary may quote a log line or a response body; a line break in it must not forge a second log line.
    private static String oneLine(String text) {
        return text.replace("\r", "\\r").replace("\n", "\\n");
    }

    @Override
    public String toString() {
        return "log notifier (" + logger.getName() + ")";
    }
}
