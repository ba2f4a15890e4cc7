package io.aegis.checkers.grpc;

import io.aegis.plugin.support.DaemonThreadFactory;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The channels of one factory, one per {@link GrpcCheckConfig.ChannelKey}, and the threads they run on.
 *
 * <p>The threads are this class's own rather than grpc-java's process-wide shared pools, so that
 * {@link #close()} can stop them and wait for them: grpc-java releases its shared pools only a while after
 * their last user, which would leave threads running after the engine has closed.
 */
final class GrpcChannels implements AutoCloseable {
    /** How long {@link #close()} lets calls in flight finish before cutting them off. */
    static final Duration GRACE = Duration.ofSeconds(1);

    /** The largest health answer accepted; a real one is a few bytes. */
    static final int MAX_ANSWER_BYTES = 64 * 1024;

    private static final int IO_THREADS = 2;
    private static final int CALLBACK_THREADS = 2;
    private static final int OFFLOAD_THREADS = 2;
    private static final long IDLE_THREAD_SECONDS = 60;

    private final Map<GrpcCheckConfig.ChannelKey, ManagedChannel> channels = new LinkedHashMap<>(); // guarded by this
    private EventLoopGroup ioThreads; // guarded by this
    private ThreadPoolExecutor callbackThreads; // guarded by this
    private ThreadPoolExecutor offloadThreads; // guarded by this
    private boolean closed; // guarded by this

    /**
     * The channel for {@code config}: the one already open for its key, or a new one. A new channel connects
     * on its first call, not here.
     *
     * @throws IllegalStateException when this is closed
     * @throws IllegalArgumentException when gRPC refuses the TLS settings
     */
    synchronized ManagedChannel channelFor(GrpcCheckConfig config) {
        if (closed) {
            throw new IllegalStateException("the grpc checker factory is closed");
        }
        ManagedChannel channel = channels.get(config.channelKey());
        if (channel == null) {
            startThreads();
            channel = open(config);
            channels.put(config.channelKey(), channel);
        }
        return channel;
    }

    /** The number of open channels; for tests. */
    synchronized int size() {
        return channels.size();
    }

    private void startThreads() {
        if (ioThreads != null) {
            return;
        }
        ioThreads = new MultiThreadIoEventLoopGroup(IO_THREADS, new DefaultThreadFactory("aegis-grpc-io", true),
                NioIoHandler.newFactory());
        // Runs the call callbacks, which complete the engine's futures, so an engine stage never runs on an I/O thread.
        callbackThreads = pool(CALLBACK_THREADS, "aegis-grpc");
        // Runs gRPC's blocking work: DNS lookups of the targets.
        offloadThreads = pool(OFFLOAD_THREADS, "aegis-grpc-offload");
    }

    private static ThreadPoolExecutor pool(int threads, String name) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, IDLE_THREAD_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), new DaemonThreadFactory(name));
        // checks are seconds apart, so idle threads need not stay
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private ManagedChannel open(GrpcCheckConfig config) {
        GrpcCheckConfig.ChannelKey key = config.channelKey();
        return NettyChannelBuilder.forAddress(key.target().host(), key.target().port(), credentials(config))
                .eventLoopGroup(ioThreads)
                .channelType(NioSocketChannel.class)
                .executor(callbackThreads)
                .offloadExecutor(offloadThreads)
                .maxInboundMessageSize(MAX_ANSWER_BYTES)
                // one check is one attempt: the engine retries with its own backoff and counts each attempt
                .disableRetry()
                .disableServiceConfigLookUp()
                .userAgent("aegis-health-checker")
                .build();
    }

    private static ChannelCredentials credentials(GrpcCheckConfig config) {
        if (!config.channelKey().tls()) {
            return InsecureChannelCredentials.create();
        }
        if (config.trustedCertificates() == null) {
            return TlsChannelCredentials.create();
        }
        try {
            return TlsChannelCredentials.newBuilder()
                    .trustManager(new ByteArrayInputStream(config.trustedCertificates()))
                    .build();
        } catch (IOException e) {
            // reading a byte array does not fail
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Shuts every channel down, gives calls in flight {@link #GRACE} to finish, cuts off the rest, and stops
     * the threads. Later calls to {@link #channelFor} throw.
     */
    @Override
    public void close() {
        List<ManagedChannel> open;
        EventLoopGroup io;
        List<ExecutorService> pools;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(channels.values());
            channels.clear();
            io = ioThreads;
            pools = io == null ? List.of() : List.of(callbackThreads, offloadThreads);
        }
        // Waiting happens outside the lock: create() must fail fast instead of queueing behind a slow close.
        // An interrupt stops the waiting, never the shutting down.
        open.forEach(ManagedChannel::shutdown);
        boolean interrupted = !awaitChannels(open, GRACE);
        open.forEach(ManagedChannel::shutdownNow);
        interrupted = interrupted || !awaitChannels(open, GRACE);
        if (io != null) {
            // no quiet period: nothing submits work to these threads any more
            io.shutdownGracefully(0, GRACE.toMillis(), TimeUnit.MILLISECONDS);
            pools.forEach(ExecutorService::shutdownNow);
            long millis = GRACE.toMillis();
            interrupted = interrupted || !await(() -> io.awaitTermination(2 * millis, TimeUnit.MILLISECONDS));
            for (ExecutorService pool : pools) {
                interrupted = interrupted || !await(() -> pool.awaitTermination(millis, TimeUnit.MILLISECONDS));
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for every channel to end within {@code budget} in all; returns false when interrupted. */
    private static boolean awaitChannels(List<ManagedChannel> open, Duration budget) {
        long deadline = System.nanoTime() + budget.toNanos();
        for (ManagedChannel channel : open) {
            if (!await(() -> channel.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS))) {
                return false;
            }
        }
        return true;
    }

    /** Runs one bounded wait; returns false when interrupted. Running out of time is not an error here. */
    private static boolean await(Wait wait) {
        try {
            wait.run();
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    @FunctionalInterface
    private interface Wait {
        boolean run() throws InterruptedException;
    }
}
