package io.aegis.core.internal.alerting.delivery;

import io.aegis.api.Alert;
import io.aegis.api.Notification;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.AlertResolved;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.internal.alerting.NotificationSink;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * Until the alert lifecycle (grouping, routing, silences) takes its place: makes each {@link AlertFired} and
 * {@link AlertResolved} event a notification of its own alert alone, queued for every notifier. The engine
 * subscribes it to its event bus losslessly.
 */
public final class AlertNotifications {
    private final NotificationSink sink;
    private final List<String> notifierNames;
    private final Clock clock;

    /** Queues into {@code sink}, for each of {@code notifierNames}, notifications made at {@code clock}'s time. */
    public AlertNotifications(NotificationSink sink, Collection<String> notifierNames, Clock clock) {
        this.sink = sink;
        this.notifierNames = List.copyOf(notifierNames);
        this.clock = clock;
    }

    /** Queues the alert of an {@link AlertFired} or {@link AlertResolved} event; ignores other events. */
    public void onEvent(ServiceEvent event) {
        Alert alert = event instanceof AlertFired ? ((AlertFired) event).alert()
                : event instanceof AlertResolved ? ((AlertResolved) event).alert() : null;
        if (alert == null) {
            return;
        }
        Notification notification = Notification.of(UUID.randomUUID().toString(), alert, clock.instant());
        notifierNames.forEach(name -> sink.enqueue(name, notification));
    }
}
