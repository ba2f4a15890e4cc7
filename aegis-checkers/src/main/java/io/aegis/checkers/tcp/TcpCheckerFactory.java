package io.aegis.checkers.tcp;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.plugin.support.DaemonThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.AsynchronousChannelGroup;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Creates {@code type: tcp} checkers, which pass when a TCP connection opens and, if asked, when the answer
 * to what they send contains what is expected.
 *
 * <p>The service's configuration block is read for these keys:
 * <pre>{@code
 * endpoint: db.internal:5432     # required: host:port, or [ipv6-address]:port
 * send: "PING\r\n"               # optional text written after connecting (UTF-8); \n \r \t \0 \\ are
 *                                #   understood also outside double quotes
 * expect:
 *   body: "^\\+PONG"             # optional Java regex; the check reads until it is found, the peer
 *                                #   closes, 64 KiB were read, or the timeout ends
 * }</pre>
 *
 * <p>Without {@code expect.body} nothing is read: a connection (and the write of {@code send}) is enough.
 * A host name is resolved on each attempt, because the JDK offers no non-blocking DNS lookup, on a few
 * resolver threads of this factory's own: never on a pool shared with other work, where a lookup could wait
 * behind scripts and time out. An IP literal is parsed once and never looked up. The connection is closed
 * after every attempt.
 *
 * <p>The checkers of one factory share an asynchronous channel group (two daemon threads), a timer thread
 * for their deadlines and up to {@value #RESOLVER_THREADS} resolver threads (started on demand, let go when
 * idle), started with the first checker and stopped by {@link #close()}.
 */
public final class TcpCheckerFactory implements HealthCheckerFactory {
    /** The {@code type:} this factory serves. */
    public static final String TYPE = "tcp";

    private static final int IO_THREADS = 2;
    /** Lookups mostly hit the JVM's DNS cache; a few threads keep one slow lookup from delaying the others. */
    static final int RESOLVER_THREADS = 4;

    private final Object lock = new Object();
    private AsynchronousChannelGroup group;
    private ScheduledThreadPoolExecutor timer;
    private ThreadPoolExecutor resolver;
    private boolean closed;

    /** Creates the factory; it starts no thread until it creates its first checker. */
    public TcpCheckerFactory() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        TcpCheckConfig config = TcpCheckConfig.from(spec);
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the tcp checker factory is closed");
            }
            if (group == null) {
                try {
                    group = AsynchronousChannelGroup.withFixedThreadPool(IO_THREADS,
                            new DaemonThreadFactory("aegis-tcp-io"));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot start the threads of the tcp checker", e);
                }
                timer = new ScheduledThreadPoolExecutor(1, new DaemonThreadFactory("aegis-tcp-timer"));
                // an attempt that finishes early cancels its deadline; without this the queue would keep it
                timer.setRemoveOnCancelPolicy(true);
                resolver = new ThreadPoolExecutor(RESOLVER_THREADS, RESOLVER_THREADS, 30, TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(), new DaemonThreadFactory("aegis-tcp-resolver"));
                resolver.allowCoreThreadTimeOut(true);
            }
            return new TcpChecker(config, group, timer, resolver);
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (group != null) {
                timer.shutdownNow();
                resolver.shutdownNow();
                try {
                    // also closes any channel an unfinished attempt still holds
                    group.shutdownNow();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot stop the threads of the tcp checker", e);
                }
            }
        }
    }
}
