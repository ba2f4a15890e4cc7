package io.aegis.checkers.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;

/**
 * One HTTP/2 connection of an origin, carrying the checks of all its services as streams: the last handler of
 * its channel's pipeline, installed when ALPN picked {@code h2}. Runs on its origin's event loop only.
 *
 * <p>Netty's {@link Http2ConnectionHandler} with this class as its frame listener, rather than
 * {@code Http2FrameCodec} and {@code Http2MultiplexHandler}: the multiplex handler makes a child channel with
 * its own pipeline per stream, and the frame codec a frame object per frame and needs window updates written
 * by hand; here a check costs one {@link Stream} object, frames arrive as method calls keyed by stream id, and
 * returning the bytes read from {@link #onDataRead} gives the flow-control window back.
 *
 * <p>Streams over the server's {@code SETTINGS_MAX_CONCURRENT_STREAMS} wait in a queue of this session and
 * start as others close. A GOAWAY, a stream-id space used up or a lost connection make the session take no new
 * streams; its origin then opens a new connection for the next check.
 */
final class Http2Session extends Http2ConnectionHandler {
    /** Our SETTINGS: no server push, and headers up to 64 KiB as over HTTP/1.1. */
    private static final int MAX_HEADER_LIST_SIZE = 64 * 1024;
    /** How long a connection suspected dead has to answer a PING (any bytes count) before it is closed. */
    static final long PING_TIMEOUT_MILLIS = Long.getLong("aegis.http2.pingTimeoutMillis", 2000);

    private final Http2Origin origin;
    private final SSLSession tls;
    private final IntObjectMap<Stream> streams = new IntObjectHashMap<>();
    private final ArrayDeque<Exchange> queued = new ArrayDeque<>();
    private ChannelHandlerContext context;
    // no new streams: GOAWAY read, stream ids used up, a connection error, or the channel is gone
    private boolean closing;
    // whether a stream of this session has ended: a later stream is on a reused connection, which the server
    // may have closed meanwhile (retried once, as a stale HTTP/1.1 keep-alive connection is)
    private boolean used;
    // when the last bytes came from the server (System.nanoTime): a stream abandoned with nothing read since it
    // started means the connection itself may be dead
    private long lastReadNanos = System.nanoTime();
    // a PING is out to learn whether the peer is still there
    private boolean pinging;

