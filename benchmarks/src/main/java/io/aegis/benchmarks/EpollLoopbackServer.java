package io.aegis.benchmarks;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link LoopbackServer}'s out-of-process mode on Netty's native epoll transport, where it loads: the same answers,
 * the same {@code STATS} line, one event-loop thread. At a new connection per request the JDK selector's
 * per-connection work (registering, the key set, deferred deregistration at close) cost ~80 µs of CPU per
 * connection against ~25 µs for a plain epoll server in C on this kind of machine; at 10,000 connects/s that was
 * most of a core taken from the two the fleet's aegis runs on. The blackbox_exporter peer row is served by the
 * same server, so both sides get the cheaper one.
 */
final class EpollLoopbackServer {
    private static final ByteBuf KEEP = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(
            LoopbackServer.KEEP));
    private static final ByteBuf CLOSE = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(
            LoopbackServer.CLOSE));

    // only touched on the one loop thread
    private long accepted;
    private long served;
    private long acceptFailures;
    private int open;
    private int peakOpen;
    private int peakFds;

    private EpollLoopbackServer() {
    }

    static boolean available() {
        try {
            return Epoll.isAvailable();
        } catch (LinkageError e) {
            return false;
        }
    }

    /** Binds {@code portCount} loopback ports, prints {@code PORTS ...}, serves until {@code deadlineNanos}. */
    static void serve(int portCount, boolean close, long deadlineNanos) throws InterruptedException {
        new EpollLoopbackServer().run(portCount, close, deadlineNanos);
    }

    private void run(int portCount, boolean close, long deadlineNanos) throws InterruptedException {
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            ServerBootstrap bootstrap = new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .handler(new Listener())
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<EpollSocketChannel>() {
                        @Override
                        protected void initChannel(EpollSocketChannel channel) {
                            channel.pipeline().addLast(new Answer(close));
                        }
                    });
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < portCount; i++) {
                Channel listener = bootstrap.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
                ports.add(((InetSocketAddress) listener.localAddress()).getPort());
            }
            StringBuilder line = new StringBuilder("PORTS ");
            for (int i = 0; i < ports.size(); i++) {
                line.append(i == 0 ? "" : ",").append(ports.get(i));
            }
            System.out.println(line);
            System.out.flush();
            loop.next().scheduleAtFixedRate(this::report, 1, 1, TimeUnit.SECONDS);
            long left = deadlineNanos - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.sleep(left);
            }
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private void report() {
        int fds = LoopbackServer.openDescriptors();
        peakFds = Math.max(peakFds, fds);
        System.out.printf("STATS accepted=%d served=%d accept_failures=%d open=%d peak_open=%d fds=%d"
                + " peak_fds=%d%n", accepted, served, acceptFailures, open, peakOpen, fds, peakFds);
        System.out.flush();
    }

    /** On each listener: counts accepts and failed accepts (Netty keeps the listener and retries a second later). */
    @ChannelHandler.Sharable
    private final class Listener extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext context, Object child) {
            accepted++;
            context.fireChannelRead(child);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            acceptFailures++;
            if (acceptFailures <= 3 || acceptFailures % 1000 == 0) {
                System.err.println("accept failed (" + acceptFailures + " so far): " + cause + "; the listener is kept");
            }
            // not passed on: the acceptor behind this handler would log every one; Netty keeps the listener open
        }
    }

    /** One connection: answers 200 to each request (its end is the blank line), and closes after it in close mode. */
    private final class Answer extends ChannelInboundHandlerAdapter {
        private final boolean close;
        private int matched;

        Answer(boolean close) {
            this.close = close;
        }

        @Override
        public void channelActive(ChannelHandlerContext context) {
            peakOpen = Math.max(peakOpen, ++open);
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            open--;
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            ByteBuf in = (ByteBuf) message;
            int requests = 0;
            try {
                for (int i = in.readerIndex(), end = in.writerIndex(); i < end; i++) {
                    byte b = in.getByte(i);
                    if ((matched % 2 == 0 && b == '\r') || (matched % 2 == 1 && b == '\n')) {
                        if (++matched == 4) {
                            requests++;
                            matched = 0;
                        }
                    } else {
                        matched = b == '\r' ? 1 : 0;
                    }
                }
            } finally {
                ReferenceCountUtil.release(in);
            }
            if (requests == 0) {
                return;
            }
            if (close) {
                served++;
                context.writeAndFlush(CLOSE.duplicate()).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            served += requests;
            for (int i = 0; i < requests; i++) {
                context.write(KEEP.duplicate(), context.voidPromise());
            }
            context.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            // a connection's error (reset by the client): only that connection is dropped
            context.close();
        }
    }
}
