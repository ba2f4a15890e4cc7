package io.aegis.checkers.http;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.plugin.support.DaemonThreadFactory;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * Creates {@code type: http} checkers, which send one request per check and judge the answer.
 *
 * <p>The service's configuration block is read for these keys:
 * <pre>{@code
 * endpoint: https://host:8443/health   # required: an http:// or https:// URL; user:password@ in it is sent
 *                                      #   as an Authorization: Basic header (an error if headers has one too)
 * method: GET                          # GET (default), HEAD, POST, PUT, PATCH, DELETE or OPTIONS
 * headers:                             # optional request headers; a value with a line break or another control
 *                                      #   character is an error that does not show the value
 *   Authorization: "Bearer ${TOKEN}"
 * body: '{"deep": true}'               # optional request body, sent as UTF-8
 * expect:
 *   status: [200, "200-299", "2xx"]    # accepted codes, ranges and classes; default 200-399
 *   body: '"status":\s*"UP"'           # optional Java regex that must be found in the first 64 KiB
 *   bodyNotContains: [ERROR, "OUT_OF_SERVICE"]  # optional text(s) that must not be in the first 64 KiB
 *   json:                              # optional JSON pointer -> value the JSON body must hold there
 *     /status: UP                      #   compared as JSON values: "UP" is a string, 3 a number, true a boolean
 *     /components/db/status: UP
 *   headers:                           # optional response headers that must be present, each with a Java
 *     Content-Type: application/json   #   regex one of its values must contain (empty: any value)
 *   maxResponseTime: 500ms             # optional; a slower answer is DEGRADED, not UNHEALTHY
 * tls:                                 # only used for https:// endpoints
 *   insecureSkipVerify: false          # true: trust any certificate and host name (logged as a warning)
 *   caFile: /etc/aegis/ca.pem          # optional PEM file; its certificates are the only ones trusted
 *   certExpiryWarningDays: 14          # DEGRADED when the server certificate expires within N days; 0 = off
 * }</pre>
 *
 * <p>Redirects are not followed: a 3xx answer is judged by {@code expect.status} like any other (the
 * default range accepts it).
 *
 * <p>Failure reasons: a wrong status or a missing or mismatching required header is
 * {@link io.aegis.api.FailureReason#STATUS} (both are the head of the answer; {@code PROTOCOL} stays for a
 * peer that does not speak HTTP); a body condition that fails is {@link io.aegis.api.FailureReason#BODY}. A
 * slow answer is DEGRADED with {@link io.aegis.api.FailureReason#TIMEOUT}, an expiring certificate DEGRADED
 * with {@link io.aegis.api.FailureReason#TLS}; DEGRADED counts as a passing check.
 *
 * <p>TLS: certificates are verified with the JVM's trust store, or, with {@code caFile}, with the
 * certificates of that file <em>instead</em> (like {@code curl --cacert}): a private CA does not widen trust
 * to every public one. Host names are verified in both cases. {@code insecureSkipVerify} turns off both the
 * certificate and the host name check for that service's client only; the JVM-wide property
 * {@code jdk.internal.httpclient.disableHostnameVerification} is neither needed nor set (see
 * {@link TrustEveryServer} for why that works). Limits: if something else in the JVM sets that property,
 * host names go unchecked for every client, ours included, and nothing here can undo it; a client's trust is
 * fixed when it is built, so a changed {@code caFile} is read again only when the checker is created again.
 * The {@code tls:} block is validated for {@code http://} endpoints too (the same file may serve both
 * schemes through {@code ${VAR}}), but has no effect there.
 *
 * <p>All checkers of one factory with the same TLS trust share one HTTP/1.1 client with keep-alive
 * connections: one client for the JVM's trust store, one for skipped verification, one per distinct set of
 * CA certificates. The clients are created with the first checker that needs them, and share two daemon
 * threads that run the clients' work and the check deadlines; {@link #close()} stops them.
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

    private final System.Logger log;
    private final Clock clock;
    private final Object lock = new Object();
    private final Map<TlsSettings.Trust, HttpClient> clients = new HashMap<>();
    private ScheduledThreadPoolExecutor executor;
    private boolean closed;

    /** Creates the factory; it starts no thread until it creates its first checker. */
    public HttpCheckerFactory() {
        this(System.getLogger(HttpCheckerFactory.class.getName()), Clock.systemUTC());
    }

    /** For tests: where warnings go, and the clock that certificate expiry is measured against. */
    HttpCheckerFactory(System.Logger log, Clock clock) {
        this.log = log;
        this.clock = clock;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        HttpCheckConfig config = HttpCheckConfig.from(spec);
        boolean https = config.request().uri().getScheme().equalsIgnoreCase("https");
        // over plain http the trust settings mean nothing; sharing the default client keeps connections down
        TlsSettings.Trust trust = https ? config.tls().trust() : TlsSettings.Trust.JVM_DEFAULT;
        HttpChecker checker;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the http checker factory is closed");
            }
            if (executor == null) {
                executor = new ScheduledThreadPoolExecutor(THREADS, new DaemonThreadFactory("aegis-http"));
                // a check that finishes early cancels its deadline; without this the queue would keep it
                executor.setRemoveOnCancelPolicy(true);
            }
            HttpClient client = clients.computeIfAbsent(trust, this::newClient);
            checker = new HttpChecker(config, client, executor, clock);
        }
        if (trust.skipVerify()) {
            log.log(System.Logger.Level.WARNING, "{0}: tls.insecureSkipVerify is true: neither the certificate nor"
                    + " the host name of {1} is verified, so anyone between Aegis and the service can answer in its"
                    + " place; trust its CA with tls.caFile instead", spec.serviceName(), config.shownUri());
        }
        return checker;
    }

    private HttpClient newClient(TlsSettings.Trust trust) {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(CONNECT_TIMEOUT)
                .executor(executor);
        trust.sslContext().ifPresent(builder::sslContext);
        return builder.build();
    }

    /** How many clients this factory holds: one per distinct TLS trust in use. */
    int clientCount() {
        synchronized (lock) {
            return clients.size();
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
            clients.clear();
        }
    }
}
