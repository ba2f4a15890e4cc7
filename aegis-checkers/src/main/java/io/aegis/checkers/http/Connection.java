package io.aegis.checkers.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import javax.net.ssl.SSLSession;

/**
 * One HTTP/1.1 connection: the last handler of its channel's pipeline, carrying at most one exchange at a
 * time. Runs on its origin's event loop only.
 */
final class Connection extends ChannelInboundHandlerAdapter implements Carrier {
    private final Origin origin;
    private final Channel channel;
    private final Decoder decoder = new Decoder();
    private Exchange exchange;
    private SSLSession tlsSession;

    Connection(Origin origin, Channel channel) {
        this.origin = origin;
        this.channel = channel;
    }

    Channel channel() {
        return channel;
    }

    Origin origin() {
        return origin;
    }

    HttpResponseDecoder decoder() {
        return decoder;
    }

    /** The TLS session once the handshake is done; null over plain HTTP. */
    @Override
    public SSLSession tlsSession() {
        return tlsSession;
    }

    @Override
    public String version() {
        return "1.1";
    }

    /** Sends {@code request} for {@code next}, which from now on receives what this connection reads. */
    void send(Exchange next, ByteBuf request, boolean head) {
        exchange = next;
        decoder.head = head;
        // a void promise: a failed write reaches exceptionCaught, which fails (or retries) the exchange
        channel.writeAndFlush(request, channel.voidPromise());
    }

    /** Forgets the current exchange and closes the connection: the exchange ended without it (deadline, cancel). */
    public void abandon() {
        exchange = null;
        channel.close();
    }

    /** The exchange got its whole answer: back to the pool when the server keeps the connection alive. */
    public void release(boolean keepAlive) {
        exchange = null;
        // Bytes after the answer (a body sent with a HEAD answer, a second answer) would be read as the start of
        // the next one: such a connection is not used again.
        if (keepAlive && !heldBytes()) {
            origin.offer(this);
        } else {
            channel.close();
        }
    }

    /** Whether the decoder holds bytes no answer asked for (read after the last answer, not yet a message). */
    boolean heldBytes() {
        return decoder.heldBytes() > 0;
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
        Exchange current = exchange;
        try {
            if (current == null) {
                // nothing was asked: a server that talks out of turn cannot be trusted with the next request
                channel.close();
            } else if (message instanceof HttpResponse) {
                current.onHead(this, (HttpResponse) message);
            } else if (message instanceof HttpContent) {
                HttpContent content = (HttpContent) message;
                if (content.decoderResult().isFailure()) {
                    current.onProtocolError(this, content.decoderResult().cause());
                } else {
                    current.onContent(this, content.content(), content instanceof LastHttpContent);
                }
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object event) {
        if (event instanceof SslHandshakeCompletionEvent) {
            SslHandshakeCompletionEvent handshake = (SslHandshakeCompletionEvent) event;
            if (handshake.isSuccess()) {
                tlsSession = context.pipeline().get(SslHandler.class).engine().getSession();
            } else {
                failed(handshake.cause());
            }
        } else if (event instanceof SslCloseCompletionEvent) {
            // The server ended TLS (close_notify) but may not close TCP: `openssl s_server -www` waits for the
            // client to. An answer whose body ends with the connection (HTTP/1.0, no Content-Length) is complete
            // only when the channel closes, and nothing more can come after close_notify: close it, and the
            // decoder ends the body.
            context.close();
        }
        context.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        failed(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        failed(new IOException("the server closed the connection before the answer was complete"));
        context.fireChannelInactive();
    }

    private void failed(Throwable cause) {
        Exchange current = exchange;
        exchange = null;
        channel.close();
        if (current != null) {
            current.onConnectionFailed(this, cause);
        }
    }

    /**
     * The response decoder, told per request whether the answer has a body: the answer to HEAD carries the
     * Content-Length of the body it does not send.
     */
    static final class Decoder extends HttpResponseDecoder {
        boolean head;

        Decoder() {
            // headers up to 64 KiB: health endpoints behind proxies can carry many cookies and tracing headers
            super(new HttpDecoderConfig().setMaxHeaderSize(64 * 1024).setMaxInitialLineLength(8 * 1024));
        }

        int heldBytes() {
            return actualReadableBytes();
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage message) {
            return head || super.isContentAlwaysEmpty(message);
        }
    }
}
