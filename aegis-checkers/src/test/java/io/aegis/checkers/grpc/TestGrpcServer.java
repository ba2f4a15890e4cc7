package io.aegis.checkers.grpc;

import io.grpc.Attributes;
import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManager;

/**
 * A real grpc-java server on 127.0.0.1, optionally with the standard health service and TLS, that records
 * the connections it sees and the headers of the calls it receives.
 *
 * <p>It runs on its own threads ({@code test-grpc-server-*}), not on grpc-java's shared pools, so that a
 * test can tell the checker's threads from the server's.
 */
final class TestGrpcServer implements AutoCloseable {
    private final HealthStatusManager health;
    private final Server server;
    private final EventLoopGroup ioThreads;
    private final ExecutorService callThreads;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger closedConnections = new AtomicInteger();
    private final List<Metadata> receivedHeaders = new CopyOnWriteArrayList<>();

    private TestGrpcServer(int port, boolean withHealthService, KeyManager[] tlsKeys, BindableService other)
            throws IOException {
        health = withHealthService ? new HealthStatusManager() : null;
        ioThreads = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-grpc-server-io", true),
                NioIoHandler.newFactory());
        callThreads = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "test-grpc-server-call");
            thread.setDaemon(true);
            return thread;
        });
        ServerCredentials credentials = tlsKeys == null
                ? InsecureServerCredentials.create()
                : TlsServerCredentials.newBuilder().keyManager(tlsKeys).build();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port), credentials)
                .bossEventLoopGroup(ioThreads)
                .workerEventLoopGroup(ioThreads)
                .channelType(NioServerSocketChannel.class)
                .executor(callThreads)
                .addTransportFilter(new ServerTransportFilter() {
                    @Override
                    public Attributes transportReady(Attributes attributes) {
                        connections.incrementAndGet();
                        return attributes;
                    }

                    @Override
                    public void transportTerminated(Attributes attributes) {
                        closedConnections.incrementAndGet();
                    }
                })
                .intercept(new ServerInterceptor() {
                    @Override
                    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                            ServerCallHandler<Q, A> next) {
                        receivedHeaders.add(headers);
                        return next.startCall(call, headers);
                    }
                });
        if (health != null) {
            builder.addService(health.getHealthService());
        }
        if (other != null) {
            builder.addService(other);
        }
        server = builder.build().start();
    }

    /** A server with the health service, on a free port; the whole server starts as SERVING. */
    static TestGrpcServer withHealthService() throws IOException {
        return new TestGrpcServer(0, true, null, null);
    }

    /** A server with the health service on {@code port}. */
    static TestGrpcServer withHealthServiceOn(int port) throws IOException {
        return new TestGrpcServer(port, true, null, null);
    }

    /** A server with the health service that speaks TLS only, with the key and certificate {@code keys}. */
    static TestGrpcServer withHealthServiceOverTls(KeyManager[] keys) throws IOException {
        return new TestGrpcServer(0, true, keys, null);
    }

    /** A server with no service at all, so every call is UNIMPLEMENTED. */
    static TestGrpcServer withoutHealthService() throws IOException {
        return new TestGrpcServer(0, false, null, null);
    }

    /** A server with {@code service} only, such as a health service of the test's own making. */
    static TestGrpcServer with(BindableService service) throws IOException {
        return new TestGrpcServer(0, false, null, service);
    }

    /** The health statuses the server reports; null for a server without the health service. */
    HealthStatusManager health() {
        return health;
    }

    String endpoint() {
        return "127.0.0.1:" + server.getPort();
    }

    /** How many client connections got ready (finished the HTTP/2 and TLS handshakes). */
    int connections() {
        return connections.get();
    }

    /** How many client connections have ended. */
    int closedConnections() {
        return closedConnections.get();
    }

    /** The headers of every call received, in order. */
    List<Metadata> receivedHeaders() {
        return receivedHeaders;
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            // the server needs its threads to close its connections, so they stop after it
            server.awaitTermination(5, TimeUnit.SECONDS);
            ioThreads.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            callThreads.shutdownNow();
            ioThreads.awaitTermination(5, TimeUnit.SECONDS);
            callThreads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
