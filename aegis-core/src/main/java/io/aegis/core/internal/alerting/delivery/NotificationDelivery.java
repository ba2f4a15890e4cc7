package io.aegis.core.internal.alerting.delivery;

import io.aegis.api.Alert;
import io.aegis.api.DeliveryException;
import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import io.aegis.core.internal.Deadlines;
import io.aegis.core.internal.Scheduler;
import io.aegis.core.internal.alerting.NotificationSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers notifications to the notifiers, losing none: each notifier has its own queue, first in first out,
 * with one delivery in flight at a time, so a dead or hanging receiver holds one plugin call (bounded by a
 * deadline) and delays only its own notifications, never checks or other notifiers.
 *
 * <ul>
 *   <li>A failed attempt is retried after a backoff of 1s doubling up to 5m, with full jitter (a random delay
 *       between 0 and that bound, so that aegis instances that lost the same receiver do not come back in step),
 *       or after the receiver's {@link DeliveryException#retryAfter() Retry-After} (capped at 1h). A
 *       {@linkplain DeliveryException#rejected rejected} notification is not retried: it is logged with the
 *       receiver's answer and dropped (counted, {@code reason="rejected"}).</li>
 *   <li>The queue is bounded ({@value #DEFAULT_QUEUE_CAPACITY} per notifier): when it is full, the oldest queued
 *       <em>repeat</em> is dropped, else the oldest notification (counted, {@code reason="overflow"}, logged once
 *       per burst). A queued repeat is also dropped when a newer notification of its group is queued: the newer
 *       one says all it would. Two notifications that are not repeats are never merged: separate incidents stay
 *       separate messages.</li>
 *   <li>Every notification is written to an on-disk {@link Spool} (in the state directory) before
 *       {@link #enqueue} returns, and taken off it once delivered; {@link #start()} delivers what an earlier run
 *       left there first, in order. Delivery is at least once: a notification delivered just before a crash may
 *       be delivered again after it (the id stays the same, so a receiver can drop the duplicate).</li>
 *   <li>{@link #close()} gives what is waiting one last chance of {@value #SHUTDOWN_SECONDS}s in total; the rest
 *       stays spooled for the next start.</li>
 * </ul>
 */
public final class NotificationDelivery implements NotificationSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NotificationDelivery.class);
    /** Notifications each notifier's queue holds before it drops some. */
    public static final int DEFAULT_QUEUE_CAPACITY = 10_000;
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration MAX_RETRY = Duration.ofMinutes(5);
    /** The longest Retry-After honoured: a receiver asking for a day is more likely wrong than right. */
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);
    /** How long one attempt may take before it counts as failed (the notifier's own timeout is usually shorter). */
    static final Duration ATTEMPT_DEADLINE = Duration.ofSeconds(30);
    private static final int SHUTDOWN_SECONDS = 3;
    /** How long {@link #close()} spends, in total, on last attempts: shutdown must stay fast. */
    static final Duration SHUTDOWN_DEADLINE = Duration.ofSeconds(SHUTDOWN_SECONDS);
    /** How many undelivered notifications close() names one by one before it only counts. */
    private static final int NAMED_AT_SHUTDOWN = 20;

    private final Map<String, Lane> lanes = new LinkedHashMap<>();
    private final Path spoolDirectory;
    private final boolean temporarySpool;
    private final Scheduler scheduler;
    private final Executor pluginCalls;
    private final int queueCapacity;
    private final DoubleSupplier random;
    private final Duration attemptDeadline;
    private final Duration shutdownDeadline;
    /** Attempts started and not yet finished, over every lane: what close() waits for. */
    private final AtomicInteger attemptsRunning = new AtomicInteger();
    private final Object idle = new Object();
    private volatile boolean started;
    private volatile boolean closing;
    private volatile boolean closed;

    /**
     * Delivers to {@code notifiers} (by name), spooling in {@code spoolDirectory} (one journal per notifier);
     * {@code temporarySpool} says that directory goes away when aegis stops (no {@code global.stateDir}), which
     * is then logged. {@code scheduler} times retries and deadlines and never runs a notifier; notifiers are
     * called on {@code pluginCalls}.
     */
    public NotificationDelivery(Map<String, Notifier> notifiers, Path spoolDirectory, boolean temporarySpool,
            Scheduler scheduler, Executor pluginCalls) {
        this(notifiers, spoolDirectory, temporarySpool, scheduler, pluginCalls, DEFAULT_QUEUE_CAPACITY,
                () -> ThreadLocalRandom.current().nextDouble(), ATTEMPT_DEADLINE, SHUTDOWN_DEADLINE);
    }

    /**
     * As the public constructor, with the queue capacity, the source of jitter (a uniform value in [0, 1)), the
     * deadline of an attempt and the time {@link #close()} may spend on last attempts.
     */
    NotificationDelivery(Map<String, Notifier> notifiers, Path spoolDirectory, boolean temporarySpool,
            Scheduler scheduler, Executor pluginCalls, int queueCapacity, DoubleSupplier random,
            Duration attemptDeadline, Duration shutdownDeadline) {
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be at least 1, not " + queueCapacity);
        }
        notifiers.forEach((name, notifier) -> lanes.put(name, new Lane(name, notifier)));
        this.spoolDirectory = Objects.requireNonNull(spoolDirectory, "spoolDirectory");
        this.temporarySpool = temporarySpool;
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.pluginCalls = Objects.requireNonNull(pluginCalls, "pluginCalls");
        this.queueCapacity = queueCapacity;
        this.random = Objects.requireNonNull(random, "random");
        this.attemptDeadline = attemptDeadline;
        this.shutdownDeadline = shutdownDeadline;
    }

    /**
     * Opens the spool (the engine calls it once it holds the state directory's lock) and starts delivering: what
     * an earlier run left in the spool first, in order, then what was queued since this object was made.
     */
    public void start() {
        if (started || closing) {
            return;
        }
        if (temporarySpool && !lanes.isEmpty()) {
            log.info("no global.stateDir is configured: notifications that are not delivered when aegis stops are"
                    + " lost (they wait in a temporary spool, {}); set global.stateDir to keep them", spoolDirectory);
        }
        for (Lane lane : lanes.values()) {
            lane.open(Spool.open(spoolDirectory.resolve(fileName(lane.name) + ".journal"), lane.name));
        }
        reportJournalsOfFormerNotifiers();
        started = true;
        lanes.values().forEach(Lane::pump);
    }

    /**
     * Queues {@code notification} for {@code notifierName}; it is on disk when this returns (once
     * {@link #start()} ran), and delivered after everything queued for that notifier before it.
     *
     * @throws IllegalArgumentException when no notifier has that name
     */
    @Override
    public void enqueue(String notifierName, Notification notification) {
        Lane lane = lanes.get(notifierName);
        if (lane == null) {
            throw new IllegalArgumentException("no notifier is named \"" + notifierName + "\" (configured: "
                    + String.join(", ", lanes.keySet()) + ")");
        }
        Objects.requireNonNull(notification, "notification");
        if (closed) {
            log.warn("{}: {} was not sent to {}: aegis is stopping and its spool is closed", subject(notification),
                    describe(notification), notifierName);
            return;
        }
        lane.enqueue(notification);
        lane.pump();
    }

    /** What each notifier's delivery has done so far, for the metrics; in the order the notifiers were given. */
    public List<NotifierCounts> counts() {
        List<NotifierCounts> counts = new ArrayList<>(lanes.size());
        lanes.values().forEach(lane -> counts.add(lane.counts()));
        return counts;
    }

    /**
     * Stops retrying after one last chance: each notifier's waiting notifications get another attempt at once
     * (a retry may be minutes away), and deliveries go on in order, for up to {@value #SHUTDOWN_SECONDS}s in
     * total. What is still not delivered then stays in the spool for the next start, and is logged so. Closes the
     * notifiers. Idempotent.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        if (started) {
            lanes.values().forEach(Lane::lastChance);
            awaitAttempts(System.nanoTime() + shutdownDeadline.toNanos());
        }
        closed = true;
        lanes.values().forEach(Lane::reportAndClose);
        for (Lane lane : lanes.values()) {
            try {
                lane.notifier.close();
            } catch (Exception e) {
                log.warn("notifier {} failed to close", lane.name, e);
            }
        }
    }

    /** A journal no configured notifier reads is left alone (the notifier may come back), but not silently. */
    private void reportJournalsOfFormerNotifiers() {
        Set<String> current = new HashSet<>();
        lanes.keySet().forEach(name -> current.add(fileName(name) + ".journal"));
        try (Stream<Path> files = Files.list(spoolDirectory)) {
            files.filter(file -> file.getFileName().toString().endsWith(".journal"))
                    .filter(file -> !current.contains(file.getFileName().toString()))
                    .filter(file -> file.toFile().length() > 0)
                    .sorted()
                    .forEach(file -> log.warn("the notification spool {} belongs to no configured notifier: what"
                            + " waits in it is not delivered (it is kept, for when the notifier is configured again;"
                            + " delete it to drop it)", file));
        } catch (IOException | UncheckedIOException e) {
            // nothing to report: the directory cannot be listed (the lanes have said why)
        }
    }

    private void awaitAttempts(long deadlineNanos) {
        synchronized (idle) {
            while (attemptsRunning.get() > 0) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    idle.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * The delay before attempt {@code failedAttempts + 1}: the receiver's Retry-After when it gave one (capped),
     * else full jitter over an exponential bound (1s, 2s, 4s ... 5m).
     */
    Duration retryDelay(int failedAttempts, Throwable error) {
        if (error instanceof DeliveryException && ((DeliveryException) error).retryAfter().isPresent()) {
            Duration asked = ((DeliveryException) error).retryAfter().get();
            return asked.isNegative() ? Duration.ZERO : asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked;
        }
        long bound = Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(failedAttempts - 1, 20));
        return Duration.ofMillis((long) (random.getAsDouble() * bound));
    }

    /** A file name for a notifier's journal: its name when plain, else escaped with a hash so none collide. */
    static String fileName(String notifierName) {
        if (notifierName.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
            return notifierName;
        }
        return notifierName.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^[._-]+", "") + "-"
                + Integer.toHexString(notifierName.hashCode());
    }

    /** What a log line is about, first: the service of a notification's alerts, or its group. */
    static String subject(Notification notification) {
        List<String> services = notification.alerts().stream().map(Alert::serviceName).distinct().toList();
        return services.size() == 1 ? services.get(0) : "group " + notification.groupLabels();
    }

    /** The notification in a few words: "alert ServiceUnhealthy (firing)", or "3 alerts (firing)". */
    static String describe(Notification notification) {
        String state = notification.status().name().toLowerCase(Locale.ROOT);
        List<Alert> alerts = notification.alerts();
        return (alerts.size() == 1 ? "alert " + alerts.get(0).name() : alerts.size() + " alerts") + " (" + state + ")"
                + (notification.repeat() ? " (repeat)" : "");
    }

    /** Counts of one notifier's deliveries. */
    public record NotifierCounts(String notifier, long sent, long failed, long droppedOverflow,
            long droppedRejected, long spooled) {
    }

    /** One notification on its way to one notifier. */
    private static final class Item {
        final long seq;
        final Notification notification;
        int attempts;
        String lastError;

        Item(long seq, Notification notification) {
            this.seq = seq;
            this.notification = notification;
        }
    }

    /** One notifier's queue; its fields are guarded by the lane itself. */
    private final class Lane {
        final String name;
        final Notifier notifier;
        final ArrayDeque<Item> queue = new ArrayDeque<>();
        final LongAdder sent = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder droppedOverflow = new LongAdder();
        final LongAdder droppedRejected = new LongAdder();
        Spool spool;
        /** The notification being delivered, or waiting for its retry: the head of the queue, taken out. */
        Item current;
        /** Whether an attempt at {@link #current} runs now. */
        boolean attempting;
        Scheduler.Task retry;
        boolean pumping;
        /** Notifications dropped for a full queue since it last drained. */
        int droppedInBurst;
        /** Set when an attempt failed during close(): the lane stops there, keeping the order. */
        boolean stopped;

        Lane(String name, Notifier notifier) {
            this.name = name;
            this.notifier = notifier;
        }

        synchronized void open(Spool opened) {
            spool = opened;
            List<Item> earlier = new ArrayList<>();
            opened.waiting().forEach(spooled -> earlier.add(new Item(spooled.seq(), spooled.notification())));
            // Queued before start(), so not written yet: after what the earlier run left, in order.
            for (Item item : queue) {
                earlier.add(new Item(opened.append(item.notification), item.notification));
            }
            queue.clear();
            queue.addAll(earlier);
        }

        synchronized void enqueue(Notification notification) {
            long seq = spool != null ? spool.append(notification) : -1;
            // A queued repeat says nothing the newer notification of its group does not.
            String group = notification.groupKey();
            for (Iterator<Item> it = queue.iterator(); it.hasNext();) {
                Item queued = it.next();
                if (queued.notification.repeat() && queued.notification.groupKey().equals(group)) {
                    it.remove();
                    ack(queued);
                    log.debug("{}: dropped a queued repeat of group {} for {}: a newer notification of the group is"
                            + " queued", name, group, name);
                }
            }
            if (current != null && !attempting && current.notification.repeat()
                    && current.notification.groupKey().equals(group)) {
                Scheduler.cancel(retry);
                retry = null;
                ack(current);
                current = null;
            }
            if (queue.size() >= queueCapacity) {
                dropForOverflow();
            }
            queue.addLast(new Item(seq, notification));
        }

        private void dropForOverflow() {
            Item dropped = null;
            for (Iterator<Item> it = queue.iterator(); it.hasNext();) {
                Item queued = it.next();
                if (queued.notification.repeat()) {
                    it.remove();
                    dropped = queued;
                    break;
                }
            }
            if (dropped == null) {
                dropped = queue.removeFirst();
            }
            ack(dropped);
            droppedOverflow.increment();
            if (droppedInBurst++ == 0) {
                log.warn("{}: {} notifications are waiting for notifier {} (its receiver is down or slow): dropped the"
                        + " oldest{}, {}: {}; further drops are counted in aegis_notifications_dropped_total"
                        + "{notifier=\"{}\",reason=\"overflow\"} and summed up when the queue drains",
                        subject(dropped.notification), queueCapacity, name,
                        dropped.notification.repeat() ? " repeat" : "", describe(dropped.notification),
                        current != null && current.lastError != null ? "last error " + current.lastError
                                : "no answer yet", name);
            }
        }

        /**
         * Starts the next attempt when none runs or waits; loops rather than recursing when attempts end at once.
         * The pump stops ({@code pumping = false}) in the same locked step that finds nothing to do: a thread that
         * queued work or ended an attempt and found the pump running is then sure the pump sees its change, rather
         * than the work waiting, with nothing in flight, for the next enqueue.
         */
        void pump() {
            synchronized (this) {
                if (pumping) {
                    return;
                }
                pumping = true;
            }
            boolean stoppedPumping = false;
            try {
                while (true) {
                    Item next;
                    synchronized (this) {
                        if (!started || closed || stopped || current != null || queue.isEmpty()) {
                            pumping = false;
                            stoppedPumping = true;
                            return;
                        }
                        next = queue.pollFirst();
                        current = next;
                        attempting = true;
                    }
                    attempt(next);
                }
            } finally {
                if (!stoppedPumping) {
                    synchronized (this) {
                        pumping = false; // attempt() threw
                    }
                }
            }
        }

        private void attempt(Item item) {
            item.attempts++;
            attemptsRunning.incrementAndGet();
            // The notifier's own stage goes to Deadlines, so that a timeout cancels it (and its request).
            Deadlines.<Object>call(() -> notifier.deliver(item.notification), pluginCalls, attemptDeadline, scheduler,
                    error -> error, () -> new TimeoutException("no answer within " + attemptDeadline.toSeconds() + "s"))
                    .thenAccept(outcome -> {
                        try {
                            finished(item, (Throwable) outcome);
                        } finally {
                            if (attemptsRunning.decrementAndGet() == 0) {
                                synchronized (idle) {
                                    idle.notifyAll();
                                }
                            }
                        }
                    });
        }

        private void finished(Item item, Throwable error) {
            Notification notification = item.notification;
            if (error == null) {
                sent.increment();
                synchronized (this) {
                    attempting = false;
                    current = null;
                    ack(item);
                    if (queue.isEmpty() && droppedInBurst > 0) {
                        log.warn("{}: the queue of notifier {} has drained; {} notification(s) were dropped while it"
                                + " was full", name, name, droppedInBurst);
                        droppedInBurst = 0;
                    }
                }
                if (item.attempts > 1) {
                    log.info("{}: {} delivered to {} after {} attempts", subject(notification),
                            describe(notification), name, item.attempts);
                }
                pump();
                return;
            }
            Throwable cause = Deadlines.unwrap(error);
            item.lastError = Deadlines.describe(cause);
            if (cause instanceof DeliveryException && !((DeliveryException) cause).retryable()) {
                droppedRejected.increment();
                log.warn("{}: notifier {} rejected {}; it is not retried (sending it again would get the same"
                        + " answer): {}", subject(notification), name, describe(notification), item.lastError);
                synchronized (this) {
                    attempting = false;
                    current = null;
                    ack(item);
                }
                pump();
                return;
            }
            failed.increment();
            synchronized (this) {
                attempting = false;
                if (closing) {
                    stopped = true; // close() reports it; what follows keeps its order behind it in the spool
                    return;
                }
                Duration delay = retryDelay(item.attempts, cause);
                log.warn("{}: could not deliver {} to {} (attempt {}): {}; retrying in {}ms{}", subject(notification),
                        describe(notification), name, item.attempts, item.lastError, delay.toMillis(),
                        queue.isEmpty() ? "" : " (" + queue.size() + " more waiting behind it)");
                try {
                    retry = scheduler.schedule(() -> retry(item), delay);
                } catch (RejectedExecutionException e) {
                    stopped = true; // the engine is shutting down: close() reports it
                }
            }
        }

        private void retry(Item item) {
            synchronized (this) {
                if (current != item || attempting || closed) {
                    return; // superseded, or taken by close()'s last chance
                }
                retry = null;
                attempting = true;
            }
            attempt(item);
        }

        /** Called by close(): the notification waiting for its retry is tried now instead. */
        void lastChance() {
            Item item;
            synchronized (this) {
                if (retry == null || current == null || attempting) {
                    return;
                }
                Scheduler.cancel(retry);
                retry = null;
                item = current;
                attempting = true;
            }
            attempt(item);
        }

        private void ack(Item item) {
            if (spool != null && item.seq >= 0) {
                spool.ack(item.seq);
            }
        }

        synchronized void reportAndClose() {
            Scheduler.cancel(retry);
            retry = null;
            List<Item> left = new ArrayList<>();
            if (current != null) {
                left.add(current);
            }
            left.addAll(queue);
            if (!left.isEmpty()) {
                String fate = temporarySpool ? "lost: no global.stateDir is configured to keep it in"
                        : "kept in the spool for the next start";
                int named = 0;
                for (Item item : left) {
                    if (named++ == NAMED_AT_SHUTDOWN) {
                        log.warn("{}: and {} more notification(s) not delivered before shutdown, {}", name,
                                left.size() - NAMED_AT_SHUTDOWN, fate);
                        break;
                    }
                    log.warn("{}: {} was not delivered to notifier {} before shutdown, after {}: {}; {}",
                            subject(item.notification), describe(item.notification), name,
                            item.attempts == 1 ? "1 attempt" : item.attempts + " attempts",
                            item.attempts == 0 ? "not tried yet (" + (left.size() > 1 ? "waiting behind another)"
                                    : "queued at shutdown)")
                                    : item.lastError != null ? item.lastError
                                    : "no answer within the " + shutdownDeadline.toMillis() + "ms allowed at shutdown",
                            fate);
                }
            }
            if (spool != null) {
                spool.close();
            }
        }

        synchronized NotifierCounts counts() {
            return new NotifierCounts(name, sent.sum(), failed.sum(), droppedOverflow.sum(), droppedRejected.sum(),
                    queue.size() + (current != null ? 1 : 0));
        }
    }
}
