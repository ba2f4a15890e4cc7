package io.aegis.core.internal;

import io.aegis.api.Alert;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where monitors, recovery and actions raise and resolve alerts. An alert is logged, remembered while it
 * fires (so that {@link #resolveAll} can resolve it) and published on the event bus as {@link AlertFired} /
 * {@link AlertResolved}; a lossless subscriber hands it to the notification delivery, and
 * embedders see it like any other event. Thread-safe.
 */
public final class Alerts {
    private static final Logger log = LoggerFactory.getLogger(Alerts.class);

    private final EventBus bus;
    private final Clock clock;
    private final Map<String, Alert> firing = new ConcurrentHashMap<>();

    /** Alerts published on {@code bus}, resolved at {@code clock}'s time. */
    public Alerts(EventBus bus, Clock clock) {
        this.bus = bus;
        this.clock = clock;
    }

    /**
     * Logs {@code alert} and publishes it; completes once it is queued for delivery to every notifier, or
     * exceptionally when the engine has shut its event bus down.
     */
    public CompletionStage<Void> raise(Alert alert) {
        firing.put(key(alert), alert);
        log.warn("{}: ALERT {} [{}] {}", alert.serviceName(), alert.name(), alert.severity().label(), alert.summary());
        return published(alert, bus.publish(AlertFired.of(alert)));
    }

    /** Resolves every alert firing for {@code serviceName}: the service is healthy again. */
    public void resolveAll(String serviceName) {
        for (Alert alert : List.copyOf(firing.values())) {
            if (alert.serviceName().equals(serviceName) && firing.remove(key(alert), alert)) {
                log.info("{}: RESOLVED {}", serviceName, alert.name());
                Alert resolved = alert.resolve(clock.instant());
                published(resolved, bus.publish(AlertResolved.of(resolved)));
            }
        }
    }

    /**
     * Resolves the one alert {@code alertName} of {@code serviceName}, if it fires: its condition ended while
     * others (an escalation) still hold (a service stops flapping but is still down). A no-op otherwise.
     */
    public void resolve(String serviceName, String alertName) {
        Alert alert = firing.get(serviceName + '\u0000' + alertName);
        if (alert != null && firing.remove(key(alert), alert)) {
            log.info("{}: RESOLVED {}", serviceName, alert.name());
            Alert resolved = alert.resolve(clock.instant());
            published(resolved, bus.publish(AlertResolved.of(resolved)));
        }
    }

    /**
     * Resolves the firing alert whose {@linkplain Alert#fingerprint() fingerprint} is {@code fingerprint}: a
     * threshold rule's condition ended. A no-op when no such alert fires.
     */
    public void resolveFingerprint(String fingerprint) {
        for (Alert alert : List.copyOf(firing.values())) {
            if (alert.fingerprint().equals(fingerprint) && firing.remove(key(alert), alert)) {
                log.info("{}: RESOLVED {}", alert.serviceName(), alert.name());
                Alert resolved = alert.resolve(clock.instant());
                published(resolved, bus.publish(AlertResolved.of(resolved)));
            }
        }
    }

    private static CompletableFuture<Void> published(Alert alert, boolean queued) {
        if (queued) {
            return CompletableFuture.completedFuture(null);
        }
        log.warn("{}: alert {} ({}) came after the engine stopped delivering events; no notifier gets it",
                alert.serviceName(), alert.name(), alert.state().name().toLowerCase(java.util.Locale.ROOT));
        return CompletableFuture.failedFuture(new IllegalStateException("the engine is shutting down"));
    }

    private static String key(Alert alert) {
        return alert.serviceName() + '\u0000' + alert.name();
    }
}
