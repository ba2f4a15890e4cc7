package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.Alert;
import io.aegis.api.Severity;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.ServiceEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The front door: alerts known by fingerprint, metadata labels, standing alerts, resolve by fingerprint. */
class AlertsByFingerprintTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final EventBus bus = new EventBus();
    private final List<ServiceEvent> published = new CopyOnWriteArrayList<>();
    private final io.aegis.core.internal.VirtualScheduler time = new io.aegis.core.internal.VirtualScheduler(T0);
    private final Alerts alerts = new Alerts(bus, time.clock(), service -> service.equals("api")
            ? Map.of("team", "payments") : Map.of());

    AlertsByFingerprintTest() {
        bus.subscribeLossless("test", ServiceEvent.class, published::add);
    }

    private List<ServiceEvent> events() {
        assertThat(bus.close(Duration.ofSeconds(10))).isTrue();
        return published;
    }

    private static Alert alert(String name, String service) {
        return Alert.builder(name, service).severity(Severity.CRITICAL).summary(service + " is down").startsAt(T0)
                .build();
    }

    @Test
    void aReRaiseOfAFiringAlertKeepsItsStartAndIsPublishedOnlyWhenItsAnnotationsChange() {
        alerts.raise(alert("ServiceUnhealthy", "web"));
        time.advance(Duration.ofMinutes(1));
        Alert again = alert("ServiceUnhealthy", "web").toBuilder().startsAt(time.now()).build();
        alerts.raise(again);
        alerts.raise(again.toBuilder().description("3 restarts failed").build());

        List<ServiceEvent> events = events();
        assertThat(events).hasSize(2).allSatisfy(event -> assertThat(event).isInstanceOf(AlertFired.class));
        Alert updated = ((AlertFired) events.get(1)).alert();
        assertThat(updated.startsAt()).isEqualTo(T0);
        assertThat(updated.description()).contains("3 restarts failed");
    }

    @Test
    void theServicesOptedInMetadataBecomesLabelsOfItsAlerts() {
        alerts.raise(alert("ServiceUnhealthy", "api"));
        alerts.raise(alert("ServiceUnhealthy", "web"));

        assertThat(events()).extracting(event -> ((AlertFired) event).alert().labels()).containsExactly(
                Map.of("team", "payments"), Map.of());
    }

    @Test
    void aStandingAlertOutlivesItsServicesHealthAndEndsByItsFingerprint() {
        Alert rule = Alert.builder("SlowChecks", "web").label("rule", "slow").startsAt(T0).build();
        alerts.raiseStanding(rule);
        alerts.raise(alert("ServiceUnhealthy", "web"));
        alerts.resolveAll("web");
        assertThat(alerts.standing(rule.fingerprint())).isTrue();
        time.advance(Duration.ofMinutes(2));
        alerts.resolveFingerprint(rule.fingerprint());
        alerts.resolveFingerprint(rule.fingerprint());
        assertThat(alerts.standing(rule.fingerprint())).as("still known as standing: the lifecycle may learn of its"
                + " firing only after it resolved").isTrue();

        assertThat(events()).extracting(event -> event.getClass().getSimpleName() + " "
                + (event instanceof AlertFired f ? f.alert().name() : ((AlertResolved) event).alert().name()))
                .containsExactly("AlertFired SlowChecks", "AlertFired ServiceUnhealthy",
                        "AlertResolved ServiceUnhealthy", "AlertResolved SlowChecks");
        assertThat(((AlertResolved) published.get(3)).alert().endsAt()).contains(T0.plus(Duration.ofMinutes(2)));
    }

    @Test
    void restoredAlertsResolveWithoutBeingPublishedAgainAndThoseOfRemovedServicesAtOnce() {
        Alert api = alert("ServiceUnhealthy", "api");
        Alert gone = alert("ServiceUnhealthy", "gone");
        Alert rule = Alert.builder("SlowChecks", "api").startsAt(T0).build();
        alerts.restore(List.of(api, gone, rule), Set.of(rule.fingerprint()));

        alerts.resolveServicesOtherThan(List.of("api"));
        alerts.resolveAll("api");

        assertThat(events()).extracting(event -> ((AlertResolved) event).alert().serviceName() + "/"
                + ((AlertResolved) event).alert().name()).containsExactly("gone/ServiceUnhealthy",
                        "api/ServiceUnhealthy");
    }
}
