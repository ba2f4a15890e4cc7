package io.aegis.checkers.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The last handler of a new https connection that offers {@code h2}, until the TLS handshake says which
 * protocol the server picked (ALPN): then it puts an {@link Http2Session}, or the HTTP/1.1 decoder and
 * {@link Connection}, in its place and hands over what was read meanwhile. Runs on the origin's loop only.
 *
 * <p>The request waits for the handshake (over HTTP/1.1 without ALPN it is written at once and the TLS
 * handler holds it), because its encoding depends on the protocol.
 */
final class Negotiation extends ChannelInboundHandlerAdapter {
    private enum Outcome { PENDING, HTTP2, HTTP1, FAILED }

    private final Connection connection;
    private final Http2Origin origin;
    private Exchange owner;
    // the HTTP/2 session installed by the handshake, if ALPN picked h2
    private Http2Session session;
    private Outcome outcome = Outcome.PENDING;
    private Throwable failure;
    private List<Object> early;

    Negotiation(Connection connection, Http2Origin origin) {
        this.connection = connection;
        this.origin = origin;
    }

    /** The HTTP/1.1 connection this becomes if the server does not pick h2. */
    Connection connection() {
        return connection;
    }

    /** {@code exchange} opened this connection (it is connected): it is sent once the protocol is known. */
    void await(Exchange exchange) {
        owner = exchange;
        if (outcome != Outcome.PENDING) {
            handOver();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
        // the server's first bytes (its SETTINGS) can come with the end of the handshake
        if (early == null) {
            early = new ArrayList<>(2);
        }
        early.add(message);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object event) {
        if (!(event instanceof SslHandshakeCompletionEvent) || outcome != Outcome.PENDING) {
            context.fireUserEventTriggered(event);
            return;
        }
        SslHandshakeCompletionEvent handshake = (SslHandshakeCompletionEvent) event;
        if (!handshake.isSuccess()) {
            fail(context, handshake.cause());
            return;
        }
        SslHandler tls = context.pipeline().get(SslHandler.class);
        String protocol = tls.engine().getApplicationProtocol();
        session = null;
        if ("h2".equals(protocol)) {
            session = Http2Session.create(origin, tls.engine().getSession());
            context.pipeline().addAfter(context.name(), null, session);
            outcome = Outcome.HTTP2;
        } else {
            context.pipeline().addAfter(context.name(), null, connection);
            context.pipeline().addAfter(context.name(), null, connection.decoder());
            outcome = Outcome.HTTP1;
        }
        // the new handlers see the handshake end (the connection keeps its TLS session) and what came with it
        context.fireUserEventTriggered(event);
        List<Object> read = early;
        early = null;
        if (read != null) {
            for (Object message : read) {
                context.fireChannelRead(message);
            }
            context.fireChannelReadComplete();
        }
        context.pipeline().remove(this);
        if (session != null) {
            origin.negotiated(this, session);
        } else {
            origin.negotiatedHttp1(this);
        }
        handOver();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        fail(context, cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        fail(context, new IOException("the server closed the connection before the answer was complete"));
        context.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext context) {
        if (outcome == Outcome.PENDING) {
            // the channel was closed before it was even active (a failed connect): nothing will follow
            fail(context, new IOException("the connection closed before its TLS handshake"));
        }
        release();
    }

    private void fail(ChannelHandlerContext context, Throwable cause) {
        if (outcome != Outcome.PENDING) {
            return;
        }
        outcome = Outcome.FAILED;
        failure = cause;
        release();
        context.channel().close();
        origin.failed(this);
        handOver();
    }

    private void release() {
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
    }

    /** Sends the owner's request the way the server picked, or fails it. */
    private void handOver() {
        Exchange exchange = owner;
        if (exchange == null) {
            return;
        }
        owner = null;
        switch (outcome) {
            case HTTP2:
                if (session.open()) {
                    exchange.route();
                } else {
                    // GOAWAY with the server's first frames, or the origin closed meanwhile: routing again would open
                    // connection after connection until the deadline; the check fails (an idempotent one is retried
                    // once, like any lost connection)
                    exchange.onConnectionFailed(connection, new IOException(
                            "the server closed the HTTP/2 connection (GOAWAY) right after the handshake"));
                }
                break;
            case HTTP1:
                exchange.sendFresh(connection);
                break;
            default:
                exchange.onConnectionFailed(connection, failure);
                break;
        }
    }
}
