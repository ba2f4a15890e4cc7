package io.aegis.checkers.tcp;

import io.aegis.api.CheckResult;
import io.aegis.api.Durations;
import io.aegis.api.FailureReason;
import io.aegis.checkers.internal.Failures;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One TCP check attempt: resolve, connect, optionally send and read until the answer matches.
 *
 * <p>Each step is started from the completion of the previous one, so no thread waits. The first verdict
 * wins: a deadline on the factory's timer completes the attempt with a timeout, and completing it (in any
 * way, also when the engine cancels it) closes the channel, which ends whatever I/O is still pending.
 */
final class TcpProbe {
    /** The most bytes of an answer kept for matching. */
    static final int READ_LIMIT = 64 * 1024;
    private static final int FIRST_READ_SIZE = 1024;

    private enum Phase { RESOLVING, CONNECTING, SENDING, READING }

    private final TcpCheckConfig config;
    private final AsynchronousChannelGroup group;
    private final Duration timeout;
    private final long start = System.nanoTime();
    private final CompletableFuture<CheckResult> verdict = new CompletableFuture<>();
    private volatile Phase phase = Phase.RESOLVING;
    private AsynchronousSocketChannel channel; // guarded by this
    private boolean finished; // guarded by this
    // Touched by one completion handler at a time: each I/O step is started by the one before it.
    private byte[] answer;
    private int answerLength;

    TcpProbe(TcpCheckConfig config, AsynchronousChannelGroup group, Duration timeout) {
        this.config = config;
        this.group = group;
        this.timeout = timeout;
    }

    /** Starts the attempt; the returned future completes with its verdict. */
    CompletableFuture<CheckResult> start(ScheduledExecutorService timer, Executor resolver) {
        try {
            ScheduledFuture<?> deadline = timer.schedule(() -> verdict.complete(timedOut()), timeout.toNanos(),
                    TimeUnit.NANOSECONDS);
            verdict.whenComplete((result, error) -> {
                deadline.cancel(false);
                closeChannel();
            });
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(CheckResult.unknown(FailureReason.PLUGIN_ERROR,
                    "the tcp checker is closed", elapsed()));
        }
        HostPort target = config.target();
        if (target.literal() != null) {
            connect(target.literal());
        } else {
            resolve(target, resolver);
        }
        return verdict;
    }

    /**
     * {@link InetAddress#getByName} blocks, and the JDK has no asynchronous resolver, so it runs on the
     * factory's resolver threads. Resolving per attempt (rather than once) follows a service that moves;
     * the JVM's own DNS cache keeps that cheap.
     */
    private void resolve(HostPort target, Executor resolver) {
        try {
            resolver.execute(() -> {
                if (verdict.isDone()) {
                    return;
                }
                try {
                    connect(new InetSocketAddress(InetAddress.getByName(target.host()), target.port()));
                } catch (UnknownHostException e) {
                    verdict.complete(CheckResult.unhealthy(FailureReason.DNS,
                            "cannot resolve host " + target.host(), elapsed()));
                } catch (RuntimeException e) {
                    fail(e);
                }
            });
        } catch (RejectedExecutionException e) {
            verdict.complete(CheckResult.unknown(FailureReason.PLUGIN_ERROR,
                    "the tcp checker is closed; no DNS lookup of " + target.host(), elapsed()));
        }
    }

    private void connect(InetSocketAddress address) {
        AsynchronousSocketChannel opened;
        try {
            opened = AsynchronousSocketChannel.open(group);
        } catch (IOException | RuntimeException e) {
            fail(e);
            return;
        }
        if (!adopt(opened)) {
            return;
        }
        phase = Phase.CONNECTING;
        opened.connect(address, null, handler(ignored -> connected(opened)));
    }

    private void connected(AsynchronousSocketChannel opened) {
        if (config.send() != null) {
            phase = Phase.SENDING;
            send(opened, ByteBuffer.wrap(config.send()).asReadOnlyBuffer());
        } else {
            sent(opened);
        }
    }

