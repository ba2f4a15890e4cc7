package io.aegis.core.internal.anomaly;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP client the anomaly detector's sources share (scrapes and queries: a few requests per service per
 * interval, far from any hot path, so the JDK's client will do), created with the first source. Its daemon threads
 * end with {@link #close()}.
 */
final class ScrapeClient implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final Object lock = new Object();
    private ExecutorService executor;
    private HttpClient client;
    private boolean closed;

    /** GETs {@code uri} with {@code accept} within {@code timeout}; the body as bytes. */
    CompletableFuture<HttpResponse<byte[]>> get(URI uri, String accept, Duration timeout) {
        HttpClient http;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("aegis is shutting down"));
            }
            if (client == null) {
                AtomicInteger threads = new AtomicInteger();
                executor = Executors.newFixedThreadPool(2, runnable -> {
                    Thread thread = new Thread(runnable, "aegis-anomaly-http-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
                client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(CONNECT_TIMEOUT)
                        .executor(executor).build();
            }
            http = client;
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", accept)
                .header("User-Agent", "aegis").GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (executor != null) {
                executor.shutdownNow();
            }
            // java.net.http.HttpClient has no close() before Java 21; its selector thread ends once the client is
            // unreachable, as it is now.
            client = null;
        }
    }
}
