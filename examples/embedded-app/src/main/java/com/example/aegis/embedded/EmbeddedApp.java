package com.example.aegis.embedded;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.aegis.core.event.AlertFired;
import io.aegis.core.event.RecoveryFinished;
import io.aegis.core.event.StateChanged;
import io.aegis.core.AegisConfig;
import io.aegis.core.Engine;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceSnapshot;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * An application that embeds the Aegis engine: it runs a tiny HTTP server standing in for "the app's dependency",
 * and supervises it with services defined in code, typed event listeners and Prometheus metrics: the engine's
 * metrics go into the application's own registry, beside the application's metrics.
 *
 * <pre>
 * java com.example.aegis.embedded.EmbeddedApp [dependencyPort] [metricsPort] [aegis.yaml]
 *     dependencyPort  the dependency's port; default 0 (any free port)
 *     metricsPort     where /metrics is served; default 9092 (0: any free port)
 *     aegis.yaml      a configuration to load first (notifiers, more services); the services below are added to it
 *
 * curl -X POST localhost:&lt;dependencyPort&gt;/health/fail      the dependency answers 503: prints api: HEALTHY -&gt; UNHEALTHY
 * curl -X POST localhost:&lt;dependencyPort&gt;/health/recover   200 again: prints api: UNHEALTHY -&gt; HEALTHY
 * </pre>
 *
 * Stop it with Enter, end of input (Ctrl-D) or Ctrl-C.
 */
public final class EmbeddedApp implements AutoCloseable {
    private final AtomicBoolean dependencyHealthy = new AtomicBoolean(true);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final HttpServer dependency;
    private final Engine engine;
    /** The application's own metrics; the engine registers its aegis_* metrics here too. */
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter healthRequests = Counter.builder().name("embedded_app_health_requests_total")
            .help("Requests to the dependency's /health endpoint.").register(registry);

    private EmbeddedApp(int dependencyPort, int metricsPort, Path config, Consumer<String> out) throws IOException {
        dependency = HttpServer.create(new InetSocketAddress(dependencyPort), 0);
        dependency.createContext("/health", this::health);
        dependency.start();
        String address = "localhost:" + dependency.getAddress().getPort();
        try {
            // Services usually come from YAML, but code can add those only it knows about (here, a port picked at
            // run time) on top of a loaded configuration, or define them all.
            Engine.Builder builder = Engine.builder();
            if (config != null) {
                builder.config(AegisConfig.load(config));
            }
            engine = builder
                    .service(ServiceDefinition.builder("api")
                            .check("http", "http://" + address + "/health")
                            .interval(Duration.ofSeconds(1))
                            .timeout(Duration.ofMillis(500))
                            .onFailure("notify")              // raise an alert; "restart" would need a runtime
                            .build())
                    .service(ServiceDefinition.builder("api-port")
                            .check("tcp", address)
                            .interval(Duration.ofSeconds(5))
                            .build())
                    .listener(StateChanged.class, event -> out.accept(
                            event.serviceName() + ": " + event.from() + " -> " + event.to() + " (" + event.cause() + ")"))
                    .listener(RecoveryFinished.class, event -> out.accept(
                            event.serviceName() + ": " + event.action() + " " + event.outcome().result() + " ("
                                    + event.outcome().message() + ")"))
                    .listener(AlertFired.class, event -> out.accept(          // what the notifiers get, too
                            event.serviceName() + ": ALERT " + event.alert().name() + " " + event.alert().summary()))
                    .metricsRegistry(registry)                 // aegis_* beside the application's metrics
                    .metricsEnabled(true)                      // served by the engine here; an app may serve it itself
                    .metricsPort(metricsPort)
                    .build()                                   // every configuration mistake at once, or none
                    .start();                                  // e.g. EngineStartException: metrics port in use
        } catch (RuntimeException e) {
            dependency.stop(0);                                // nothing may outlive a failed start
            throw e;
        }
    }

    /**
     * Starts the dependency and the engine that supervises it.
     *
     * @param dependencyPort the dependency's port; 0 picks a free one ({@link #dependencyPort()})
     * @param metricsPort the metrics port; 0 picks a free one ({@link #metricsPort()})
     * @param config a YAML configuration to load first, or {@code null} for services defined in code only
     * @param out receives one line per state change and finished recovery
     * @throws io.aegis.core.InvalidConfigurationException when {@code config} has mistakes
     * @throws io.aegis.core.EngineStartException when the metrics port is in use
     * @throws IOException when the dependency's port cannot be bound
     */
    public static EmbeddedApp start(int dependencyPort, int metricsPort, Path config, Consumer<String> out)
            throws IOException {
        return new EmbeddedApp(dependencyPort, metricsPort, config, out);
    }

    /** Runs until Enter, end of input or Ctrl-C; see the class comment for the arguments. */
    public static void main(String[] args) throws IOException {
        int dependencyPort = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int metricsPort = args.length > 1 ? Integer.parseInt(args[1]) : 9092;
        Path config = args.length > 2 ? Path.of(args[2]) : null;
        try (EmbeddedApp app = start(dependencyPort, metricsPort, config, System.out::println)) {
            Runtime.getRuntime().addShutdownHook(new Thread(app::close, "embedded-app-shutdown")); // Ctrl-C
            System.out.println("dependency: http://localhost:" + app.dependencyPort() + "/health, metrics: "
                    + "http://localhost:" + app.metricsPort() + "/metrics; press Enter to stop");
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine(); // Enter or EOF
        }
    }

    /** Makes the dependency answer 200 ({@code true}) or 503 ({@code false}), as its {@code POST} endpoints do. */
    public void dependencyHealthy(boolean healthy) {
        dependencyHealthy.set(healthy);
    }

    /** The dependency's port. */
    public int dependencyPort() {
        return dependency.getAddress().getPort();
    }

    /** The port {@code /metrics} is served on. */
    public int metricsPort() {
        return engine.metricsPort().orElseThrow();
    }

    /** What the engine knows about each service now. */
    public List<ServiceSnapshot> services() {
        return engine.services();
    }

    /** Stops the engine (its checks, threads and metrics port), then the dependency. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            engine.close();
            dependency.stop(0);
        }
    }

    private void health(HttpExchange exchange) throws IOException {
        healthRequests.inc();
        String path = exchange.getRequestURI().getPath();
        if ("POST".equals(exchange.getRequestMethod()) && path.equals("/health/fail")) {
            dependencyHealthy.set(false);
        } else if ("POST".equals(exchange.getRequestMethod()) && path.equals("/health/recover")) {
            dependencyHealthy.set(true);
        }
        boolean up = dependencyHealthy.get();
        byte[] body = (up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(up ? 200 : 503, body.length);
        try (OutputStream response = exchange.getResponseBody()) {
            response.write(body);
        }
    }
}
