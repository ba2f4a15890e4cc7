package io.aegis.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.StringJoiner;

/**
 * The fleet's health endpoints: one process, one selector thread, many loopback ports, any path answers
 * {@code 200 OK}. Cheaper per request than the JDK's HttpServer (no thread hand-off, no header map), so the
 * fleet scenario measures aegis, not the server.
 *
 * <p>{@code java ... LoopbackServer <ports> [close] [maxSeconds]}: prints {@code PORTS p1,p2,...}, serves
 * until its stdin closes (the driver ended) or {@code maxSeconds} pass, and prints {@code STATS ...} every second
 * (connections accepted, requests served, failed accepts, open and peak descriptors); a byte on its stdin asks for
 * one more line at once, marked {@code requested=1}, so the driver can read counts that cover what it just ran
 * without waiting for the next second. With {@code close} every
 * response ends its connection, so every HTTP check opens a new one (as blackbox_exporter and kubelet probe).
 * A failed accept (out of descriptors) never closes a listener: the connection waits in the kernel's queue.
 */
public final class LoopbackServer {
    private static final byte[] KEEP = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
            + "Connection: close\r\n\r\nOK").getBytes(StandardCharsets.US_ASCII);

    /** Per connection: how far into "\r\n\r\n" the request bytes are, and output not yet written. */
    private static final class Conn {
        int matched;
        ByteBuffer pending;
        boolean closeAfterWrite;
    }

    private final Selector selector;
    private final List<Integer> ports = new ArrayList<>();
    private final boolean close;
    private volatile boolean closed;

    private LoopbackServer(int portCount, boolean close) throws IOException {
        this.close = close;
        this.selector = Selector.open();
        for (int i = 0; i < portCount; i++) {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            ports.add(((InetSocketAddress) server.getLocalAddress()).getPort());
        }
    }

    /** Binds {@code portCount} loopback ports; {@link #serve} answers on them. */
    public static LoopbackServer open(int portCount, boolean close) throws IOException {
        return new LoopbackServer(portCount, close);
    }

    public List<Integer> ports() {
        return ports;
    }

    /** Serves in a daemon thread (for in-JVM use: the JMH benchmarks); {@link #close} stops it. */
    public LoopbackServer startInBackground() {
        Thread thread = new Thread(() -> {
            try {
                serve(Long.MAX_VALUE);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "loopback-server");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /** Stops serving and closes every socket. */
    public void close() {
        closed = true;
        selector.wakeup();
    }

    public static void main(String[] args) throws IOException {
        int portCount = Integer.parseInt(args[0]);
        boolean close = args.length > 1 && args[1].equals("close");
        long maxSeconds = args.length > 2 ? Long.parseLong(args[2]) : 900;
        LoopbackServer server = open(portCount, close).reportStats();
        StringJoiner joined = new StringJoiner(",", "PORTS ", "");
        server.ports().forEach(port -> joined.add(Integer.toString(port)));
        System.out.println(joined);
        System.out.flush();
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    server.requestStats(); // end of stream means the driver is gone
                }
            } catch (IOException e) {
                // same
            }
            System.exit(0);
        }, "stdin-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        server.serve(System.nanoTime() + maxSeconds * 1_000_000_000L);
        System.exit(0);
    }

    /**
     * At most this many accepts per listener per wake-up: a burst on one port must not starve the reads and
     * closes of the connections already open (they free the descriptors the next accepts need).
     */
    private static final int ACCEPTS_PER_WAKEUP = 64;
    /** How long a listener whose accept failed (out of descriptors) is left out of the select. */
    private static final long ACCEPT_BACKOFF_NANOS = 10_000_000L;

    private volatile boolean reportStats;
    private volatile boolean statsRequested;

    /** Prints a {@code STATS ...} line on stdout every second while serving (the fleet scenario reads it). */
    public LoopbackServer reportStats() {
        reportStats = true;
        return this;
    }

    /** With {@link #reportStats}: prints one {@code STATS ... requested=1} line as soon as the serving thread wakes. */
    public void requestStats() {
        statsRequested = true;
        selector.wakeup();
    }

    /** Serves until {@link #close} or {@code deadlineNanos} (a {@link System#nanoTime()} value). */
    public void serve(long deadlineNanos) throws IOException {
        byte[] response = close ? CLOSE : KEEP;
        long accepted = 0;
        long acceptFailures = 0;
        long served = 0;
        int peakKeys = 0;
        int peakFds = 0;
        long nextReport = System.nanoTime() + 1_000_000_000L;
        // listeners left out of the select after a failed accept, and when each may accept again
        List<SelectionKey> backedOff = new ArrayList<>();
        List<Long> backedOffUntil = new ArrayList<>();
        ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
        while (!closed && System.nanoTime() - deadlineNanos < 0) {
            selector.select(backedOff.isEmpty() ? 1000 : 2);
            long now = System.nanoTime();
            for (int i = backedOff.size() - 1; i >= 0; i--) {
                if (now - backedOffUntil.get(i) >= 0) {
                    SelectionKey listener = backedOff.remove(i);
                    backedOffUntil.remove(i);
                    if (listener.isValid()) {
                        listener.interestOps(SelectionKey.OP_ACCEPT);
                    }
                }
            }
            peakKeys = Math.max(peakKeys, selector.keys().size());
            boolean requested = statsRequested;
            if (now - nextReport > 0 || requested) {
                statsRequested = false;
                int fds = openDescriptors();
                peakFds = Math.max(peakFds, fds);
                if (reportStats) {
                    // read by the fleet scenario: whether the server, not aegis, failed a connection
                    System.out.printf("STATS accepted=%d served=%d accept_failures=%d open=%d peak_open=%d fds=%d"
                            + " peak_fds=%d%s%n", accepted, served, acceptFailures, selector.keys().size(), peakKeys,
                            fds, peakFds, requested ? " requested=1" : "");
                    System.out.flush();
                }
                nextReport = now + 1_000_000_000L;
            }
            Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey key = keys.next();
                keys.remove();
                try {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        for (int n = 0; n < ACCEPTS_PER_WAKEUP; n++) {
                            SocketChannel channel;
                            try {
                                channel = ((ServerSocketChannel) key.channel()).accept();
                            } catch (IOException e) {
                                // Out of file descriptors at 10,000 connects/s: the connection waits in the kernel's
                                // accept queue and is taken once this listener is selected again, 10 ms from now
                                // (sooner would spin). Closing the listener here (the catch below) made its port
                                // refuse every later connect and reset the queued ones: the refused/reset TCP
                                // checks the fleet scenario used to report were this server's.
                                acceptFailures++;
                                if (acceptFailures <= 3 || acceptFailures % 1000 == 0) {
                                    System.err.println("accept failed (" + acceptFailures + " so far): " + e
                                            + "; the listener is kept");
                                }
                                key.interestOps(0);
                                backedOff.add(key);
                                backedOffUntil.add(System.nanoTime() + ACCEPT_BACKOFF_NANOS);
                                break;
                            }
                            if (channel == null) {
                                break;
                            }
                            accepted++;
                            try {
                                channel.configureBlocking(false);
                                channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                                channel.register(selector, SelectionKey.OP_READ, new Conn());
                            } catch (IOException e) {
                                channel.close(); // this connection only (the catch below would close the listener)
                            }
                        }
                        continue;
                    }
                    SocketChannel channel = (SocketChannel) key.channel();
                    Conn conn = (Conn) key.attachment();
                    if (key.isWritable()) {
                        flush(key, channel, conn);
                        continue;
                    }
                    in.clear();
                    int n = channel.read(in);
                    if (n < 0) {
                        channel.close();
                        continue;
                    }
                    in.flip();
                    int requests = 0;
                    while (in.hasRemaining()) {
                        byte b = in.get();
                        if ((conn.matched % 2 == 0 && b == '\r') || (conn.matched % 2 == 1 && b == '\n')) {
                            conn.matched++;
                            if (conn.matched == 4) {
                                requests++;
                                conn.matched = 0;
                            }
                        } else {
                            conn.matched = b == '\r' ? 1 : 0;
                        }
                    }
                    if (requests > 0) {
                        if (close) {
                            requests = 1;
                        }
                        served += requests;
                        ByteBuffer out = ByteBuffer.allocate(response.length * requests);
                        for (int i = 0; i < requests; i++) {
                            out.put(response);
                        }
                        out.flip();
                        conn.pending = out;
                        conn.closeAfterWrite = close;
                        flush(key, channel, conn);
                    }
                } catch (IOException e) {
                    // a connection's error (reset by the client): only that connection is dropped; accept errors
                    // are handled above and never get here, so a listener is never closed
                    key.cancel();
                    try {
                        key.channel().close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
            }
        }
        for (SelectionKey key : selector.keys()) {
            key.channel().close();
        }
        selector.close();
    }

    /** This process' open file descriptors (/proc/self/fd), or -1 where that cannot be read. */
    private static int openDescriptors() {
        String[] fds = new java.io.File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    private static void flush(SelectionKey key, SocketChannel channel, Conn conn) throws IOException {
        channel.write(conn.pending);
        if (conn.pending.hasRemaining()) {
            key.interestOps(SelectionKey.OP_WRITE);
            return;
        }
        conn.pending = null;
        if (conn.closeAfterWrite) {
            channel.close();
        } else {
            key.interestOps(SelectionKey.OP_READ);
        }
    }
}
