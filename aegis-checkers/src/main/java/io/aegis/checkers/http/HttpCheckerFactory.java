package io.aegis.checkers.http;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.checkers.internal.DaemonThreadFactory;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * Creates {@code type: http} checkers, which send one request per check and judge the answer.
 *
 * <p>The service's configuration block is read for these keys:
 * <pre>{@code
 * endpoint: https://host:8443/health   # required: an http:// or https:// URL
 * method: GET                          # GET (default), HEAD, POST, PUT, PATCH, DELETE or OPTIONS
 * headers:                             # optional request headers
 *   Authorization: "Bearer ${TOKEN}"
 * body: '{"deep": true}'               # optional request body, sent as UTF-8
 * expect:
 *   status: [200, "200-299", "2xx"]    # accepted codes, ranges and classes; default 200-399
 *   body: '"status":\s*"UP"'           # optional Java regex that must be found in the first 64 KiB
 * }</pre>
 *
 * <p>Redirects are not followed: a 3xx answer is judged by {@code expect.status} like any other (the
 * default range accepts it). TLS certificates are verified with the JVM's trust store.
 *
 * <p>All checkers of one factory share one HTTP/1.1 client with keep-alive connections, created with the
 * first checker. Its two daemon threads run the client's work and the check deadlines; {@link #close()}
 * stops them.
 */
public final class HttpCheckerFactory implements HealthCheckerFactory {
    /** The {@code type:} this factory serves. */
    public static final String TYPE = "http";

    /**
     * The client's connect timeout. Each request's own timeout (the check's) covers connecting too and is
     * normally shorter; this only caps a connect when a check allows more than this.
     */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private static final int THREADS = 2;

    private final Object lock = new Object();
    private ScheduledThreadPoolExecutor executor;
    private HttpClient client;
    private boolean closed;

    /** Creates the factory; it starts no thread until it creates its first checker. */
    public HttpCheckerFactory() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        HttpCheckConfig config = HttpCheckConfig.from(spec);
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the http checker factory is closed");
            }
            if (client == null) {
                executor = new ScheduledThreadPoolExecutor(THREADS, new DaemonThreadFactory("aegis-http"));
                // a check that finishes early cancels its deadline; without this the queue would keep it
                executor.setRemoveOnCancelPolicy(true);
                client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .connectTimeout(CONNECT_TIMEOUT)
                        .executor(executor)
                        .build();
            }
            return new HttpChecker(config, client, executor);
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
            // client is unreachable, which it is when the checkers and this factory are.
            client = null;
        }
    }
}
