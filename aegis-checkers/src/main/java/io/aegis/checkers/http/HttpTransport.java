package io.aegis.checkers.http;

import io.aegis.plugin.support.DaemonThreadFactory;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.Security;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    /** What {@link #warmUp()} decodes. */
    private static final String WARM_UP_ANSWER = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    /** At most this many host names are looked up at once; more wait for one of them. */
    private static final int RESOLVER_THREADS = 4;

    /** Looks up a host name; blocking is allowed (it runs on the resolver threads, never on a loop). */
    @FunctionalInterface
    interface Resolver {
        InetAddress resolve(String host) throws UnknownHostException;
    }

    private final DaemonThreadFactory threads = new DaemonThreadFactory("aegis-http");
    private final DaemonThreadFactory resolverThreads = new DaemonThreadFactory("aegis-http-dns");
    private final Resolver resolver;
    // Name lookups block (the JVM's resolver: /etc/hosts, then DNS, up to its timeouts); on a loop one slow name
    // would stall every check of that loop (review S1). Threads start with the first lookup and end when idle.
    private final ThreadPoolExecutor resolverPool;
    private final long addressTtlNanos;
    // Loops of our own rather than a MultiThreadIoEventLoopGroup: the group hangs a listener on each loop's
    // termination, which Netty then runs on a thread of its own (globalEventExecutor) when the factory closes.
    private final SingleThreadIoEventLoop[] loops;
    private final AtomicInteger next = new AtomicInteger();
    private final boolean epoll;

    HttpTransport() {
        this(Math.max(1, Runtime.getRuntime().availableProcessors()), InetAddress::getByName);
    }

    /** For tests: how many loops, and how host names are looked up. */
    HttpTransport(int loops, Resolver resolver) {
        this.resolver = resolver;
        this.resolverPool = new ThreadPoolExecutor(RESOLVER_THREADS, RESOLVER_THREADS, 10, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), resolverThreads);
        resolverPool.allowCoreThreadTimeOut(true);
        this.addressTtlNanos = jvmAddressTtlNanos();
        epoll = epollAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.loops = new SingleThreadIoEventLoop[loops];
        for (int i = 0; i < loops; i++) {
            // a loop starts its thread with its first task
            this.loops[i] = new SingleThreadIoEventLoop(null, threads, io);
        }
        // The first check of a fresh aegis would otherwise initialise Netty's allocator, channel and HTTP decoder
        // classes on its own clock (~0.1 s of the ~0.75 s from start to the first check): done now, on the first
        // loop, while the engine is still being built on the main thread.
        this.loops[0].execute(this::warmUp);
    }

    /** Runs, once, the classes every first exchange needs, on a throw-away channel that never touches the network. */
    private void warmUp() {
        EmbeddedChannel channel = new EmbeddedChannel(new Connection.Decoder());
        try {
            channel.writeInbound(Unpooled.copiedBuffer(WARM_UP_ANSWER, StandardCharsets.US_ASCII));
            newChannel(HttpCheckerFactory.CONNECT_TIMEOUT).unsafe().closeForcibly();
        } catch (RuntimeException | LinkageError e) {
            // only a head start: the first real check does the same and reports what fails
        } finally {
            channel.finishAndReleaseAll();
        }
    }


    /**
     * A new, unregistered socket channel. Not Netty's {@code Bootstrap}: its resolver group hangs a listener
     * on each loop's termination, which Netty runs on a thread of its own ({@code globalEventExecutor}) when
     * the factory closes; the origin resolves names itself.
     *
     * <p>{@code TCP_NODELAY} is Netty's default for both transports (set as the channel is made); setting it again
     * cost one more system call per new connection.
     *
     * @param checkTimeout the timeout of the check that opens it: its own deadline covers connecting when it is
     *     at most {@link HttpCheckerFactory#CONNECT_TIMEOUT}, and Netty then needs no connect timer of its own
     *     (one scheduled task less per new connection)
     */
    Channel newChannel(Duration checkTimeout) {
        Channel channel = epoll ? new EpollSocketChannel() : new NioSocketChannel();
        channel.config().setConnectTimeoutMillis(checkTimeout.compareTo(HttpCheckerFactory.CONNECT_TIMEOUT) <= 0
                ? 0 : (int) HttpCheckerFactory.CONNECT_TIMEOUT.toMillis());
        return channel;
    }

    /**
     * Looks {@code host} up on a resolver thread. The future completes on that thread, with the address or an
     * {@link UnknownHostException}; after {@link #close()} it fails at once.
     */
    CompletableFuture<InetAddress> resolve(String host) {
        CompletableFuture<InetAddress> lookup = new CompletableFuture<>();
        try {
            resolverPool.execute(() -> {
                try {
                    lookup.complete(resolver.resolve(host));
                } catch (Throwable e) {
                    // an Error too: a lookup never completed would leave every check of the origin waiting on it
                    lookup.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            lookup.completeExceptionally(e);
        }
        return lookup;
    }


    /**
     * How long an origin may connect to an address it looked up, in nanoseconds; negative: for ever. The JVM's own
     * positive cache time ({@code networkaddress.cache.ttl}, else {@code sun.net.inetaddr.ttl}, else 30 s), so a
     * name that moves is followed as soon as the JVM itself would follow it.
     */
    long addressTtlNanos() {
        return addressTtlNanos;
    }

    private static long jvmAddressTtlNanos() {
        String ttl = Security.getProperty("networkaddress.cache.ttl");
        if (ttl == null) {
            ttl = System.getProperty("sun.net.inetaddr.ttl");
        }
        long seconds = 30;
        if (ttl != null) {
            try {
                seconds = Long.parseLong(ttl.trim());
            } catch (NumberFormatException e) {
                // the JVM ignores a bad value too and keeps its default
            }
        }
        return seconds < 0 ? -1 : TimeUnit.SECONDS.toNanos(seconds);
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
        return new Origin(key, loops[Math.floorMod(next.getAndIncrement(), loops.length)], this, ssl);
    }

    /** Closes every connection and ends the loops, waiting a bounded time for the threads to end. */
    void close() {
        // a lookup still blocked in the JVM's resolver cannot be interrupted; its daemon thread ends with it
        resolverPool.shutdownNow();
        for (SingleThreadIoEventLoop loop : loops) {
            loop.shutdownGracefully(0, CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        try {
            long deadline = System.nanoTime() + CLOSE_WAIT.toNanos() + TimeUnit.SECONDS.toNanos(1);
            for (SingleThreadIoEventLoop loop : loops) {
                loop.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            threads.joinAll(CLOSE_WAIT);
            resolverThreads.joinAll(Duration.ofMillis(100));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
