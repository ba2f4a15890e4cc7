package io.aegis.core.internal.alerting;

import io.aegis.api.Notification;

/** Where the alert lifecycle hands notifications over for delivery. */
public interface NotificationSink {

    /**
     * Queues {@code notification} for the notifier named {@code notifierName} and returns at once; it is
     * delivered after every notification queued for that notifier before it.
     */
    void enqueue(String notifierName, Notification notification);
}
