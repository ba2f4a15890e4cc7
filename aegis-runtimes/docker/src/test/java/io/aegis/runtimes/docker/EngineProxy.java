package io.aegis.runtimes.docker;

import io.aegis.plugin.support.DaemonThreadFactory;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A Unix socket in front of the test's Docker engine that can be taken down and brought up again, as a dockerd that
 * restarts: down, the socket is gone and every connection through it (the event stream too) is cut. It can also
 * answer one request with an engine error, as a dockerd in a bad state does.
 */
final class EngineProxy implements AutoCloseable {
    private final Path socket;
    private final UnixDomainSocketAddress target;
    private final ExecutorService threads = Executors.newCachedThreadPool(new DaemonThreadFactory("test-engine-proxy"));
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private volatile ServerSocketChannel server;
    /** A canned answer for the next request whose request line contains {@code failing[0]}; null when none. */
    private final java.util.concurrent.atomic.AtomicReference<String[]> failing =
            new java.util.concurrent.atomic.AtomicReference<>();

    /** {@code dockerHost} must be a {@code unix://} address. */
    EngineProxy(Path directory, String dockerHost) throws IOException {
        this.socket = directory.resolve("proxy.sock");
        this.target = UnixDomainSocketAddress.of(dockerHost.substring("unix://".length()));
        up();
    }

    /** The address to give the runtime. */
    String host() {
        return "unix://" + socket;
    }

    /** Listens again, at the same path. */
    synchronized void up() throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel listening = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listening.bind(UnixDomainSocketAddress.of(socket));
        server = listening;
        threads.execute(() -> accept(listening));
    }

    /**
     * Answers the next request whose request line contains {@code requestLinePart} with HTTP 500 and the engine's
     * error body for {@code message}, instead of passing it on.
     */
    void failNext(String requestLinePart, String message) {
        failing.set(new String[] {requestLinePart, message});
    }

    /** Stops listening, removes the socket and cuts every connection. */
    synchronized void down() throws IOException {
        ServerSocketChannel listening = server;
        server = null;
        if (listening != null) {
            listening.close();
        }
        Files.deleteIfExists(socket);
        for (SocketChannel channel : open) {
            closeQuietly(channel);
        }
        open.clear();
    }

    private void accept(ServerSocketChannel listening) {
        while (listening.isOpen()) {
            try {
                SocketChannel client = listening.accept();
                SocketChannel engine = SocketChannel.open(target);
                open.add(client);
                open.add(engine);
                threads.execute(() -> pump(client, engine, true));
                threads.execute(() -> pump(engine, client, false));
            } catch (IOException e) {
                return; // closed by down()
            }
        }
    }

    private void pump(SocketChannel from, SocketChannel to, boolean requests) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                String[] failure = requests ? failing.get() : null;
                if (failure != null && requestLine(buffer).contains(failure[0])
                        && failing.compareAndSet(failure, null)) {
                    // A request without a body arrives in one read: answered here, never passed on.
                    byte[] body = ("{\"message\":\"" + failure[1] + "\"}\n").getBytes(StandardCharsets.UTF_8);
                    byte[] head = ("HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
                    from.write(ByteBuffer.wrap(head));
                    from.write(ByteBuffer.wrap(body));
                    buffer.clear();
                    continue;
                }
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
        } catch (IOException e) {
            // cut by down(), or by the other side
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private static String requestLine(ByteBuffer buffer) {
        String start = new String(buffer.array(), 0, Math.min(buffer.limit(), 512), StandardCharsets.ISO_8859_1);
        int end = start.indexOf('\r');
        return end < 0 ? start : start.substring(0, end);
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // closing a cut connection
        }
    }

    @Override
    public void close() throws IOException {
        down();
        threads.shutdownNow();
    }
}
