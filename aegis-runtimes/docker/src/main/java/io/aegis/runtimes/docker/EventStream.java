package io.aegis.runtimes.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@code /events} stream of a Docker engine, shared by every service on it: container {@code start},
 * {@code die}, {@code oom}, {@code health_status} and {@code destroy} events, as they happen. When the stream
 * breaks (dockerd restarted, the connection dropped) it is opened again, with growing pauses while the engine is
 * away, from where it got to ({@code since}, see {@link EventCursor}), and {@code reconnected} is told so the
 * services inspect their containers again (what happened while no stream was open may be past Docker's replay
 * buffer).
 *
 * <p>The stream is not filtered by label or container on the engine's side: Docker ANDs filters of different
 * kinds, so one stream could not carry both the containers aegis created (by label) and those it supervises (by
 * name). Each service picks its own events from it; only the event types above travel.
 */
final class EventStream implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventStream.class);

    private final DockerClient client;
    private final String host;
    private final ScheduledExecutorService scheduler;
    private final Consumer<Event> onEvent;
    private final Runnable reconnected;
    private final Duration firstRetryDelay;
    private final EventCursor cursor = new EventCursor();
    private final Object lock = new Object();

    /** Guarded by lock. */
    private Connection current;
    private boolean closed;
    private Duration retryDelay;
    private boolean broken;
    private long openedAtNanos;
    /** Whether the stream was ever connected: the engine answered in this run. */
    private boolean everConnected;
    /** Completed while the stream is connected; a new one after each break. */
    private CompletableFuture<Void> up = new CompletableFuture<>();
    /** Completed while the stream is broken; a new one after each connection. */
    private CompletableFuture<Void> down = new CompletableFuture<>();

    EventStream(DockerClient client, String host, ScheduledExecutorService scheduler, Consumer<Event> onEvent,
            Runnable reconnected, Duration firstRetryDelay) {
        this.client = client;
        this.host = host;
        this.scheduler = scheduler;
        this.onEvent = onEvent;
        this.reconnected = reconnected;
        this.firstRetryDelay = firstRetryDelay;
        this.retryDelay = firstRetryDelay;
    }

    /**
     * Opens the stream unless it is open; a broken stream waiting for its next attempt is reopened now, since a
     * service needs it (to start or restart a container).
     */
    void open() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (current == null) {
                connect(null);
            } else if (current.ended.get()) {
                connect(cursor.since(openedAtNanos - 1_000_000_000L)); // the scheduled attempt then does nothing
            }
        }
    }

    /**
     * Waits until the stream is connected (also through reconnections), so that nothing a service does after it can
     * be missed; false when it is not within {@code timeout}.
     */
    boolean awaitConnected(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!closed) {
                if (connectedNow()) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            return false;
        }
    }

    /** Whether the stream is connected now. */
    boolean isConnected() {
        synchronized (lock) {
            return connectedNow();
        }
    }

    /** Called with the lock held. */
    private boolean connectedNow() {
        return current != null && current.started.getCount() == 0 && !current.ended.get();
    }

    /** Whether the stream was connected at least once: then the engine answered in this run. */
    boolean everConnected() {
        synchronized (lock) {
            return everConnected;
        }
    }

    /** Completes when the stream is connected: at once while it is; failed when the stream is closed. */
    CompletableFuture<Void> whenUp() {
        synchronized (lock) {
            return up.copy();
        }
    }

    /** Completes when the stream is broken: at once while it is (the engine went away, or is restarting). */
    CompletableFuture<Void> whenDown() {
        synchronized (lock) {
            return down.copy();
        }
    }

    /** Drops the connection as a failing network or a restarted dockerd would; for tests of the reconnection. */
    void dropConnection() {
        Connection connection;
        synchronized (lock) {
            connection = current;
        }
        if (connection != null) {
            connection.closeQuietly();
        }
    }

    @Override
    public void close() {
        Connection connection;
        synchronized (lock) {
            closed = true;
            connection = current;
            current = null;
            lock.notifyAll();
            up.completeExceptionally(new IllegalStateException("the event stream of " + host + " is closed"));
            down.completeExceptionally(new IllegalStateException("the event stream of " + host + " is closed"));
        }
        if (connection != null) {
            connection.closeQuietly();
        }
    }

    /** Called with the lock held. */
    private void connect(String since) {
        Connection connection = new Connection(since != null);
        current = connection;
        openedAtNanos = nowNanos();
        var command = client.eventsCmd().withEventTypeFilter(EventType.CONTAINER)
                .withEventFilter("start", "die", "oom", "health_status", "destroy");
        if (since != null) {
            command = command.withSince(since);
        }
        try {
            command.exec(connection);
        } catch (RuntimeException e) {
            connection.onError(e);
        }
    }

    private void connected(Connection connection) {
        boolean wasBroken;
        synchronized (lock) {
            if (connection != current || closed) {
                return;
            }
            wasBroken = broken;
            broken = false;
            everConnected = true;
            retryDelay = firstRetryDelay;
            // Replaced before completed: a waiter that the completion runs and that asks for the next change must get
            // the new future. Completed with the lock held, so that isDone() says the state.
            if (down.isDone()) {
                down = new CompletableFuture<>();
            }
            up.complete(null);
            lock.notifyAll();
        }
        if (wasBroken) {
            LOG.info("the event stream of the Docker engine at {} is back; checking the containers again", host);
        }
        if (connection.reconnect) {
            reconnected.run();
        }
    }

    private void ended(Connection connection, Throwable failure) {
        Duration delay;
        synchronized (lock) {
            if (connection != current || closed) {
                return;
            }
            if (!broken) {
                LOG.warn("the event stream of the Docker engine at {} broke ({}); reconnecting, then checking the"
                        + " containers again", host, failure == null ? "closed by the engine"
                        : DockerFailure.rootMessage(failure));
            } else {
                LOG.debug("the Docker engine at {} still does not answer: {}", host,
                        failure == null ? "closed" : DockerFailure.rootMessage(failure));
            }
            broken = true;
            if (up.isDone()) {
                up = new CompletableFuture<>(); // replaced before completed: see connected
            }
            down.complete(null);
            lock.notifyAll();
            delay = retryDelay;
            retryDelay = DockerEngine.nextRetryDelay(retryDelay);
        }
        try {
            scheduler.schedule(() -> reconnect(connection), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("not reconnecting to {}: shutting down", host);
        }
    }

    private void reconnect(Connection broken) {
        synchronized (lock) {
            if (closed || current != broken) {
                return;
            }
            // A second back, in case the daemon's clock and ours differ slightly; replays are passed on once.
            connect(cursor.since(openedAtNanos - 1_000_000_000L));
        }
    }

    private static long nowNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** One connection: the stream until it ends. */
    private final class Connection implements ResultCallback<Event> {
        final boolean reconnect;
        final CountDownLatch started = new CountDownLatch(1);
        final AtomicBoolean ended = new AtomicBoolean();
        private volatile Closeable stream;
        private volatile boolean closeRequested;

        Connection(boolean reconnect) {
            this.reconnect = reconnect;
        }

        @Override
        public void onStart(Closeable closeable) {
            stream = closeable;
            if (closeRequested) {
                closeQuietly();
                return;
            }
            started.countDown();
            connected(this);
        }

        @Override
        public void onNext(Event event) {
            long nanos = event.getTimeNano() != null ? event.getTimeNano()
                    : event.getTime() == null ? 0 : event.getTime() * 1_000_000_000L;
            if (!cursor.accept(nanos, event.getId() + " " + event.getAction())) {
                return;
            }
            try {
                onEvent.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("handling Docker event {} of {} failed", event.getAction(), event.getId(), e);
            }
        }

        @Override
        public void onError(Throwable failure) {
            if (ended.compareAndSet(false, true)) {
                started.countDown();
                ended(this, failure);
            }
        }

        @Override
        public void onComplete() {
            if (ended.compareAndSet(false, true)) {
                started.countDown();
                ended(this, null);
            }
        }

        @Override
        public void close() {
            closeQuietly();
        }

        void closeQuietly() {
            closeRequested = true;
            Closeable s = stream;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException | RuntimeException e) {
                    LOG.debug("closing the event stream of {}: {}", host, e.toString());
                }
            }
        }
    }
}
