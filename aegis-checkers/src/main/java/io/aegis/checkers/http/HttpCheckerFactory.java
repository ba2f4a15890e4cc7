package io.aegis.checkers.http;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;

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
 * http2: true                          # https:// only: offer h2 and http/1.1 (ALPN) and speak HTTP/2 when the
 *                                      #   server picks it (default); false: offer only http/1.1
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
 *   httpVersion: ["1.1", "2"]          # optional; an answer over another HTTP version is UNHEALTHY (PROTOCOL)
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
 * {@link TrustEveryServer} for why that works), and has no effect on this checker's client. Limit: a trust is
 * fixed when its first checker is created, so a changed {@code caFile} is read again only when the checker is
 * created again.
 * The {@code tls:} block is validated for {@code http://} endpoints too (the same file may serve both
 * schemes through {@code ${VAR}}), but has no effect there.
 *
 * <p>HTTP/2: on {@code https://} endpoints with {@code http2: true} the TLS handshake offers {@code h2} and
 * {@code http/1.1} (ALPN, the JDK's TLS); when the server picks {@code h2}, the checks of all services of the
 * origin are streams of one connection ({@link Http2Session}), a timeout or cancel resets only its stream, and
 * streams a GOAWAY or REFUSED_STREAM left unprocessed are asked once more on a new connection (idempotent
 * methods only). Plain {@code http://} is always HTTP/1.1 (no h2c). {@code expect.httpVersion} fails a check
 * answered over another version with {@link io.aegis.api.FailureReason#PROTOCOL}.
 *
 * <p>All checkers of one factory share one client built on Netty: one event loop per processor
 * (daemon threads {@code aegis-http-N}, native epoll where it loads, NIO elsewhere), started with the first
 * checker and stopped by {@link #close()}. Checkers of the same origin (scheme, host, port and TLS trust) share
 * a pool of kept-alive connections, owned by one loop. A connection is used again only after a complete answer
 * the server kept alive; a {@code Connection: close}, an error, a timeout or a cancelled check closes it. A
 * kept-alive connection that the server closed meanwhile is retried once on a new one, for every method but
 * POST and PATCH. The TLS context of a trust (the JVM's trust store, skipped verification, or one per distinct
 * set of CA certificates) is built with the first https checker that needs it, so a configuration with only
 * http:// endpoints never loads the JVM's trust store.
 */
public final class HttpCheckerFactory implements HealthCheckerFactory {
    /** The {@code type:} this factory serves. */
    public static final String TYPE = "http";

    /**
     * The client's connect timeout. Each check's own timeout covers connecting too and is normally shorter;
     * this only caps a connect when a check allows more than this.
     */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final System.Logger log;
    private final Clock clock;
    private final Object lock = new Object();
    private final Map<TlsSettings.Trust, SSLContext> tlsContexts = new HashMap<>();
    private final Map<Origin.Key, Origin> origins = new HashMap<>();
    private final java.util.function.Supplier<HttpTransport> transports;
    private HttpTransport transport;
    private boolean closed;

    /** Creates the factory; it starts no thread until it creates its first checker. */
    public HttpCheckerFactory() {
        this(System.getLogger(HttpCheckerFactory.class.getName()), Clock.systemUTC());
    }

    /** For tests: where warnings go, and the clock that certificate expiry is measured against. */
    HttpCheckerFactory(System.Logger log, Clock clock) {
        this(log, clock, HttpTransport::new);
    }

    /** For tests: also how the client's transport (its loops and its name resolver) is made. */
    HttpCheckerFactory(System.Logger log, Clock clock, java.util.function.Supplier<HttpTransport> transports) {
        this.log = log;
        this.clock = clock;
        this.transports = transports;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        HttpCheckConfig config = HttpCheckConfig.from(spec);
        URI uri = config.request().uri();
        boolean https = uri.getScheme().equalsIgnoreCase("https");
        // over plain http the trust settings mean nothing; sharing the default origin keeps connections down
        TlsSettings.Trust trust = https ? config.tls().trust() : TlsSettings.Trust.JVM_DEFAULT;
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1); // an IPv6 address: the brackets belong to the URL only
        }
        int port = uri.getPort() != -1 ? uri.getPort() : https ? 443 : 80;
        // http2: false gets origins of its own, whose connections offer only http/1.1
        Origin.Key key = new Origin.Key(https, host, port, trust, https && config.http2());
        HttpChecker checker;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the http checker factory is closed");
            }
            if (transport == null) {
                transport = transports.get();
            }
            Origin origin = origins.get(key);
            if (origin == null) {
                SSLContext tls = https ? tlsContexts.computeIfAbsent(trust, HttpCheckerFactory::tlsContext) : null;
                origin = transport.origin(key, tls);
                origins.put(key, origin);
            }
            origin.users++;
            checker = new HttpChecker(config, origin, clock, this);
        }
        if (trust.skipVerify()) {
            log.log(System.Logger.Level.WARNING, "{0}: tls.insecureSkipVerify is true: neither the certificate nor"
                    + " the host name of {1} is verified, so anyone between Aegis and the service can answer in its"
                    + " place; trust its CA with tls.caFile instead", spec.serviceName(), config.shownUri());
        }
        return checker;
    }

    private static SSLContext tlsContext(TlsSettings.Trust trust) {
        return trust.sslContext().orElseGet(() -> {
            try {
                // loads the JVM's trust store: a quarter of a second, so only once an https checker needs it
                return SSLContext.getDefault();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("cannot set up TLS for the http checker: " + e.getMessage(), e);
            }
        });
    }

    /** A checker closed: when it was its origin's last one, the origin's idle connections are closed. */
    void release(Origin origin) {
        synchronized (lock) {
            if (--origin.users == 0 && origins.remove(origin.key, origin)) {
                origin.close();
            }
        }
    }

    /** How many TLS contexts this factory holds: one per distinct TLS trust in use by an https checker. */
    int clientCount() {
        synchronized (lock) {
            return tlsContexts.size();
        }
    }

    /** Whether the native epoll transport is in use; false before the first checker. */
    boolean epoll() {
        synchronized (lock) {
            return transport != null && transport.epoll();
        }
    }

    /**
     * Closes every connection and stops the event loops, waiting up to a few seconds for their threads to end.
     * Checks still running end with an error; checks started afterwards report that the checker is closed.
     */
    @Override
    public void close() {
        HttpTransport stopping;
        synchronized (lock) {
            closed = true;
            stopping = transport;
            transport = null;
            origins.clear();
            tlsContexts.clear();
        }
        if (stopping != null) {
            stopping.close();
        }
    }
}
