package io.aegis.checkers.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.ProtocolException;

/**
 * Looks at the first bytes of an https connection that offered only HTTP/1.1 ({@code http2: false}). A server
 * whose ALPN list shares nothing with ours may complete the handshake with no protocol chosen (OpenSSL's default;
 * the JDK refuses such a handshake) and speak HTTP/2 anyway: its first frame, SETTINGS, then reached the HTTP/1.1
 * decoder and the check failed with a parser's words ("Line Feed must be preceded by Carriage Return", hostile
 * F7). This says what happened instead. It removes itself with the first bytes, so an answer costs nothing more.
 */
final class Http2Sniffer extends ChannelInboundHandlerAdapter {
    static final String SPEAKS_HTTP2 = "the server answered in HTTP/2 (its first bytes are an HTTP/2 SETTINGS"
            + " frame), but http2: false offers only HTTP/1.1 and the TLS handshake chose no protocol (ALPN):"
            + " remove http2: false to check it over HTTP/2";

    /** The largest SETTINGS payload we take for one: 6 bytes a setting, and RFC 9113 defines 7 of them. */
    private static final int MAX_SETTINGS_LENGTH = 16 * 6;

    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
        context.pipeline().remove(this);
        if (message instanceof ByteBuf && startsWithSettingsFrame((ByteBuf) message) && noProtocolChosen(context)) {
            ReferenceCountUtil.release(message);
            context.fireExceptionCaught(new ProtocolException(SPEAKS_HTTP2));
            return;
        }
        context.fireChannelRead(message);
    }

    private static boolean noProtocolChosen(ChannelHandlerContext context) {
        SslHandler tls = context.pipeline().get(SslHandler.class);
        String chosen = tls == null ? null : tls.engine().getApplicationProtocol();
        return tls != null && (chosen == null || chosen.isEmpty());
    }

    /**
     * Whether {@code bytes} start with the frame header of a SETTINGS frame (RFC 9113 4.1, 6.5): type 4 on stream 0,
     * no flag but ACK, a payload of whole settings. An HTTP/1.1 answer starts with {@code HTTP/}, whose first three
     * bytes as a length are far over any SETTINGS frame.
     */
    static boolean startsWithSettingsFrame(ByteBuf bytes) {
        if (bytes.readableBytes() < 9) {
            return false;
        }
        int at = bytes.readerIndex();
        int length = bytes.getUnsignedMedium(at);
        return bytes.getByte(at + 3) == 0x4 && (bytes.getByte(at + 4) & ~0x1) == 0 && bytes.getInt(at + 5) == 0
                && length % 6 == 0 && length <= MAX_SETTINGS_LENGTH;
    }
}
