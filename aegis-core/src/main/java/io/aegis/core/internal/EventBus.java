package io.aegis.core.internal;

import io.aegis.core.event.ServiceEvent;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers service events to subscribers, synchronously on the publishing thread (the service's
 * serialized monitor), so each subscriber sees one service's events in order; events of different services
 * arrive concurrently from several threads, so subscribers must be thread-safe. A subscriber that throws is
 * logged once with its stack trace and never breaks delivery to the others; subscribers must be quick.
 */
public final class EventBus {
    private static final Logger log = LoggerFactory.getLogger(EventBus.class);

    private final List<Subscription<?>> subscriptions = new CopyOnWriteArrayList<>();
    private final Set<Object> listenersThatFailed = ConcurrentHashMap.newKeySet();

    /** Subscribes {@code listener} to events of {@code type} (and its subtypes); returns a handle to cancel. */
    public <E extends ServiceEvent> AutoCloseable subscribe(Class<E> type, Consumer<? super E> listener) {
        Subscription<E> subscription = new Subscription<>(type, listener);
        subscriptions.add(subscription);
        return () -> subscriptions.remove(subscription);
    }

    /** Hands {@code event} to every matching subscriber. */
    public void publish(ServiceEvent event) {
        for (Subscription<?> subscription : subscriptions) {
            subscription.deliver(event, this);
        }
    }

    private void failed(Object listener, ServiceEvent event, Throwable e) {
        if (listenersThatFailed.add(listener)) {
            log.warn("{}: event listener {} threw on {}; it keeps receiving events, further failures are logged at"
                    + " debug", event.serviceName(), listener, event.getClass().getSimpleName(), e);
        } else {
            log.debug("{}: event listener {} threw again", event.serviceName(), listener, e);
        }
    }

    private static final class Subscription<E extends ServiceEvent> {
        private final Class<E> type;
        private final Consumer<? super E> listener;

        Subscription(Class<E> type, Consumer<? super E> listener) {
            this.type = type;
            this.listener = listener;
        }

        void deliver(ServiceEvent event, EventBus bus) {
            if (!type.isInstance(event)) {
                return;
            }
            try {
                listener.accept(type.cast(event));
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) { // an AssertionError in a listener must not stop the others or the engine
                bus.failed(listener, event, e);
            }
        }
    }
}