    private Http2Session(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
            Http2Origin origin, SSLSession tls) {
        super(decoder, encoder, settings);
        this.origin = origin;
        this.tls = tls;
        decoder.frameListener(new Frames());
        connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamRemoved(io.netty.handler.codec.http2.Http2Stream stream) {
                // a stream slot is free: start the next queued check
                startQueued();
            }
        });
        // close() sends GOAWAY and closes at once rather than waiting for open streams (default 30 s)
        gracefulShutdownTimeoutMillis(0);
    }

    /** A client session for {@code origin}, over a channel whose TLS session is {@code tls}. */
    static Http2Session create(Http2Origin origin, SSLSession tls) {
        return new Builder(origin, tls).build();
    }

    private static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<Http2Session, Builder> {
        private final Http2Origin origin;
        private final SSLSession tls;

        Builder(Http2Origin origin, SSLSession tls) {
            this.origin = origin;
            this.tls = tls;
            server(false);
            initialSettings(Http2Settings.defaultSettings().pushEnabled(false)
                    .maxHeaderListSize(MAX_HEADER_LIST_SIZE));
        }

        @Override
        protected Http2Session build() {
            return super.build();
        }

        @Override
        protected Http2Session build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                Http2Settings settings) {
            return new Http2Session(decoder, encoder, settings, origin, tls);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        context = ctx;
        super.handlerAdded(ctx);
    }

    /** Whether new streams may still start here. */
    boolean open() {
        return !closing && context != null && context.channel().isActive();
    }

    /**
     * Starts {@code exchange} as a new stream, or queues it while the server's stream limit is reached; false
     * when this session takes no new streams (the caller routes the check elsewhere).
     */
    boolean start(Exchange exchange) {
        if (!open()) {
            return false;
        }
        if (!queued.isEmpty() || !connection().local().canOpenStream()) {
            queued.addLast(exchange);
            return true;
        }
        return send(exchange);
    }

    private boolean send(Exchange exchange) {
        if (!exchange.live()) {
            return true; // its deadline passed while it was queued, or its checker was closed
        }
        int id = connection().local().incrementAndGetNextStreamId();
        if (id < 0) {
            // 2^30 streams on one connection: it is worn out; a new one takes the checks from here, and this
            // one closes once its open streams are done
            goingAway();
            closeIfIdle();
            return false;
        }
        Stream stream = new Stream(this, id, exchange);
        streams.put(id, stream);
        // before the writes: a write that fails at once fails the exchange through the stream
        exchange.onStream(stream, used);
        HttpChecker checker = exchange.checker();
        byte[] body = checker.http2Body();
        ChannelFuture headers = encoder().writeHeaders(context, id, checker.http2Headers(), 0, body == null,
                context.newPromise());
        headers.addListener(stream);
        if (body != null) {
            encoder().writeData(context, id, Unpooled.wrappedBuffer(body), 0, true, context.newPromise())
                    .addListener(stream);
        }
        flush(context);
        return true;
    }

    private void startQueued() {
        Exchange next;
        while (!closing && connection().local().canOpenStream() && (next = queued.pollFirst()) != null) {
            if (!send(next)) {
                queued.addFirst(next);
                break;
            }
        }
        if (closing) {
            reroute();
            // send() found the stream ids used up and looked for idleness before the queue was emptied here
            closeIfIdle();
        }
    }

    /** No new streams here: the origin forgets this session, and queued checks go elsewhere. */
    private void goingAway() {
        if (!closing) {
            closing = true;
            origin.lost(this);
        }
    }

    private void reroute() {
        Exchange next;
        while ((next = queued.pollFirst()) != null) {
            next.route();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        lastReadNanos = System.nanoTime();
        super.channelRead(ctx, msg);
    }

    /**
     * A stream started at {@code startNanos} was given up (its check timed out or was cancelled) and the server sent
     * nothing at all on this connection since: the peer may be gone without a reset (a host powered off, a
     * dropped route), and nothing else would notice for the ~15 minutes TCP takes to give up, while every check of
     * the origin timed out on it. So the connection is asked for a PING; if nothing at all comes back within
     * {@link #PING_TIMEOUT_MILLIS}, it is closed, as a timed-out HTTP/1.1 connection is: its other streams fail and
     * are asked once more on a new one (idempotent methods), and the next checks open a new connection. A server
     * that is merely slow to answer one request acknowledges the PING and keeps the connection.
     */
    private void abandonedSilently(long startNanos) {
        if (lastReadNanos - startNanos >= 0 || pinging || !context.channel().isActive()) {
            return;
        }
        pinging = true;
        long sentNanos = System.nanoTime();
        encoder().writePing(context, false, sentNanos, context.newPromise());
        flush(context);
        context.executor().schedule(() -> {
            pinging = false;
            if (lastReadNanos - sentNanos < 0 && context.channel().isActive()) {
                goingAway();
                context.close();
            }
        }, PING_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The server closed the connection, or it failed: every open stream fails (or is retried once). */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        goingAway();
        failAll(new IOException("the server closed the connection before the answer was complete"), false);
        reroute();
        super.channelInactive(ctx);
    }

    /**
     * A failure that is not HTTP/2's (a connection reset by the server, a TLS error): its streams fail with it, and
     * the connection closes. {@link Http2ConnectionHandler} handles only HTTP/2 errors and passes the others on;
     * this is the last handler, so they reached the pipeline's tail, where Netty logs them at WARN with "reached
     * at the tail of the pipeline", once per failed connection (hostile F6). The check's verdict says it already.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            super.exceptionCaught(ctx, cause);
            return;
        }
        goingAway();
        failAll(cause, false);
        reroute();
        ctx.close();
    }

    @Override
    protected void onConnectionError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
            Http2Exception http2Ex) {
        goingAway();
        failAll(cause, true);
        reroute();
        super.onConnectionError(ctx, outbound, cause, http2Ex);
    }

    @Override
    protected void onStreamError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
            Http2Exception.StreamException streamException) {
        // resets the stream (a malformed answer, headers over our limit)
        super.onStreamError(ctx, outbound, cause, streamException);
        Stream stream = streams.remove(streamException.streamId());
        if (stream != null) {
            stream.ended = true;
            stream.exchange.onProtocolError(stream, cause);
        }
    }

    private void failAll(Throwable cause, boolean protocol) {
        if (streams.isEmpty()) {
            return;
        }
        List<Stream> open = new ArrayList<>(streams.values());
        streams.clear();
        for (Stream stream : open) {
            stream.ended = true;
            if (protocol) {
                stream.exchange.onProtocolError(stream, cause);
            } else {
                stream.exchange.onConnectionFailed(stream, cause);
            }
        }
    }

    /**
     * Closes the connection once its last stream is done, when it takes no new ones. Checks whose deadline passed
     * while they waited in the queue count for nothing (review H4: they kept a worn-out or GOAWAY'd session open).
     */
    private void closeIfIdle() {
        while (!queued.isEmpty() && queued.peekFirst().isDone()) {
            queued.pollFirst();
        }
        if (closing && streams.isEmpty() && queued.isEmpty() && context.channel().isOpen()) {
            context.close();
        }
    }

    /** The origin closed: no new streams, and the connection closes once the open ones are done. */
    void shutdown() {
        goingAway();
        reroute();
        closeIfIdle();
    }

    private void ended(Stream stream) {
        streams.remove(stream.id);
        used = true;
        closeIfIdle();
    }

    /** The frames the server sends, as calls. */
    private final class Frames extends Http2FrameAdapter {
        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                short weight, boolean exclusive, int streamDependency, boolean endOfStream) throws Http2Exception {
            onHeadersRead(ctx, streamId, headers, padding, endOfStream);
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                boolean endOfStream) throws Http2Exception {
            Stream stream = streams.get(streamId);
            if (stream == null) {
                return;
            }
            if (endOfStream) {
                stream.ended = true;
            }
            if (stream.head) {
                // trailers: the answer ends here
                if (endOfStream) {
                    stream.exchange.onContent(stream, Unpooled.EMPTY_BUFFER, true);
                }
                return;
            }
            HttpResponse response = HttpConversionUtil.toHttpResponse(streamId, headers, false);
            boolean informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
            stream.head = !informational;
            stream.exchange.onHead(stream, response);
            // an informational answer (103 Early Hints) has no body: it ends before the real one, as over HTTP/1.1
            if (informational || endOfStream) {
                stream.exchange.onContent(stream, Unpooled.EMPTY_BUFFER, true);
            }
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                boolean endOfStream) {
            int processed = data.readableBytes() + padding;
            Stream stream = streams.get(streamId);
            if (stream != null) {
                if (endOfStream) {
                    stream.ended = true;
                }
                stream.exchange.onContent(stream, data, endOfStream);
            }
            return processed;
        }

        @Override
        public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
            Stream stream = streams.remove(streamId);
            if (stream == null) {
                return;
            }
            stream.ended = true;
            Http2Error error = Http2Error.valueOf(errorCode);
            String name = error == null ? "error " + errorCode : error.name();
            IOException cause = new IOException("the server reset the HTTP/2 stream (" + name + ")");
            if (error == Http2Error.REFUSED_STREAM) {
                // the server did not process the request (RFC 9113 8.7): safe to ask again
                stream.exchange.onRefused(stream, cause);
            } else {
                stream.exchange.onReset(stream, cause);
            }
        }

        @Override
        public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
            goingAway();
            // streams above the last one the server will process were not processed: asked again elsewhere
            List<Stream> refused = new ArrayList<>();
            for (Stream stream : streams.values()) {
                if (stream.id > lastStreamId) {
                    refused.add(stream);
                }
            }
            for (Stream stream : refused) {
                streams.remove(stream.id);
                stream.ended = true;
                stream.exchange.onRefused(stream, new IOException("the server closed the HTTP/2 connection"
                        + " (GOAWAY) without answering"));
            }
            reroute();
            closeIfIdle();
        }

        @Override
        public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
            // the stream limit may have grown
            startQueued();
        }
    }

    /** One check's stream. */
    static final class Stream implements Carrier, ChannelFutureListener {
        private final Http2Session session;
        final int id;
        final Exchange exchange;
        private final long startNanos = System.nanoTime();
        // the final (non-1xx) head was read
        private boolean head;
        // the server ended the stream, or it was reset: nothing to reset
        private boolean ended;
        private boolean done;

        Stream(Http2Session session, int id, Exchange exchange) {
            this.session = session;
            this.id = id;
            this.exchange = exchange;
        }

        @Override
        public void release(boolean keepAlive) {
            if (!ended) {
                // the body went over the limit: stop the server sending the rest
                abandon();
                return;
            }
            if (!done) {
                done = true;
                session.ended(this);
            }
        }

        @Override
        public void abandon() {
            if (done) {
                return;
            }
            done = true;
            if (!ended && session.context.channel().isActive()) {
                ended = true;
                session.resetStream(session.context, id, Http2Error.CANCEL.code(), session.context.voidPromise());
                session.flush(session.context);
                session.ended(this);
                session.abandonedSilently(startNanos);
                return;
            }
            session.ended(this);
        }

        @Override
        public SSLSession tlsSession() {
            return session.tls;
        }

        @Override
        public String version() {
            return "2";
        }

        /** A write of this stream's request failed: the connection is broken. */
        @Override
        public void operationComplete(ChannelFuture future) {
            if (!future.isSuccess() && !done) {
                done = true;
                ended = true;
                session.streams.remove(id);
                exchange.onConnectionFailed(this, future.cause());
            }
        }
    }
}
