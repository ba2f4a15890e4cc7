package io.aegis.runtimes.docker;

import io.aegis.plugin.support.DaemonThreadFactory;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A Unix socket in front of the test's Docker engine that can be taken down and brought up again, as a dockerd that
 * restarts: down, the socket is gone and every connection through it (the event stream too) is cut.
 */
final class EngineProxy implements AutoCloseable {
    private final Path socket;
    private final UnixDomainSocketAddress target;
    private final ExecutorService threads = Executors.newCachedThreadPool(new DaemonThreadFactory("test-engine-proxy"));
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private volatile ServerSocketChannel server;

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
                threads.execute(() -> pump(client, engine));
                threads.execute(() -> pump(engine, client));
            } catch (IOException e) {
                return; // closed by down()
            }
        }
    }

    private void pump(SocketChannel from, SocketChannel to) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
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
