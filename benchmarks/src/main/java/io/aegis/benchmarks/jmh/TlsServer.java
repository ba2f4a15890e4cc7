package io.aegis.benchmarks.jmh;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;

/**
 * An HTTPS server on loopback for {@link CheckerBenchmark}: one Netty NIO thread, a self-signed EC certificate
 * made by {@code keytool}, ALPN {@code h2} and {@code http/1.1}; answers every request 200 with a short body.
 */
final class TlsServer implements AutoCloseable {
    private static final String PASSWORD = "changeit";
    private static final byte[] BODY = "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8);

    private final Path keys;
    /** The name prefix of the server's one thread, so that its CPU can be told apart from the client's. */
    static final String THREAD = "bench-tls-server";

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            new io.netty.util.concurrent.DefaultThreadFactory(THREAD, true), NioIoHandler.newFactory());
    private final Channel listener;

    TlsServer() throws Exception {
        keys = Files.createTempDirectory("aegis-bench-tls");
        Path keyStore = keys.resolve("ks.p12");
        keytool("-genkeypair", "-alias", "s", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "san=ip:127.0.0.1", "-validity", "30", "-storetype", "PKCS12", "-keystore",
                keyStore.toString(), "-storepass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "s", "-keystore", keyStore.toString(), "-storepass", PASSWORD,
                "-file", caFile().toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, PASSWORD.toCharArray());
        SslContext tls = SslContextBuilder.forServer(keyManagers).sslProvider(SslProvider.JDK)
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2", "http/1.1"))
                .build();
        listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(tls.newHandler(channel.alloc()),
                                new ApplicationProtocolNegotiationHandler("http/1.1") {
                                    @Override
                                    protected void configurePipeline(ChannelHandlerContext context, String protocol) {
                                        if (protocol.equals("h2")) {
                                            context.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(),
                                                    new Http2Answers());
                                        } else {
                                            context.pipeline().addLast(new HttpServerCodec(),
                                                    new HttpObjectAggregator(64 * 1024), new Http1Answers());
                                        }
                                    }
                                });
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    /** CPU time of the server's thread so far. */
    static long serverCpuNanos() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long total = 0;
        for (java.lang.management.ThreadInfo thread : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (thread != null && thread.getThreadName().startsWith(THREAD)) {
                total += Math.max(0, threads.getThreadCpuTime(thread.getThreadId()));
            }
        }
        return total;
    }

    int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    Path caFile() {
        return keys.resolve("ca.pem");
    }

    @Override
    public void close() throws IOException {
        listener.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(keys)) {
            walk.sorted(Comparator.reverseOrder()).forEach(files::add);
        }
        for (Path file : files) {
            Files.deleteIfExists(file);
        }
    }

    private static void keytool(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool " + arguments[0] + " failed: " + output);
        }
    }

    private static final class Http2Answers extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            try {
                if (message instanceof Http2HeadersFrame && ((Http2HeadersFrame) message).isEndStream()) {
                    Http2HeadersFrame request = (Http2HeadersFrame) message;
                    context.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                            .set("content-type", "application/json")).stream(request.stream()));
                    context.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(BODY), true)
                            .stream(request.stream()));
                }
            } finally {
                ReferenceCountUtil.release(message);
            }
        }
    }

    private static final class Http1Answers extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            ReferenceCountUtil.release(message);
            ByteBuf body = Unpooled.wrappedBuffer(BODY);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, BODY.length);
            context.writeAndFlush(response);
        }
    }
}
