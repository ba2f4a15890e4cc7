package io.aegis.core.internal;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.aegis.core.event.ServiceEvent;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers service events to subscribers asynchronously: {@link #publish} only appends the event to each
 * matching subscriber's own queue, so a slow, blocked or throwing listener never stalls the publishing monitor
 * or another subscriber.
 *
 * <p>Each subscriber is drained by at most one task at a time, on this bus's own thread pool (idle-reaped,
 * grown only while several subscribers have events waiting at once: never a thread per subscriber for its
 * lifetime), so it sees events one at a time, in the order they were published; one service's events are
 * published in order by its serialized monitor. A drain hands over at most {@link #BATCH} events before
 * yielding its thread, so a busy subscriber does not monopolise one.
 *
 * <p>Two kinds of subscription:
 * <ul>
 *   <li>{@link #subscribe bounded}, for embedders' listeners: at most {@code capacity} events wait; a further
 *       event for that subscriber is dropped, counted per subscriber ({@link #droppedBySubscriber()}, exported
 *       as {@code aegis_events_dropped_total{subscriber}}) and logged at WARN at most every
 *       {@link #WARN_EVERY}. Never silent, and never a memory leak because one listener hangs.</li>
 *   <li>{@link #subscribeLossless lossless}, for the engine's own subscribers (metrics, alert delivery), which
 *       return at once and must never lose an event: an unbounded queue.</li>
 * </ul>
 * A listener that throws is logged (the first time with its stack trace, then at debug) and keeps receiving.
 * {@link #close(Duration)} delivers what is pending within a deadline, then stops the drains and the threads.
 */
public final class EventBus implements AutoCloseable {
    /** The default capacity of a bounded subscriber's queue: minutes of events of a large fleet, a few MB. */
    public static final int DEFAULT_CAPACITY = 10_000;
    /** How long {@link #close()} waits for subscribers to take what is pending. */
    public static final Duration CLOSE_DEADLINE = Duration.ofSeconds(5);
    /** How many events one drain delivers before it gives its thread back. */
    static final int BATCH = 256;
    /** At most one overflow line per subscriber in this time (the first at once, later ones summed up). */
    static final long WARN_EVERY = TimeUnit.SECONDS.toNanos(30);
    private static final Logger log = LoggerFactory.getLogger(EventBus.class);

    private final int capacity;
    private final ExecutorService drains;
    private final LongSupplier nanoTime;
    private final Consumer<String> warn;
    private final List<Subscription<?>> subscriptions = new CopyOnWriteArrayList<>();
    /** Drops per subscriber name; kept after unsubscribing so the counter never goes back. */
    private final ConcurrentMap<String, LongAdder> dropped = new ConcurrentHashMap<>();
    private final Set<Object> listenersThatFailed = ConcurrentHashMap.newKeySet();
    /** Set when close() starts waiting: drains that run dry then wake it. */
    private volatile boolean closing;
    /** Set when close() stops waiting: nothing more is delivered. */
    private volatile boolean closed;

    /** A bus whose bounded subscribers hold up to {@link #DEFAULT_CAPACITY} events each. */
    public EventBus() {
        this(DEFAULT_CAPACITY);
    }

    /** A bus whose bounded subscribers hold up to {@code capacity} events each. */
    public EventBus(int capacity) {
        this(capacity, System::nanoTime, log::warn);
    }

    /** As the public constructor, with {@code nanoTime} as the time source of the overflow log and its sink. */
    EventBus(int capacity, LongSupplier nanoTime, Consumer<String> warn) {
        // Idle threads go after 30s: a quiet engine holds none; a drain needs one only while events wait.
        this(capacity, nanoTime, warn, new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), new ThreadFactoryBuilder().setNameFormat("aegis-events-%d").setDaemon(true)
                        .build()));
    }

    /**
     * A bus whose drains run on {@code drains} (shut down on close): tests running in virtual time pass a direct
     * executor, so that every event is delivered before {@link #publish} returns.
     */
    public static EventBus deliveringOn(ExecutorService drains) {
        return deliveringOn(drains, DEFAULT_CAPACITY);
    }

    /** As {@link #deliveringOn(ExecutorService)}, with bounded subscribers holding up to {@code capacity} events. */
    public static EventBus deliveringOn(ExecutorService drains, int capacity) {
        return new EventBus(capacity, System::nanoTime, log::warn, drains);
    }

    private EventBus(int capacity, LongSupplier nanoTime, Consumer<String> warn, ExecutorService drains) {
        if (capacity < 1) {
            throw new IllegalArgumentException("the event queue capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
        this.nanoTime = nanoTime;
        this.warn = warn;
        this.drains = drains;
    }

    /**
     * Subscribes {@code listener} to events of {@code type} (and its subtypes) through a queue of at most the
     * bus's capacity; returns a handle to cancel (events still queued for it are then discarded). For
     * listeners the engine does not own.
     */
    public <E extends ServiceEvent> AutoCloseable subscribe(Class<E> type, Consumer<? super E> listener) {
        return add(new Subscription<>(nameOf(listener), type, null, listener, capacity));
    }

    /**
     * Subscribes one of the engine's own {@code listener}s, which must return at once and never lose an event:
     * its queue is unbounded. {@code name} labels it in logs.
     */
    public <E extends ServiceEvent> AutoCloseable subscribeLossless(String name, Class<E> type,
            Consumer<? super E> listener) {
        return add(new Subscription<>(Objects.requireNonNull(name, "name"), type, null, listener, Integer.MAX_VALUE));
    }

    /**
     * As {@link #subscribeLossless(String, Class, Consumer)}, but events of type {@code except} are not delivered:
     * for the engine's subscribers that have no use for them (the alert lifecycle and the check events of every
     * check), so that publishing such an event costs nothing when nobody else wants it (see {@link #wants}).
     */
    public <E extends ServiceEvent> AutoCloseable subscribeLossless(String name, Class<E> type,
            Class<? extends ServiceEvent> except, Consumer<? super E> listener) {
        return add(new Subscription<>(Objects.requireNonNull(name, "name"), type,
                Objects.requireNonNull(except, "except"), listener, Integer.MAX_VALUE));
    }

    /**
     * Whether an event of {@code eventType} would reach any subscriber now: a publisher of an event per check
     * asks first, and builds no event when nobody listens to it.
     */
    public boolean wants(Class<? extends ServiceEvent> eventType) {
        for (Subscription<?> subscription : subscriptions) {
            if (subscription.type.isAssignableFrom(eventType)
                    && (subscription.except == null || !subscription.except.isAssignableFrom(eventType))) {
                return true;
            }
        }
        return false;
    }

    private AutoCloseable add(Subscription<?> subscription) {
        Objects.requireNonNull(subscription.type, "type");
        Objects.requireNonNull(subscription.listener, "listener");
        if (subscription.capacity != Integer.MAX_VALUE) {
            // At 0 from the start, so that rate() sees the first drop.
            dropped.computeIfAbsent(subscription.name, name -> new LongAdder());
        }
        subscriptions.add(subscription);
        return () -> {
            subscription.cancelled = true;
            subscriptions.remove(subscription);
        };
    }

    /**
     * Queues {@code event} for every matching subscriber and returns at once; {@code false} when the bus is
     * closed and nothing is delivered any more.
     */
    public boolean publish(ServiceEvent event) {
        if (closed) {
            log.debug("{}: {} published after the event bus closed; not delivered", event.serviceName(),
                    event.getClass().getSimpleName());
            return false;
        }
        for (Subscription<?> subscription : subscriptions) {
            subscription.offer(event);
        }
        return true;
    }

    /**
     * How many events each bounded subscriber lost to a full queue since it subscribed, by subscriber name (the
     * listener's class, or the class that declared the lambda); every bounded subscriber that ever subscribed is
     * here, at 0 until its first drop.
     */
    public Map<String, Long> droppedBySubscriber() {
        Map<String, Long> counts = new LinkedHashMap<>();
        dropped.forEach((name, count) -> counts.put(name, count.sum()));
        return counts;
    }

    /** As {@link #close(Duration)} with {@link #CLOSE_DEADLINE}. */
    @Override
    public void close() {
        close(CLOSE_DEADLINE);
    }

    /**
     * Waits up to {@code deadline} for every subscriber to take what is queued for it, then stops delivering
     * (logging, per subscriber, the events it did not get) and ends the bus's threads. Events published after
     * that are not delivered. Idempotent.
     *
     * @return whether everything queued was delivered in time
     */
    public boolean close(Duration deadline) {
        if (closed) {
            return true;
        }
        closing = true;
        long end = System.nanoTime() + deadline.toNanos();
        boolean delivered = true;
        for (Subscription<?> subscription : subscriptions) {
            delivered &= subscription.awaitIdle(end);
        }
        closed = true;
        for (Subscription<?> subscription : subscriptions) {
            int left = subscription.size.get();
            if (left > 0) {
                log.warn("event listener {} did not take its last {} event(s) within {}ms of shutdown; they are not"
                        + " delivered", subscription.name, left, deadline.toMillis());
            }
        }
        drains.shutdown();
        try {
            if (!drains.awaitTermination(1, TimeUnit.SECONDS)) {
                drains.shutdownNow(); // interrupts a listener that is still blocked
            }
        } catch (InterruptedException e) {
            drains.shutdownNow();
            Thread.currentThread().interrupt();
        }
        return delivered;
    }

    /**
     * A stable, short name for a listener, of bounded cardinality: its class's simple name, or for a lambda or
     * method reference the simple name of the class that wrote it (lambda class names carry a per-JVM number).
     */
    static String nameOf(Object listener) {
        String name = listener.getClass().getName();
        int lambda = name.indexOf("$$Lambda");
        if (lambda >= 0) {
            name = name.substring(0, lambda);
        }
        name = name.substring(name.lastIndexOf('.') + 1);
        // An anonymous class (Outer$1) is named after the class that declares it.
        name = name.replaceAll("\\$[0-9]+", "");
        return name.isEmpty() ? "listener" : name;
    }

    private void failed(Subscription<?> subscription, ServiceEvent event, Throwable e) {
        if (listenersThatFailed.add(subscription.listener)) {
            log.warn("{}: event listener {} threw on {}; it keeps receiving events, further failures are logged at"
                    + " debug", event.serviceName(), subscription.name, event.getClass().getSimpleName(), e);
        } else {
            log.debug("{}: event listener {} threw again", event.serviceName(), subscription.name, e);
        }
    }

    private final class Subscription<E extends ServiceEvent> {
        private final String name;
        private final Class<E> type;
        /** Events of this type are not delivered; null for none. */
        private final Class<? extends ServiceEvent> except;
        private final Consumer<? super E> listener;
        private final int capacity;
        private final Queue<ServiceEvent> queue = new ConcurrentLinkedQueue<>();
        private final AtomicInteger size = new AtomicInteger();
        /** Whether a drain task is scheduled or running: at most one at a time keeps delivery in order. */
        private final AtomicBoolean draining = new AtomicBoolean();
        private final Runnable drain = this::drain;
        private volatile boolean cancelled;
        // Overflow log state, guarded by this.
        private long droppedSinceWarn;
        private long lastWarn;
        private boolean warnedOnce;

        Subscription(String name, Class<E> type, Class<? extends ServiceEvent> except, Consumer<? super E> listener,
                int capacity) {
            this.name = name;
            this.type = type;
            this.except = except;
            this.listener = listener;
            this.capacity = capacity;
        }

        void offer(ServiceEvent event) {
            if (!type.isInstance(event) || cancelled || (except != null && except.isInstance(event))) {
                return;
            }
            if (size.incrementAndGet() > capacity) {
                size.decrementAndGet();
                overflow(event);
                return;
            }
            queue.offer(event);
            schedule();
        }

        private void schedule() {
            if (draining.compareAndSet(false, true)) {
                try {
                    drains.execute(drain);
                } catch (RejectedExecutionException e) {
                    draining.set(false); // the bus is closed: nothing more is delivered
                }
            }
        }

        private void drain() {
            try {
                while (true) {
                    for (int delivered = 0; delivered < BATCH; delivered++) {
                        ServiceEvent event = queue.poll();
                        if (event == null) {
                            break;
                        }
                        size.decrementAndGet();
                        if (!closed && !cancelled) {
                            deliver(event);
                        }
                    }
                    if (!queue.isEmpty() && !closed) {
                        // A full batch: give the thread back and go on in a fresh task (in order: still one drain).
                        drains.execute(drain);
                        return;
                    }
                    draining.set(false);
                    // An event offered after the last poll but before draining was cleared found a drain running
                    // and did not schedule one: take it here.
                    if (queue.isEmpty() || closed || !draining.compareAndSet(false, true)) {
                        break;
                    }
                }
            } catch (RejectedExecutionException e) {
                draining.set(false);
            }
            if (closing) {
                synchronized (this) {
                    notifyAll();
                }
            }
        }

        private void deliver(ServiceEvent event) {
            try {
                listener.accept(type.cast(event));
            } catch (VirtualMachineError e) {
                draining.set(false);
                throw e;
            } catch (Throwable e) { // an AssertionError in a listener must not stop its delivery or the engine
                failed(this, event, e);
            }
        }

        boolean awaitIdle(long endNanos) {
            synchronized (this) {
                while (size.get() > 0 || draining.get()) {
                    long left = endNanos - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    try {
                        // Bounded slices: a wake-up is only a shortcut.
                        wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 50)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                return true;
            }
        }

        private void overflow(ServiceEvent event) {
            dropped.get(name).increment();
            String line = null;
            synchronized (this) {
                droppedSinceWarn++;
                long now = nanoTime.getAsLong();
                if (!warnedOnce || now - lastWarn >= WARN_EVERY) {
                    line = warnedOnce
                            ? event.serviceName() + ": event listener " + name + " is still " + capacity
                                    + " events behind; " + droppedSinceWarn + " more event(s) dropped in the last "
                                    + TimeUnit.NANOSECONDS.toSeconds(now - lastWarn) + "s"
                                    + " (aegis_events_dropped_total{subscriber=\"" + name + "\"})"
                            : event.serviceName() + ": event listener " + name + " is " + capacity
                                    + " events behind (it is slow or blocked); dropping its "
                                    + event.getClass().getSimpleName() + " and further events until it catches up,"
                                    + " counted in aegis_events_dropped_total{subscriber=\"" + name + "\"}";
                    warnedOnce = true;
                    lastWarn = now;
                    droppedSinceWarn = 0;
                }
            }
            if (line != null) {
                warn.accept(line);
            }
        }
    }
}
