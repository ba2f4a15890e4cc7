package io.aegis.benchmarks.jmh;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.Settings;
import io.aegis.benchmarks.LoopbackServer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * The bundled checkers, one check at a time, each beside the same work done plainly: HTTP and TCP against an
 * in-JVM loopback server ({@link LoopbackServer}) beside the plain JDK client and a plain connect; gRPC
 * against an in-JVM grpc-java health server beside a plain blocking stub call; a script that exits 0
 * beside a plain {@code ProcessBuilder} run of it. {@code httpCheckNewConnection} checks a server that closes
 * each connection after its answer, so every check connects anew. The difference is each checker's own per-check overhead.
 *
 * <p>{@code httpsCheck} and {@code http2Check} check one in-JVM Netty TLS server (self-signed certificate made by
 * {@code keytool} at set-up, trusted through {@code tls.caFile}) that offers both protocols: over HTTP/1.1 on a
 * kept-alive connection ({@code http2: false}), and as streams of one HTTP/2 connection. After each measurement
 * iteration of these two rows, the process CPU (user + system) per check is printed as a {@code cpu per check}
 * line, with the in-JVM server's thread apart: the rest is the checker (and JMH's own thread).
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
    private LoopbackServer closingServer;
    private ExecutorService blocking;
    private HealthCheckerFactory httpFactory;
    private HealthCheckerFactory tcpFactory;
    private HealthChecker http;
    private HealthChecker httpNewConnection;
    private HealthChecker tcp;
    private TlsServer tlsServer;
    private HealthChecker https;
    private HealthChecker http2;
    private long ops;
    private long cpuAtStart;
    private long serverCpuAtStart;
    private HttpClient plainClient;
    private HttpRequest plainRequest;
    private InetSocketAddress address;
    private Server grpcServer;
    private HealthCheckerFactory grpcFactory;
    private HealthChecker grpc;
    private ManagedChannel plainChannel;
    private HealthGrpc.HealthBlockingStub plainStub;
    private HealthCheckerFactory scriptFactory;
    private HealthChecker script;
    private Path scriptFile;

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
        // the same server closing each connection after its answer: a new connection per check
        closingServer = LoopbackServer.open(1, true).startInBackground();
        httpNewConnection = httpFactory.create(spec("http",
                "http://127.0.0.1:" + closingServer.ports().get(0) + "/health"));
        tcp = tcpFactory.create(spec("tcp", "127.0.0.1:" + address.getPort()));
        tlsServer = new TlsServer();
        String tlsUrl = "https://127.0.0.1:" + tlsServer.port() + "/health";
        Map<String, Object> trust = Map.of("caFile", tlsServer.caFile().toString());
        https = httpFactory.create(spec("http", tlsUrl, Map.of("type", "http", "tls", trust, "http2", false,
                "expect", Map.of("httpVersion", "1.1"))));
        http2 = httpFactory.create(spec("http", tlsUrl, Map.of("type", "http", "tls", trust,
                "expect", Map.of("httpVersion", "2"))));
        // the first TLS handshake loads the trust and TLS classes: done once here, not inside a 2 s check
        for (HealthChecker each : new HealthChecker[] {https, http2}) {
            checked(each.check(new CheckContext(1, Duration.ofSeconds(60))).toCompletableFuture().join());
        }
        plainClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        plainRequest = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build();

        HealthStatusManager health = new HealthStatusManager();
        health.setStatus("", ServingStatus.SERVING);
        grpcServer = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(health.getHealthService()).build().start();
        grpcFactory = factory("grpc");
        grpc = grpcFactory.create(spec("grpc", "127.0.0.1:" + grpcServer.getPort()));
        plainChannel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcServer.getPort()).usePlaintext().build();
        plainStub = HealthGrpc.newBlockingStub(plainChannel);

        scriptFile = Files.createTempFile("aegis-bench-check", ".sh",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(scriptFile, "#!/bin/sh\necho OK\nexit 0\n");
        scriptFactory = factory("script");
        script = scriptFactory.create(spec("script", scriptFile.toString()));
    }

    private CheckerSpec spec(String type, String endpoint) {
        return spec(type, endpoint, Map.of("type", type));
    }

    private CheckerSpec spec(String type, String endpoint, Map<String, ?> settings) {
        return CheckerSpec.builder("bench", type, endpoint).interval(Duration.ofSeconds(1))
                .timeout(Duration.ofSeconds(2)).settings(Settings.of("services[0]", settings))
                .blockingExecutor(blocking).build();
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        ops = 0;
        cpuAtStart = processCpuNanos();
        serverCpuAtStart = TlsServer.serverCpuNanos();
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        if (ops > 0) {
            long all = processCpuNanos() - cpuAtStart;
            long server = TlsServer.serverCpuNanos() - serverCpuAtStart;
            System.out.printf("%ncpu per check: %.1f us, of it the TLS server's thread %.1f us, the rest %.1f us"
                    + " (%d checks)%n", all / 1000.0 / ops, server / 1000.0 / ops, (all - server) / 1000.0 / ops, ops);
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
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
    public CheckResult httpsCheck() {
        ops++;
        return checked(https.check(CONTEXT).toCompletableFuture().join());
    }

    @Benchmark
    public CheckResult http2Check() {
        ops++;
        return checked(http2.check(CONTEXT).toCompletableFuture().join());
    }

    /** A row whose checks fail measures the failure path, not the check: stop it at once. */
    private static CheckResult checked(CheckResult result) {
        if (!result.isPassing()) {
            throw new IllegalStateException("the check failed: " + result.message());
        }
        return result;
    }

    @Benchmark
    public CheckResult httpCheckNewConnection() {
        return httpNewConnection.check(CONTEXT).toCompletableFuture().join();
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

    @Benchmark
    public CheckResult grpcCheck() {
        return grpc.check(CONTEXT).toCompletableFuture().join();
    }

    @Benchmark
    public ServingStatus plainGrpcStub() {
        return plainStub.withDeadlineAfter(2, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance())
                .getStatus();
    }

    @Benchmark
    public CheckResult scriptCheck() {
        return script.check(CONTEXT).toCompletableFuture().join();
    }

    @Benchmark
    public int plainProcess() throws Exception {
        Process process = new ProcessBuilder(scriptFile.toString()).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        grpc.close();
        grpcFactory.close();
        plainChannel.shutdownNow();
        grpcServer.shutdownNow();
        script.close();
        scriptFactory.close();
        Files.deleteIfExists(scriptFile);
        http.close();
        httpNewConnection.close();
        https.close();
        http2.close();
        tlsServer.close();
        tcp.close();
        httpFactory.close();
        tcpFactory.close();
        server.close();
        closingServer.close();
        blocking.shutdownNow();
    }
}
