package io.aegis.httpapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.sun.net.httpserver.HttpServer;
import io.aegis.core.Engine;
import io.aegis.core.HttpApiConfig;
import io.aegis.core.InvalidConfigurationException;
import io.aegis.core.ReloadResult;
import io.aegis.httpapi.internal.ApiRoutes;
import io.aegis.httpapi.internal.EventHub;
import io.aegis.httpapi.internal.ServiceHistory;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API and status page of a running {@link Engine}: its services, alerts, silences and events to read,
 * and actions on them for whoever holds the token.
 *
 * <pre>{@code
 * try (ApiServer api = ApiServer.builder(engine).port(9098).token(System.getenv("AEGIS_TOKEN")).build().start()) {
 *     ...
 * }
 * }</pre>
 *
 * <p>Reading needs no token. Every call that changes something (actions on services, silences, reload) needs
 * {@code Authorization: Bearer <token>} when a token is set; without one it is allowed only while the API listens on
 * loopback alone, and refused otherwise. Routes: {@code GET /openapi.json}. Closing the server ends the event
 * streams and frees the port; it does not close the engine.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("io.aegis.httpapi");
    /**
     * Threads answering requests; event streams have threads of their own. The JDK server reads a request's head on
     * one of them, so a client that sends half a request holds one until maxReqTime (below): enough that a handful of
     * such clients leave the API answering.
     */
    private static final int WORKERS = 16;

    private final Engine engine;
    private final String host;
    private final int requestedPort;
    private final Optional<String> token;
    private final PrometheusRegistry registry;
    private final Clock clock;
    private HttpServer server;
    private EventHub events;
    private ThreadPoolExecutor workers;

    private ApiServer(Builder builder) {
        this.engine = builder.engine;
        this.host = builder.host;
        this.requestedPort = builder.port;
        this.token = Optional.ofNullable(builder.token).filter(t -> !t.isBlank());
        this.registry = builder.registry;
        this.clock = builder.clock;
    }

    /**
     * A server for {@code engine}: 127.0.0.1, port {@value HttpApiConfig#DEFAULT_PORT}, no token.
     *
     * @param engine the engine to serve; built, started or not
     * @return a builder with those defaults
     */
    public static Builder builder(Engine engine) {
        return new Builder(engine);
    }

    /**
     * Binds the port and starts serving. Events are followed from here on: the status page's sparklines and
     * transitions begin with the first check after it.
     *
     * @return this server
     * @throws UncheckedIOException with a sentence when the port cannot be bound
     */
    public synchronized ApiServer start() {
        if (server != null) {
            throw new IllegalStateException("the API server is started already");
        }
        boolean loopbackOnly;
        try {
            loopbackOnly = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new UncheckedIOException("cannot serve the API on " + host + ": no such address", e);
        }
        // The JDK server waits for a request forever by default: a client that opens a connection and sends half a
        // request would hold one of the few workers for good (a handful of them, and the API is dead). Unless the
        // application chose otherwise, a request must arrive whole within 5 seconds. (Read once, by the
        // first HttpServer of the JVM; responses are not limited: an event stream is one endless response.)
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", "5");
        }
        // And it leaves Nagle's algorithm on: a response's body, written after its headers, waited for the client's
        // delayed ACK, ~40 ms on every request of a kept-alive connection (the status page's, any client's that
        // keeps its connection: 6,000 pause/resume calls took 267 s). Read once, like maxReqTime.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        ObjectMapper json = new ObjectMapper();
        ServiceHistory history = new ServiceHistory();
        EventHub hub = new EventHub(engine, history, json);
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(host, requestedPort), 64);
        } catch (BindException e) {
            throw new UncheckedIOException("cannot serve the API on " + host + ":" + requestedPort + ": "
                    + (requestedPort == 0 ? e.getMessage() : "the port is in use (global.api.port; 0 picks a free"
                    + " one)"), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the API on " + host + ":" + requestedPort + ": "
                    + e.getMessage(), e);
        }
        ThreadPoolExecutor pool = new ThreadPoolExecutor(WORKERS, WORKERS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(256), new ThreadFactoryBuilder().setNameFormat("aegis-api-%d")
                .setDaemon(true).build(), new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
        String listening = host + ":" + http.getAddress().getPort();
        ApiRoutes routes = new ApiRoutes(engine, history, hub, json, token, loopbackOnly, listening, registry,
                this::reload, clock, version());
        http.createContext("/", routes);
        http.setExecutor(pool);
        hub.start();
        http.start();
        this.server = http;
        this.events = hub;
        this.workers = pool;
        log.info("API and status page on http://{}/ ({})", listening, token.isPresent() ? "actions need the token"
                : loopbackOnly ? "loopback only, actions without a token" : "no token: actions refused");
        return this;
    }

    private ApiRoutes.ReloadOutcome reload() {
        Map<String, Object> body = new LinkedHashMap<>();
        try {
            ReloadResult result = engine.reload();
            body.put("added", result.added());
            body.put("removed", result.removed());
            body.put("changed", result.changed());
            body.put("unchanged", result.unchanged());
            body.put("notApplied", result.notApplied());
            return new ApiRoutes.ReloadOutcome(200, body);
        } catch (InvalidConfigurationException e) {
            body.put("error", "the configuration has " + e.errors().size() + (e.errors().size() == 1
                    ? " problem" : " problems") + "; nothing changed");
            body.put("problems", e.errors());
            return new ApiRoutes.ReloadOutcome(422, body);
        } catch (IllegalStateException e) {
            body.put("error", e.getMessage());
            return new ApiRoutes.ReloadOutcome(409, body);
        }
    }

    /** {@return the port it listens on (the one picked, for port 0)} */
    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("the API server is not started");
        }
        return server.getAddress().getPort();
    }

    /** {@return the address it was asked to bind} */
    public String host() {
        return host;
    }

    /** Ends the event streams, stops answering and frees the port. Idempotent; the engine is left running. */
    @Override
    public synchronized void close() {
        if (server == null) {
            return;
        }
        events.close();
        server.stop(0);
        workers.shutdownNow();
        server = null;
    }

    private static String version() {
        String version = ApiServer.class.getPackage().getImplementationVersion();
        return version != null ? version : "development build";
    }

    /** Where and how the API listens. */
    public static final class Builder {
        private final Engine engine;
        private String host = HttpApiConfig.DEFAULT_HOST;
        private int port = HttpApiConfig.DEFAULT_PORT;
        private String token;
        private PrometheusRegistry registry;
        private Clock clock = Clock.systemUTC();

        private Builder(Engine engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
        }

        /**
         * Host, port and token of {@code global.api}.
         *
         * @param config the {@code global.api} settings
         * @return this builder
         */
        public Builder config(HttpApiConfig config) {
            host(config.host());
            port(config.port());
            token = config.token().orElse(null);
            return this;
        }

        /**
         * The address to bind, default 127.0.0.1 (loopback only).
         *
         * @param host the address to bind
         * @return this builder
         */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /**
         * The port, default {@value HttpApiConfig#DEFAULT_PORT}; 0 picks a free one.
         *
         * @param port the port, 0 for a free one
         * @return this builder
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0 to 65535, found " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * The bearer token of mutating calls; null or blank for none.
         *
         * @param token the bearer token, or {@code null}
         * @return this builder
         */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /**
         * Also serve {@code GET /metrics} from this registry (the one given to the engine).
         *
         * @param registry the engine's metrics registry
         * @return this builder
         */
        public Builder metricsRegistry(PrometheusRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * The clock of ages shown (tests); default the system's.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** {@return the server, not started} */
        public ApiServer build() {
            return new ApiServer(this);
        }
    }
}
