package io.aegis.alerting.internal;

import io.aegis.plugin.support.DaemonThreadFactory;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The HTTP/1.1 client (keep-alive connections) that all notifiers of one factory share, created with the first
 * notifier. Its two daemon threads run the client's work and the delivery deadlines; {@link #close()} stops them.
 */
public final class SharedHttpClient implements AutoCloseable {
    /** The client's connect timeout; each delivery's own timeout also covers connecting and is normally shorter. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private static final int THREADS = 2;

    private final String kind;
    private final Object lock = new Object();
    private ScheduledThreadPoolExecutor executor;
    private HttpClient client;
    private boolean closed;

    /** @param kind the notifier type, for messages and thread names ({@code webhook}) */
    public SharedHttpClient(String kind) {
        this.kind = kind;
    }

    /**
     * A sender over the shared client, starting it if it is the first.
     *
     * @throws IllegalStateException once closed
     */
    public HttpPost sender(Clock clock) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the " + kind + " notifier factory is closed");
            }
            if (client == null) {
                executor = new ScheduledThreadPoolExecutor(THREADS, new DaemonThreadFactory("aegis-" + kind));
                // a delivery that finishes early cancels its deadline; without this the queue would keep it
                executor.setRemoveOnCancelPolicy(true);
                client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .connectTimeout(CONNECT_TIMEOUT)
                        .executor(executor)
                        .build();
            }
            return new HttpPost(kind, client, executor, clock);
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (executor != null) {
                executor.shutdownNow();
            }
            // java.net.http.HttpClient has no close() before Java 21; its selector thread ends once the
            // client is unreachable, which it is when the notifiers and this factory are.
            client = null;
        }
    }
}
