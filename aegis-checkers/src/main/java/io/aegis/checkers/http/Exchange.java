package io.aegis.checkers.http;

import io.aegis.api.CheckResult;
import io.aegis.plugin.support.BoundedBody;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import java.net.ProtocolException;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One check's request and answer, and its verdict: the stage {@link HttpChecker#check} returns is this object,
 * so a check allocates no separate future, task or listener. Everything but {@link #cancel} runs on the
 * origin's event loop, which also completes the verdict.
 *
 * <p>It is submitted to the loop as a task, and scheduled as its own deadline: the first {@link #run()}
 * starts the exchange, a second one is the deadline firing.
 */
final class Exchange extends CompletableFuture<CheckResult> implements Runnable, ChannelFutureListener {
    private static final BoundedBody DRAINED = new BoundedBody("", false);

    private final HttpChecker checker;
    private final Origin origin;
    final long start;
    final Duration timeout;
    private boolean started;
    private io.netty.util.concurrent.Future<?> deadline;
    private ChannelFuture connecting;
    private Carrier connection;
    private boolean reused;
    private boolean retried;

    // the answer so far
    private HttpResponse head;
    private boolean informational;
    private Charset charset; // null: the body is not kept, only counted
    private byte[] kept;
    private int keptLength;
    private long seen;

    Exchange(HttpChecker checker, Origin origin, long start, Duration timeout) {
        this.checker = checker;
        this.origin = origin;
        this.start = start;
        this.timeout = timeout;
    }

    /**
     * Starts the exchange: at once when called on its loop (the engine ticks this checker there), else as a task of
     * the loop; completes it at once when the factory is closed.
     */
    void submit() {
        if (origin.loop.inEventLoop()) {
            run();
            return;
        }
        try {
            origin.loop.execute(this);
        } catch (RejectedExecutionException e) {
            complete(checker.closed(start));
        }
    }

    @Override
    public void run() {
        try {
            if (!started) {
                started = true;
                begin();
            } else {
                expire();
            }
        } catch (RuntimeException e) {
            // Say, the process out of file descriptors: Netty's newSocketStream throws a ChannelException from
            // connect(). Escaping, it left the check without a verdict until the engine's own deadline and made
            // Netty log "A task raised an exception" with a stack trace for every check (hostile test, Dec 2).
            if (!isDone()) {
                fail(e);
            }
        }
    }

    private void begin() {
        if (isDone()) {
            return; // cancelled while queued
        }
        // the deadline counts from check(), so time spent queued for the loop counts too
        long left = Math.max(1, timeout.toNanos() - (System.nanoTime() - start));
        deadline = origin.loop.schedule(this, left, TimeUnit.NANOSECONDS);
        route();
    }

    /**
     * Sends the request on the origin's HTTP/2 session (or waits for its handshake), on an idle HTTP/1.1
     * connection, or on a new connection; also where a check refused by an HTTP/2 server is asked again.
     */
    void route() {
        if (isDone()) {
            return;
        }
        connection = null;
        if (origin.h2 != null && origin.h2.take(this)) {
            return;
        }
        Connection pooled = origin.poll();
        if (pooled != null) {
            send(pooled, true);
        } else {
            connect();
        }
    }

    private void connect() {
        connecting = origin.connect(timeout);
        connecting.addListener(this);
    }

    /** The new connection is up, or failed. */
    @Override
    public void operationComplete(ChannelFuture future) {
        connecting = null;
        if (isDone()) {
            future.channel().close();
        } else if (!future.isSuccess()) {
            fail(future.cause());
        } else if (future.channel().pipeline().last() instanceof Negotiation) {
            // the protocol is known after the TLS handshake (ALPN); until then a timeout closes this connection
            Negotiation negotiation = (Negotiation) future.channel().pipeline().last();
            connection = negotiation.connection();
            negotiation.await(this);
        } else {
            send((Connection) future.channel().pipeline().last(), false);
        }
    }

    /** The new connection speaks HTTP/1.1 (the server did not pick h2). */
    void sendFresh(Connection to) {
        if (isDone()) {
            return;
        }
        send(to, false);
    }

    /** An HTTP/2 session started this check's stream; {@code reused}: the session carried others before. */
    void onStream(Http2Session.Stream stream, boolean reused) {
        connection = stream;
        this.reused = reused;
    }

    HttpChecker checker() {
        return checker;
    }

    private void send(Connection to, boolean pooled) {
        ByteBuf request = checker.request();
        if (request == null) {
            // The checker was closed (its service removed) while this check waited for its connection.
            to.channel().close();
            if (complete(checker.closed(start))) {
                abandon();
            }
            return;
        }
        connection = to;
        reused = pooled;
        to.send(this, request, checker.head());
    }

    private void expire() {
        if (complete(checker.timedOut(start, timeout))) {
            abandon();
        }
    }

    /** Cancelling the verdict (the engine does on its own timeout) closes the connection, on its loop. */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
            if (origin.loop.inEventLoop()) {
                abandon();
            } else {
                try {
                    origin.loop.execute(this::abandon);
                } catch (RejectedExecutionException e) {
                    // the factory is closed, and with it every connection
                }
            }
        }
        return cancelled;
    }

    /** The verdict is in without the answer: stop the timer and close whatever connection carried it. */
    private void abandon() {
        if (deadline != null) {
            deadline.cancel(false);
        }
        if (connection != null) {
            connection.abandon();
            connection = null;
        }
        if (connecting != null) {
            connecting.channel().close();
        }
    }

    void onHead(Carrier from, HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            onProtocolError(from, response.decoderResult().cause());
            return;
        }
        int status = response.status().code();
        // 1xx (100 Continue, 103 Early Hints) come before the real answer; 101 would switch protocols
        informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL && status != 101;
        if (informational) {
            return;
        }
        head = response;
        if (checker.keepsBody(status)) {
            charset = BoundedBody.charsetOf(response.headers().get(HttpHeaderNames.CONTENT_TYPE));
        }
    }

    void onContent(Carrier from, ByteBuf content, boolean last) {
        if (informational) {
            informational = !last;
            return;
        }
        if (head == null) {
            return;
        }
        int size = content.readableBytes();
        if (charset != null) {
            keep(content);
        }
        seen += size;
        if (seen > BoundedBody.LIMIT) {
            // no condition looks past the limit: stop here and close rather than read the rest
            from.release(false);
            finish(judged(true, from));
        } else if (last) {
            from.release(HttpUtil.isKeepAlive(head));
            finish(judged(false, from));
        }
    }

    private CheckResult judged(boolean truncated, Carrier from) {
        try {
            return checker.judge(head, body(truncated), from.tlsSession(), from.version(), start);
        } catch (RuntimeException | StackOverflowError e) {
            return checker.unjudgeable(e, start);
        }
    }

    private void keep(ByteBuf content) {
        int take = Math.min(content.readableBytes(), BoundedBody.LIMIT - keptLength);
        if (take <= 0) {
            return;
        }
        if (kept == null) {
            long length = HttpUtil.getContentLength(head, -1L);
            kept = new byte[(int) Math.min(BoundedBody.LIMIT, length > 0 ? length : 1024)];
        }
        if (keptLength + take > kept.length) {
            kept = Arrays.copyOf(kept, Math.min(BoundedBody.LIMIT, Math.max(keptLength + take, kept.length * 2)));
        }
        content.getBytes(content.readerIndex(), kept, keptLength, take);
        keptLength += take;
    }

    private BoundedBody body(boolean truncated) {
        if (charset == null) {
            return DRAINED;
        }
        return new BoundedBody(kept == null ? "" : new String(kept, 0, keptLength, charset), truncated);
    }

    void onProtocolError(Carrier from, Throwable cause) {
        from.abandon();
        connection = null;
        String detail = cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage();
        fail(new ProtocolException("the answer is not valid HTTP/" + from.version() + detail));
    }

    /** The connection failed or was closed before the answer was complete. */
    void onConnectionFailed(Carrier from, Throwable cause) {
        connection = null;
        if (isDone()) {
            return;
        }
        // A kept-alive connection may have been closed by the server just as it was reused: try once more on a
        // new one, when nothing of the answer came yet and asking twice cannot do harm (as the JDK client does).
        if (reused && mayAskAgain()) {
            if (from instanceof Http2Session.Stream) {
                route(); // onto the origin's next session, shared with the other streams that failed with it
            } else {
                connect();
            }
            return;
        }
        fail(cause);
    }

    /** False, with the verdict given, when the checker was closed (its service removed) while this check waited. */
    boolean live() {
        if (isDone()) {
            return false;
        }
        if (checker.isClosed()) {
            if (complete(checker.closed(start))) {
                abandon();
            }
            return false;
        }
        return true;
    }

    /**
     * An HTTP/2 server did not process the request (GOAWAY above its stream, REFUSED_STREAM): asked once
     * more, on another connection, when nothing of the answer came and asking twice cannot do harm.
     */
    void onRefused(Carrier from, Throwable cause) {
        connection = null;
        if (isDone()) {
            return;
        }
        if (mayAskAgain()) {
            route();
            return;
        }
        fail(cause);
    }

    /**
     * Whether the request may be sent once more on another connection: nothing of the answer came, it was not asked
     * again already, and asking twice cannot do harm (an idempotent method). Taking the chance uses it up.
     */
    private boolean mayAskAgain() {
        if (head != null || informational || retried || !checker.idempotent()) {
            return false;
        }
        retried = true;
        reused = false;
        return true;
    }

    /** The HTTP/2 server reset this check's stream. */
    void onReset(Carrier from, Throwable cause) {
        connection = null;
        if (!isDone()) {
            fail(cause);
        }
    }

    private void fail(Throwable cause) {
        finish(checker.failed(cause, start, timeout));
    }

    private void finish(CheckResult result) {
        connection = null;
        if (deadline != null) {
            deadline.cancel(false);
        }
        complete(result);
    }
}
