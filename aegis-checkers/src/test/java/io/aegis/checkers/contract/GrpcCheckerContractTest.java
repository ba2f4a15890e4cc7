package io.aegis.checkers.contract;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.Settings;
import io.aegis.checkers.grpc.GrpcCheckerFactory;
import io.aegis.testkit.HealthCheckerContract;
import io.aegis.testkit.Misconfiguration;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/** The {@code grpc} checker against the SPI's rules, with a real gRPC health server on loopback. */
class GrpcCheckerContractTest extends HealthCheckerContract {
    private final HealthStatusManager health = new HealthStatusManager();
    private final EventLoopGroup serverThreads = new NioEventLoopGroup(2,
            new DefaultThreadFactory("aegis-testkit-grpc-server", true));
    // The server's calls run here, not on grpc-java's shared default executor, whose threads start on the first call
    // (after the kit's look at the threads) and would count as the checker's.
    private final ExecutorService serverCalls = Executors.newCachedThreadPool(
            new DefaultThreadFactory("aegis-testkit-grpc-calls", true));
    private final Server server = start();

    private Server start() {
        try {
            // Its own threads, named so that the kit's leak rules leave them out (they start on demand).
            return NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .bossEventLoopGroup(serverThreads).workerEventLoopGroup(serverThreads)
                    .channelType(NioServerSocketChannel.class).executor(serverCalls)
                    .addService(health.getHealthService()).build().start();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        serverThreads.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        serverCalls.shutdownNow();
    }

    @Override
    protected HealthCheckerFactory factory() {
        return new GrpcCheckerFactory();
    }

    @Override
    protected CheckerSpec.Builder healthyTarget() {
        return CheckerSpec.builder("orders", "grpc", "127.0.0.1:" + server.getPort());
    }

    @Override
    protected Optional<CheckerSpec.Builder> targetAt(InetSocketAddress address) {
        return Optional.of(CheckerSpec.builder("orders", "grpc", "127.0.0.1:" + address.getPort()));
    }

    @Override
    protected boolean keepsConnections() {
        return true; // one channel per target, kept for the next checks
    }

    @Override
    protected List<Misconfiguration<CheckerSpec.Builder>> misconfigurations() {
        return List.of(Misconfiguration.at("services[0].endpoint", CheckerSpec.builder("orders", "grpc", "no-port")
                .settings(Settings.empty("services[0]"))));
    }
}
