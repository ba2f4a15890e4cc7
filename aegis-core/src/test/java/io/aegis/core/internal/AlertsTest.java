package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.Alert;
import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import io.aegis.api.Severity;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.internal.alerting.delivery.NotificationDelivery;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raising and resolving alerts publishes them as events; the notification delivery, subscribed, delivers them. */
class AlertsTest {
    private static final Duration AWAIT = Duration.ofSeconds(10);
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final EventBus bus = new EventBus();
    private final Alerts alerts = new Alerts(bus, Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC));
    private final List<ServiceEvent> published = new CopyOnWriteArrayList<>();
    private final List<Alert> delivered = new CopyOnWriteArrayList<>();
    @TempDir
    Path spool;
    private NotificationDelivery delivery;

    private Notifier recordingNotifier() {
        return alert -> {
            delivered.add(alert);
            return CompletableFuture.completedFuture(null);
        };
    }

    @AfterEach
    void stop() {
        bus.close();
        if (delivery != null) {
            delivery.close();
        }
        timer.shutdownNow();
    }

    private static Alert firing(String name, String service) {
        return Alert.builder(name, service).severity(Severity.CRITICAL).summary(service + " is down").startsAt(T0)
                .build();
    }

    @Test
    void aRaisedAlertReachesTheNotifiersThroughTheBusAndIsResolvedWhenItsServiceIsHealthy() {
        delivery = new NotificationDelivery(Map.of("hook", recordingNotifier()), spool, false, Scheduler.over(timer),
                Runnable::run);
        delivery.start();
        // What the engine's lifecycle does with groupWait and groupInterval 0s: each alert at once, alone.
        bus.subscribeLossless("AlertLifecycle", ServiceEvent.class, event -> {
            if (event instanceof AlertFired fired) {
                delivery.enqueue("hook", Notification.of(java.util.UUID.randomUUID().toString(), fired.alert(), T0));
            } else if (event instanceof AlertResolved resolved) {
                delivery.enqueue("hook", Notification.of(java.util.UUID.randomUUID().toString(), resolved.alert(), T0));
            }
        });
        bus.subscribe(ServiceEvent.class, published::add);

        assertThat(alerts.raise(firing("ServiceUnhealthy", "api"))).isCompleted();
        alerts.raise(firing("ServiceUnhealthy", "db"));
        alerts.resolveAll("api");

        await().atMost(AWAIT).until(() -> delivered.size() == 3 && published.size() == 3);
        assertThat(delivered).extracting(Alert::serviceName, Alert::state).containsExactly(
                org.assertj.core.api.Assertions.tuple("api", Alert.State.FIRING),
                org.assertj.core.api.Assertions.tuple("db", Alert.State.FIRING),
                org.assertj.core.api.Assertions.tuple("api", Alert.State.RESOLVED));
        assertThat(published.get(0)).isEqualTo(AlertFired.of(firing("ServiceUnhealthy", "api")));
        assertThat(published.get(2)).isInstanceOfSatisfying(AlertResolved.class, resolved -> {
            assertThat(resolved.serviceName()).isEqualTo("api");
            assertThat(resolved.at()).isEqualTo(T0.plusSeconds(60));
            assertThat(resolved.alert().startsAt()).isEqualTo(T0);
        });
    }

    @Test
    void resolvingAServiceWithNothingFiringPublishesNothing() {
        bus.subscribe(ServiceEvent.class, published::add);
        alerts.raise(firing("ServiceUnhealthy", "api"));
        alerts.resolveAll("api");

        alerts.resolveAll("api");
        alerts.resolveAll("db");

        assertThat(bus.close(AWAIT)).isTrue();
        assertThat(published).extracting(event -> event.getClass().getSimpleName())
                .containsExactly("AlertFired", "AlertResolved");
    }

    @Test
    void resolvingOneAlertByNameLeavesTheServicesOtherAlertsFiring() {
        bus.subscribe(ServiceEvent.class, published::add);
        alerts.raise(firing("ServiceFlapping", "api"));
        alerts.raise(firing("RecoveryEscalated", "api"));

        alerts.resolve("api", "ServiceFlapping");
        alerts.resolve("api", "ServiceFlapping"); // no longer firing: nothing more
        alerts.resolveAll("api");

        assertThat(bus.close(AWAIT)).isTrue();
        assertThat(published).extracting(event -> event.getClass().getSimpleName() + " "
                + (event instanceof AlertFired fired ? fired.alert().name() : ((AlertResolved) event).alert().name()))
                .containsExactly("AlertFired ServiceFlapping", "AlertFired RecoveryEscalated",
                        "AlertResolved ServiceFlapping", "AlertResolved RecoveryEscalated");
    }

    @Test
    void anAlertRaisedAfterTheBusClosedFailsInsteadOfVanishing() {
        bus.close();

        assertThat(alerts.raise(firing("ServiceUnhealthy", "api")).toCompletableFuture())
                .isCompletedExceptionally();
    }

    @Test
    void aServiceResolvesOnlyItsOwnAlertsRestoredOrRaisedAndCanFireAgainAfterwards() {
        List<Alert> resolvedAlerts = new CopyOnWriteArrayList<>();
        bus.subscribeLossless("test", AlertResolved.class, resolved -> resolvedAlerts.add(resolved.alert()));
        alerts.restore(List.of(firing("ServiceUnhealthy", "db")), java.util.Set.of());
        alerts.raise(firing("ServiceUnhealthy", "api"));
        alerts.raise(firing("RecoveryEscalated", "api"));
        alerts.raiseStanding(firing("HighLatency", "api"));

        alerts.resolveAll("api");
        await().atMost(AWAIT).until(() -> resolvedAlerts.size() == 2);
        assertThat(resolvedAlerts).extracting(Alert::serviceName, Alert::name).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("api", "ServiceUnhealthy"),
                org.assertj.core.groups.Tuple.tuple("api", "RecoveryEscalated"));

        alerts.resolveService("db");
        await().atMost(AWAIT).until(() -> resolvedAlerts.size() == 3);
        assertThat(resolvedAlerts.get(2).serviceName()).isEqualTo("db");

        alerts.resolveService("api"); // the standing one goes with its service
        await().atMost(AWAIT).until(() -> resolvedAlerts.size() == 4);
        assertThat(resolvedAlerts.get(3).name()).isEqualTo("HighLatency");

        alerts.raise(firing("ServiceUnhealthy", "api")); // resolved, so it fires anew
        alerts.resolve("api", "ServiceUnhealthy");
        await().atMost(AWAIT).until(() -> resolvedAlerts.size() == 5);
        alerts.resolveService("api");
        alerts.resolveService("db");
        assertThat(alerts.standingFingerprints()).isEmpty();
    }
}
