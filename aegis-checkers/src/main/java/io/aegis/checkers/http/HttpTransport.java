package io.aegis.checkers.http;

import io.aegis.plugin.support.DaemonThreadFactory;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * The network side of one {@link HttpCheckerFactory}: one Netty event loop per core, on daemon threads called
 * {@code aegis-http-N}, with the native epoll transport where it loads (Linux x86-64) and NIO elsewhere.
 *
 * <p>Every origin is bound to one loop for its whole life, so its keep-alive pool, its connections and the
 * deadlines of its checks are only ever touched by that loop's thread: no locks, and no scan of anything
 * larger than one origin's idle connections.
 */
final class HttpTransport {
    /** How long {@link #close()} waits for the loops to end. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(3);

    private final DaemonThreadFactory threads = new DaemonThreadFactory("aegis-http");
    private final EventLoopGroup group;
    private final Bootstrap base;
    private final boolean epoll;

    HttpTransport() {
        int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
        epoll = epollAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends Channel> channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        group = new MultiThreadIoEventLoopGroup(loops, threads, io);
        base = new Bootstrap()
                .channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) HttpCheckerFactory.CONNECT_TIMEOUT.toMillis());
    }

    private static boolean epollAvailable() {
        try {
            return Epoll.isAvailable();
        } catch (LinkageError e) {
            // the native jar is missing or was built for another platform: NIO works everywhere
            return false;
        }
    }

    /** Whether the native epoll transport is in use (rather than NIO). */
    boolean epoll() {
        return epoll;
    }

    /** A new origin, bound to the next loop; {@code ssl} null means plain HTTP. */
    Origin origin(Origin.Key key, SSLContext ssl) {
        return new Origin(key, group.next(), base, ssl);
    }

    /** Closes every connection and ends the loops, waiting a bounded time for the threads to end. */
    void close() {
        group.shutdownGracefully(0, CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(CLOSE_WAIT.toMillis() + 1000);
        try {
            threads.joinAll(CLOSE_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
