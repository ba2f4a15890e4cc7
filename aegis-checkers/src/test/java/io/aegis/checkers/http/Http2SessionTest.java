package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One HTTP/2 session driven frame by frame on an embedded channel, for states a real server reaches rarely. */
class Http2SessionTest {
    private final HttpCheckerFactory factory = new HttpCheckerFactory();
    private final List<Exchange> exchanges = new ArrayList<>();

    @AfterEach
    void close() {
        exchanges.forEach(exchange -> exchange.cancel(false));
        factory.close();
    }

    @Test
    void aSessionWhoseStreamIdsRanOutClosesOnceItsLastStreamEndsThoughChecksWereQueued() throws Exception {
        // Review H4: the queued checks were routed elsewhere after the session had looked for idleness, so a
        // worn-out session (2^30 streams) stayed open with nothing on it until the server closed it.
        HttpChecker checker = (HttpChecker) factory.create(HttpCheckerTest.spec("https://127.0.0.1:9/health",
                Map.of(), Duration.ofSeconds(30)));
        Http2Session session = Http2Session.create(checker.origin().h2, null);
        EmbeddedChannel channel = new EmbeddedChannel(session);
        // the last stream id but one was used: the next stream gets the last id, the one after needs a new connection
        session.connection().local().createStream(Integer.MAX_VALUE - 2, true).close();
        Exchange last = exchange(checker);
        assertThat(session.start(last)).isTrue();
        // the server allows one stream at a time: two checks wait in the queue
        channel.writeInbound(frame((writer, context) -> writer.writeSettings(context,
                new Http2Settings().maxConcurrentStreams(1), context.newPromise())));
        assertThat(session.start(exchange(checker))).isTrue();
        assertThat(session.start(exchange(checker))).isTrue();

        // the answer of the last stream: its slot frees, the first queued check finds no stream id left
        channel.writeInbound(frame((writer, context) -> writer.writeHeaders(context, Integer.MAX_VALUE,
                new DefaultHttp2Headers().status("200"), 0, true, context.newPromise())));

        assertThat(last).isDone();
        assertThat(channel.isOpen()).as("the worn-out connection is open").isFalse();
    }

    private Exchange exchange(HttpChecker checker) {
        Exchange exchange = new Exchange(checker, checker.origin(), System.nanoTime(), Duration.ofSeconds(30));
        exchanges.add(exchange);
        return exchange;
    }

    /** The bytes of a frame from the server. */
    private static ByteBuf frame(FrameWrite write) throws Exception {
        EmbeddedChannel encoder = new EmbeddedChannel(new io.netty.channel.ChannelOutboundHandlerAdapter());
        ChannelHandlerContext context = encoder.pipeline().firstContext();
        write.write(new DefaultHttp2FrameWriter(), context);
        encoder.flush();
        ByteBuf out = UnpooledByteBufAllocator.DEFAULT.buffer();
        for (Object written = encoder.readOutbound(); written != null; written = encoder.readOutbound()) {
            ByteBuf part = (ByteBuf) written;
            out.writeBytes(part);
            part.release();
        }
        encoder.finishAndReleaseAll();
        return out;
    }

    @FunctionalInterface
    private interface FrameWrite {
        void write(DefaultHttp2FrameWriter writer, ChannelHandlerContext context) throws Exception;
    }
}
