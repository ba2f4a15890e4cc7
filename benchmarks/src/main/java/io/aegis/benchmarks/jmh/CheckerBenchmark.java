package io.aegis.benchmarks.jmh;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.Settings;
import io.aegis.benchmarks.LoopbackServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The bundled HTTP and TCP checkers against an in-JVM loopback server ({@link LoopbackServer}), one check at a time, beside the
 * same request made with the plain JDK client (and a plain connect): the difference is the checker's own
 * per-check overhead.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main CheckerBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CheckerBenchmark {
    private static final CheckContext CONTEXT = new CheckContext(1, Duration.ofSeconds(2));

    private LoopbackServer server;
    private ExecutorService blocking;
    private HealthCheckerFactory httpFactory;
    private HealthCheckerFactory tcpFactory;
    private HealthChecker http;
    private HealthChecker tcp;
    private HttpClient plainClient;
    private HttpRequest plainRequest;
    private InetSocketAddress address;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        // the fleet scenario's server (one NIO thread, TCP_NODELAY, one write per response): the JDK's
        // HttpServer writes headers and body apart and meets delayed ACKs, 40 ms a request
        server = LoopbackServer.open(1, false).startInBackground();
        address = new InetSocketAddress("127.0.0.1", server.ports().get(0));
        blocking = Executors.newCachedThreadPool();
        String url = "http://127.0.0.1:" + address.getPort() + "/health";
        httpFactory = factory("http");
        tcpFactory = factory("tcp");
        http = httpFactory.create(spec("http", url));
        tcp = tcpFactory.create(spec("tcp", "127.0.0.1:" + address.getPort()));
        plainClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        plainRequest = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build();
    }

    private CheckerSpec spec(String type, String endpoint) {
        return CheckerSpec.builder("bench", type, endpoint).interval(Duration.ofSeconds(1))
                .timeout(Duration.ofSeconds(2)).settings(Settings.of("services[0]", Map.of("type", type)))
                .blockingExecutor(blocking).build();
    }

    private static HealthCheckerFactory factory(String type) {
        return ServiceLoader.load(HealthCheckerFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(f -> f.type().equals(type)).findFirst().orElseThrow();
    }

    @Benchmark
    public CheckResult httpCheck() {
        return http.check(CONTEXT).toCompletableFuture().join();
    }

    @Benchmark
    public int plainHttpClient() {
        return plainClient.sendAsync(plainRequest, HttpResponse.BodyHandlers.discarding()).join().statusCode();
    }

    @Benchmark
    public CheckResult tcpCheck() {
        return tcp.check(CONTEXT).toCompletableFuture().join();
    }

    @Benchmark
    public boolean plainConnect() throws Exception {
        try (SocketChannel channel = SocketChannel.open(address)) {
            return channel.isConnected();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        http.close();
        tcp.close();
        httpFactory.close();
        tcpFactory.close();
        server.close();
        blocking.shutdownNow();
    }
}
