package io.aegis.runtimes.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.aegis.plugin.support.DaemonThreadFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Docker engine as every service on it shares it: one client (connection pool) and one event stream, which
 * opens when the first service subscribes and closes with the last. Owned and closed by the factory.
 */
final class DockerEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DockerEngine.class);

    /** How long to wait for the engine to accept a connection: it is local or near, so a few seconds. */
    static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(5);

    /**
     * How long to wait for an answer: a stop or restart answers only after the container's stop timeout, so the
     * longest allowed one plus a minute.
     */
    static final Duration RESPONSE_TIMEOUT = DockerRuntimeSettings.MAX_STOP_TIMEOUT.plus(Duration.ofMinutes(1));

    /** The response timeout of the log transport ({@link #logHttp()}). */
    static final Duration LOG_IDLE_TIMEOUT = Duration.ofMinutes(5);

    /** The longest pause before a stream (events, a container's log) is tried again. */
    static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(5);

    /** Receives the events of one engine and is told to look again after the stream was away. */
    interface Subscriber {
        /** A container event; called on the stream's thread: must be quick and never block. */
        void onEvent(Event event);

        /** The stream broke and is back: events may have been missed; called on the stream's thread. */
        void resync();
    }

    private final String host;
    private final DockerClientConfig config;
    private final DockerHttpClient http;
    private final DockerClient client;
    private final ScheduledExecutorService scheduler;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final Duration firstRetryDelay;
    private final Object lock = new Object();
    /** Guarded by lock. */
    private EventStream stream;
    /** The transport of the log streams; created with the first. Guarded by lock. */
    private DockerHttpClient logHttp;

    DockerEngine(String host, Duration firstRetryDelay) {
        this.host = host;
        this.firstRetryDelay = firstRetryDelay;
        this.config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host).build();
        this.http = transport(RESPONSE_TIMEOUT, 32);
        this.client = DockerClientImpl.getInstance(config, http);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(new DaemonThreadFactory("aegis-docker-events"));
    }

    String host() {
        return host;
    }

    DockerClient client() {
        return client;
    }

    /** The raw transport, for calls docker-java gets wrong (a raw image import in tests). */
    DockerHttpClient http() {
        return http;
    }

    /** A transport to this engine with its own pool of at most {@code maxConnections} connections. */
    private DockerHttpClient transport(Duration responseTimeout, int maxConnections) {
        return new ZerodepDockerHttpClient.Builder().dockerHost(config.getDockerHost()).sslConfig(config.getSSLConfig())
                .connectionTimeout(CONNECTION_TIMEOUT).responseTimeout(responseTimeout).maxConnections(maxConnections)
                .build();
    }

    /** The pause before the next try of a stream that broke: twice {@code delay}, at most {@link #MAX_RETRY_DELAY}. */
    static Duration nextRetryDelay(Duration delay) {
        Duration next = delay.multipliedBy(2);
        return next.compareTo(MAX_RETRY_DELAY) > 0 ? MAX_RETRY_DELAY : next;
    }

    /** How long the first pause before reconnecting a stream is. */
    Duration firstRetryDelay() {
        return firstRetryDelay;
    }

    /**
     * The transport for the services' log streams: its own connection pool, since each followed container holds a
     * connection for as long as it runs, and 32 of them would take every connection the operations need. Built with
     * a response timeout of {@link #LOG_IDLE_TIMEOUT}: where the transport applies it to the reads of a streaming
     * body (it does not on the unix socket: a silent stream there stays open), a stream silent that long times out
     * and is opened again quietly from where it was.
     */
    DockerHttpClient logHttp() {
        synchronized (lock) {
            if (logHttp == null) {
                logHttp = transport(LOG_IDLE_TIMEOUT, 100_000);
            }
            return logHttp;
        }
    }

    /** Adds a subscriber and opens the stream if it is not open. */
    EventStream subscribe(Subscriber subscriber) {
        synchronized (lock) {
            if (!subscribers.contains(subscriber)) {
                subscribers.add(subscriber);
            }
            if (stream == null) {
                stream = new EventStream(client, host, scheduler, this::dispatch, this::resyncAll, firstRetryDelay);
            }
            stream.open();
            return stream;
        }
    }

    /** The event stream while some service is subscribed; null otherwise. */
    EventStream stream() {
        synchronized (lock) {
            return stream;
        }
    }

    /** Removes a subscriber; the stream closes with the last one. */
    void unsubscribe(Subscriber subscriber) {
        EventStream toClose = null;
        synchronized (lock) {
            subscribers.remove(subscriber);
            if (subscribers.isEmpty() && stream != null) {
                toClose = stream;
                stream = null;
            }
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    private void dispatch(Event event) {
        for (Subscriber subscriber : subscribers) {
            try {
                subscriber.onEvent(event);
            } catch (RuntimeException e) {
                LOG.warn("a service failed on Docker event {} of {}", event.getAction(), event.getId(), e);
            }
        }
    }

    private void resyncAll() {
        for (Subscriber subscriber : subscribers) {
            try {
                subscriber.resync();
            } catch (RuntimeException e) {
                LOG.warn("a service failed to check its container again after the event stream of {} came back", host,
                        e);
            }
        }
    }

    @Override
    public void close() {
        EventStream toClose;
        DockerHttpClient logs;
        synchronized (lock) {
            toClose = stream;
            stream = null;
            subscribers.clear();
            logs = logHttp;
            logHttp = null;
        }
        if (logs != null) {
            try {
                logs.close();
            } catch (IOException e) {
                LOG.debug("closing the log transport of {}: {}", host, e.toString());
            }
        }
        if (toClose != null) {
            toClose.close();
        }
        scheduler.shutdownNow();
        try {
            client.close();
        } catch (IOException e) {
            LOG.debug("closing the Docker client of {}: {}", host, e.toString());
        }
        try {
            http.close();
        } catch (IOException e) {
            LOG.debug("closing the Docker transport of {}: {}", host, e.toString());
        }
    }
}
