package io.aegis.core.internal;

import io.aegis.api.Alert;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where monitors, recovery, actions and threshold rules raise and resolve alerts. An alert is known by its
 * {@linkplain Alert#fingerprint() fingerprint}: raising one that already fires is no new alert (it keeps its start;
 * only a change of its summary or annotations is published, as an update of the same incident). Each alert is
 * logged, remembered while it fires and published on the event bus as {@link AlertFired} / {@link AlertResolved};
 * the alert lifecycle, a lossless subscriber, notifies it, and embedders see it like any other event.
 *
 * <p>Alerts raised with {@link #raise} end with their service's health ({@link #resolveAll}); those raised with
 * {@link #raiseStanding} (threshold rules) only through {@link #resolveFingerprint}. The service's opted-in
 * metadata ({@code alerting.metadataLabels}) is copied onto its alerts as labels. Thread-safe.
 */
public final class Alerts {
    private static final Logger log = LoggerFactory.getLogger(Alerts.class);

    private final EventBus bus;
    private final Clock clock;
    private final Function<String, Map<String, String>> metadataLabels;
    /** The firing alerts by fingerprint. */
    private final Map<String, Firing> firing = new LinkedHashMap<>();
    /**
     * The same alerts by service, then fingerprint: a service turning healthy, or removed, resolves its own alerts
     * without a scan of every firing one (10,000 failing services resolved one by one would be quadratic).
     */
    private final Map<String, Map<String, Firing>> firingByService = new HashMap<>();
    /** Every fingerprint ever raised standing: kept after its resolve, so the lifecycle asking late gets it right. */
    private final Set<String> standingFingerprints = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Standing alerts restored from the last run that a component took over ({@link #claimStanding}). */
    private final Set<String> claimed = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private record Firing(Alert alert, boolean standing) {
    }

    /** Alerts published on {@code bus}, resolved at {@code clock}'s time, without metadata labels. */
    public Alerts(EventBus bus, Clock clock) {
        this(bus, clock, service -> Map.of());
    }

    /**
     * As {@link #Alerts(EventBus, Clock)}, with {@code metadataLabels} giving each service's labels to copy onto its
     * alerts (a label the alert sets itself wins).
     */
    public Alerts(EventBus bus, Clock clock, Function<String, Map<String, String>> metadataLabels) {
        this.bus = bus;
        this.clock = clock;
        this.metadataLabels = Objects.requireNonNull(metadataLabels, "metadataLabels");
    }

    /**
     * Raises {@code alert}, which ends when its service is healthy again ({@link #resolveAll}); completes once it is
     * queued for the lifecycle (at once for an alert that already fires unchanged), or exceptionally when the
     * engine has shut its event bus down.
     */
    public CompletionStage<Void> raise(Alert alert) {
        return raise(alert, false);
    }

    /**
     * Raises {@code alert}, which ends only through {@link #resolveFingerprint} (a threshold rule: a service
     * turning healthy does not end its condition).
     */
    public CompletionStage<Void> raiseStanding(Alert alert) {
        return raise(alert, true);
    }

    private CompletionStage<Void> raise(Alert raised, boolean standing) {
        Alert alert = withMetadata(raised);
        String fingerprint = alert.fingerprint();
        Alert published;
        synchronized (firing) {
            Firing current = firing.get(fingerprint);
            if (current != null) {
                Alert kept = current.alert();
                if (kept.summary().equals(alert.summary()) && kept.annotations().equals(alert.annotations())) {
                    return CompletableFuture.completedFuture(null); // it fires already: nothing new
                }
                alert = alert.toBuilder().startsAt(kept.startsAt()).build();
            }
            remember(new Firing(alert, standing || (current != null && current.standing())));
            if (standing) {
                standingFingerprints.add(fingerprint); // before it is published
            }
            published = alert;
            if (current == null) {
                log.warn("{}: ALERT {} [{}] {}", alert.serviceName(), alert.name(), alert.severity().label(),
                        alert.summary());
            }
            // Published under the lock: a resolve racing with the raise cannot overtake it on the bus.
            return published(published, bus.publish(AlertFired.of(published)));
        }
    }

    private Alert withMetadata(Alert alert) {
        Map<String, String> extra = metadataLabels.apply(alert.serviceName());
        if (extra == null || extra.isEmpty()) {
            return alert;
        }
        Map<String, String> labels = new LinkedHashMap<>(extra);
        labels.putAll(alert.labels());
        return labels.equals(alert.labels()) ? alert : alert.toBuilder().labels(labels).build();
    }

    /**
     * Takes back the alerts that fired when the last run ended, without publishing them (the lifecycle knows them
     * already): they resolve as any other. {@code standing} are the fingerprints raised with {@link #raiseStanding}.
     */
    public void restore(Collection<Alert> alerts, Set<String> standing) {
        synchronized (firing) {
            for (Alert alert : alerts) {
                if (!firing.containsKey(alert.fingerprint())) {
                    remember(new Firing(alert, standing.contains(alert.fingerprint())));
                }
            }
            standingFingerprints.addAll(standing);
        }
    }

    /**
     * Whether the alert with {@code fingerprint} was raised with {@link #raiseStanding} (for the lifecycle's memory;
     * still true after it resolved, as the lifecycle may learn of its firing only then).
     */
    public boolean standing(String fingerprint) {
        return standingFingerprints.contains(fingerprint);
    }

    /** The fingerprints of the standing alerts firing (threshold rules' own and restored ones). */
    public Set<String> standingFingerprints() {
        synchronized (firing) {
            return firing.entrySet().stream().filter(entry -> entry.getValue().standing())
                    .filter(entry -> !claimed.contains(entry.getKey())).map(Map.Entry::getKey)
                    .collect(java.util.stream.Collectors.toUnmodifiableSet());
        }
    }

    /**
     * Claims the standing alert with {@code fingerprint}, restored from the last run, for the caller, which will
     * resolve it: {@link #standingFingerprints} no longer lists it. False (nothing claimed) when none such fires.
     */
    public boolean claimStanding(String fingerprint) {
        synchronized (firing) {
            Firing current = firing.get(fingerprint);
            if (current == null || !current.standing()) {
                return false;
            }
            claimed.add(fingerprint);
            return true;
        }
    }

    /** Resolves every alert firing for {@code serviceName} except standing ones: the service is healthy again. */
    public void resolveAll(String serviceName) {
        resolveOf(serviceName, entry -> !entry.standing());
    }

    /** Resolves every alert of {@code serviceName}, standing ones too: it is no longer supervised. */
    public void resolveService(String serviceName) {
        resolveOf(serviceName, entry -> true);
    }

    /** Resolves every alert of a service not in {@code serviceNames} (restored alerts of removed services). */
    public void resolveServicesOtherThan(Collection<String> serviceNames) {
        Set<String> names = Set.copyOf(serviceNames);
        resolveWhere(entry -> !names.contains(entry.alert().serviceName()));
    }

    /**
     * Resolves the one alert {@code alertName} of {@code serviceName}, if it fires: its condition ended while
     * others (an escalation) still hold (a service stops flapping but is still down). A no-op otherwise.
     */
    public void resolve(String serviceName, String alertName) {
        resolveOf(serviceName, entry -> entry.alert().name().equals(alertName));
    }

    /**
     * Resolves the alert with {@code fingerprint}; a no-op when it does not fire. A lookup, not a scan: threshold
     * rules call it for every rule and service at each evaluation.
     */
    public void resolveFingerprint(String fingerprint) {
        synchronized (firing) {
            Firing entry = firing.get(fingerprint);
            if (entry != null) {
                resolveWhere(candidate -> candidate == entry);
            }
        }
    }

    /**
     * The fingerprint {@code alert} has once raised: with its service's opted-in metadata labels, which
     * {@link #raise} adds. Threshold rules resolve by it.
     */
    public String fingerprintOf(Alert alert) {
        return withMetadata(alert).fingerprint();
    }

    private void resolveWhere(Predicate<Firing> which) {
        synchronized (firing) {
            resolveAmong(List.copyOf(firing.values()), which);
        }
    }

    private void resolveOf(String serviceName, Predicate<Firing> which) {
        synchronized (firing) {
            Map<String, Firing> ofService = firingByService.get(serviceName);
            if (ofService != null) {
                resolveAmong(List.copyOf(ofService.values()), which);
            }
        }
    }

    private void resolveAmong(List<Firing> candidates, Predicate<Firing> which) {
        for (Firing entry : candidates) {
            if (which.test(entry)) {
                Alert alert = entry.alert();
                forget(alert);
                log.info("{}: RESOLVED {}", alert.serviceName(), alert.name());
                Alert resolved = alert.resolve(clock.instant());
                published(resolved, bus.publish(AlertResolved.of(resolved)));
            }
        }
    }

    private void remember(Firing entry) {
        Alert alert = entry.alert();
        firing.put(alert.fingerprint(), entry);
        firingByService.computeIfAbsent(alert.serviceName(), service -> new LinkedHashMap<>())
                .put(alert.fingerprint(), entry);
    }

    private void forget(Alert alert) {
        firing.remove(alert.fingerprint());
        Map<String, Firing> ofService = firingByService.get(alert.serviceName());
        if (ofService != null && ofService.remove(alert.fingerprint()) != null && ofService.isEmpty()) {
            firingByService.remove(alert.serviceName());
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
}
