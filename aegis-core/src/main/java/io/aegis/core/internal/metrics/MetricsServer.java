package io.aegis.core.internal.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP endpoint Prometheus scrapes: {@code /metrics} of one engine's registry (plus {@code /-/healthy}).
 *
 * <p>It runs on its own small pool of daemon threads named {@code aegis-metrics-http-<n>}; {@link #close()}
 * releases the port and waits for those threads to end, so an engine leaves nothing behind.
 */
public final class MetricsServer implements AutoCloseable {
    /** Prefix of the names of the threads that answer scrapes. */
    static final String THREAD_NAME_PREFIX = "aegis-metrics-http-";

    /** Scrapes are rare and quick: two threads serve Prometheus plus a person with curl. */
    private static final int THREADS = 2;
    /** Scrapes waiting beyond this are refused rather than queued without bound. */
    private static final int QUEUE_CAPACITY = 16;
    private static final long CLOSE_TIMEOUT_SECONDS = 5;

    private final HTTPServer server;
    private final ThreadPoolExecutor executor;
    private final DaemonThreadFactory threads;

    private MetricsServer(HTTPServer server, ThreadPoolExecutor executor, DaemonThreadFactory threads) {
        this.server = server;
        this.executor = executor;
        this.threads = threads;
    }

    /**
     * Starts serving {@code registry} on {@code host:port}.
     *
     * @param host the address to listen on ({@code "0.0.0.0"} for all, {@code "127.0.0.1"} for loopback only)
     * @param port the port; 0 picks a free one (see {@link #port()})
     * @param registry the engine's registry
     * @return the running server
     * @throws MetricsPortInUseException if something already listens on the port
     * @throws UncheckedIOException if the server cannot start for another reason (for example an unknown host)
     */
    public static MetricsServer start(String host, int port, PrometheusRegistry registry) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(registry, "registry");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("metrics port must be between 0 and 65535, got " + port);
        }
        // Our own pool (rather than the exporter's default) so close() can wait for its threads to end.
        DaemonThreadFactory threads = new DaemonThreadFactory();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE_CAPACITY), threads);
        executor.allowCoreThreadTimeOut(true);
        try {
            HTTPServer server = HTTPServer.builder()
                    .hostname(host)
                    .port(port)
                    .registry(registry)
                    .executorService(executor)
                    .buildAndStart();
            return new MetricsServer(server, executor, threads);
        } catch (BindException e) {
            executor.shutdownNow();
            if (port != 0 && hostIsBindable(host)) {
                throw new MetricsPortInUseException(host, port, e);
            }
            throw new UncheckedIOException(
                    "cannot serve metrics on " + hostAndPort(host, port) + ": " + e.getMessage(), e);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException(
                    "cannot serve metrics on " + hostAndPort(host, port) + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
    }

    /** The port the server listens on; the one picked when it was started with port 0. */
    public int port() {
        return server.getPort();
    }

    /**
     * Stops answering, releases the port and waits (at most five seconds) for the server's threads to end.
     * Calling it again does nothing.
     */
    @Override
    public void close() {
        if (executor.isShutdown()) {
            return;
        }
        // Stops the listener and the dispatcher thread, then shuts our executor down.
        server.close();
        executor.shutdown();
        try {
            if (!executor.awaitTermination(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
            // A terminated pool's last worker may still be unwinding; join so that none outlives close().
            threads.joinAll(TimeUnit.SECONDS.toMillis(CLOSE_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether this machine can listen on {@code host} at all. A {@link BindException} also means "this is
     * not one of my addresses", and its text is the operating system's (maybe translated), so we ask the
     * question directly rather than parse it.
     */
    private static boolean hostIsBindable(String host) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static String hostAndPort(String host, int port) {
        // An IPv6 literal needs brackets, or the port reads as part of the address.
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    /** Daemon threads, so a forgotten server never keeps the JVM alive. */
    private static final class DaemonThreadFactory implements ThreadFactory {
        private final AtomicInteger count = new AtomicInteger();
        private final Queue<Thread> created = new ConcurrentLinkedQueue<>();

        @Override
        public Thread newThread(Runnable task) {
            Thread thread = new Thread(task, THREAD_NAME_PREFIX + count.incrementAndGet());
            thread.setDaemon(true);
            // Idle threads time out and are replaced, so forget the dead ones rather than collect them forever.
            created.removeIf(old -> old.getState() == Thread.State.TERMINATED);
            created.add(thread);
            return thread;
        }

        void joinAll(long timeoutMillis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            for (Thread thread : created) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return;
                }
                thread.join(left);
            }
        }
    }
}