    private void send(AsynchronousSocketChannel opened, ByteBuffer out) {
        opened.write(out, null, handler(written -> {
            if (out.hasRemaining()) {
                send(opened, out);
            } else {
                sent(opened);
            }
        }));
    }

    private void sent(AsynchronousSocketChannel opened) {
        if (config.expectedBody() == null) {
            verdict.complete(CheckResult.healthy(elapsed(), "connected to " + config.target()));
            return;
        }
        phase = Phase.READING;
        answer = new byte[FIRST_READ_SIZE];
        read(opened);
    }

    private void read(AsynchronousSocketChannel opened) {
        if (answerLength == answer.length) {
            answer = Arrays.copyOf(answer, Math.min(READ_LIMIT, answer.length * 2));
        }
        ByteBuffer into = ByteBuffer.wrap(answer, answerLength, answer.length - answerLength);
        opened.read(into, null, handler(count -> {
            if (count < 0) {
                verdict.complete(CheckResult.unhealthy(FailureReason.BODY, "the connection closed before the answer"
                        + " matched /" + config.expectedBody().pattern() + "/", elapsed()));
                return;
            }
            answerLength += count;
            // Decoding the whole answer again is simpler than matching across reads, and stays cheap
            // because the answer never exceeds READ_LIMIT.
            String text = new String(answer, 0, answerLength, StandardCharsets.UTF_8);
            if (config.expectedBody().matcher(text).find()) {
                verdict.complete(CheckResult.healthy(elapsed(), "connected to " + config.target()));
            } else if (answerLength >= READ_LIMIT) {
                verdict.complete(CheckResult.unhealthy(FailureReason.BODY, "the answer did not match /"
                        + config.expectedBody().pattern() + "/ in its first " + READ_LIMIT / 1024 + " KiB", elapsed()));
            } else {
                read(opened);
            }
        }));
    }

    private <V> CompletionHandler<V, Void> handler(Consumer<V> next) {
        return new CompletionHandler<>() {
            @Override
            public void completed(V value, Void attachment) {
                if (verdict.isDone()) {
                    return;
                }
                try {
                    next.accept(value);
                } catch (RuntimeException e) {
                    fail(e);
                }
            }

            @Override
            public void failed(Throwable error, Void attachment) {
                fail(error);
            }
        };
    }

    /** Records a failure; after a verdict (the channel was closed under a pending read) it is noise. */
    private void fail(Throwable error) {
        if (verdict.isDone()) {
            return;
        }
        FailureReason reason = Failures.reasonOf(error);
        if (reason == FailureReason.TIMEOUT) {
            verdict.complete(timedOut());
        } else if (reason == FailureReason.PLUGIN_ERROR) {
            verdict.complete(CheckResult.unknown(reason, "the tcp check of " + config.target() + " failed: "
                    + Failures.describe(error), elapsed()));
        } else {
            String doing = phase == Phase.CONNECTING ? "cannot connect to " : "lost the connection to ";
            verdict.complete(CheckResult.unhealthy(reason, doing + config.target() + ": " + Failures.describe(error),
                    elapsed()));
        }
    }

    private CheckResult timedOut() {
        String within = " within " + Durations.format(timeout);
        String message;
        switch (phase) {
            case RESOLVING:
                message = "cannot resolve host " + config.target().host() + within;
                break;
            case CONNECTING:
                message = "no connection to " + config.target() + within;
                break;
            case SENDING:
                message = "cannot send to " + config.target() + within;
                break;
            default:
                message = "no answer matching /" + config.expectedBody().pattern() + "/ from " + config.target()
                        + within;
                break;
        }
        return CheckResult.unhealthy(FailureReason.TIMEOUT, message, elapsed());
    }

    /** Keeps {@code opened} for closing; closes it at once when the verdict is already in. */
    private synchronized boolean adopt(AsynchronousSocketChannel opened) {
        if (finished) {
            closeQuietly(opened);
            return false;
        }
        channel = opened;
        return true;
    }

    private synchronized void closeChannel() {
        finished = true;
        if (channel != null) {
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(AsynchronousSocketChannel opened) {
        try {
            opened.close();
        } catch (IOException e) {
            // nothing more to release: the verdict is already in
        }
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
