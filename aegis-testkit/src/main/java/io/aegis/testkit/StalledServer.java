package io.aegis.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A server on loopback that accepts connections and never answers: the target that makes a plugin wait. It counts
 * the connections it accepted and those the client still holds open (a client's close is seen at once), so a test
 * can tell whether a timed-out or cancelled call let go of its connection. One thread, {@code aegis-testkit-stalled}.
 */
public final class StalledServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Thread thread;
    private final Object lock = new Object();
    private int accepted;
    private int open;
    private volatile boolean closed;

    private StalledServer() throws IOException {
        selector = Selector.open();
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        thread = new Thread(this::run, "aegis-testkit-stalled");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Starts one on 127.0.0.1, on a free port.
     *
     * @return the server, accepting connections and never answering; close it to stop it
     * @throws UncheckedIOException when it cannot listen on loopback
     */
    public static StalledServer start() {
        try {
            return new StalledServer();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on loopback", e);
        }
    }

    /** {@return where it listens} */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.socket().getLocalSocketAddress();
    }

    /** {@return the port it listens on} */
    public int port() {
        return address().getPort();
    }

    /** {@return the number of connections accepted so far} */
    public int accepted() {
        synchronized (lock) {
            return accepted;
        }
    }

    /** {@return the number of accepted connections the client has not closed} */
    public int open() {
        synchronized (lock) {
            return open;
        }
    }

    /**
     * Waits until at least {@code count} connections were accepted; false when {@code timeout} passed first.
     *
     * @param count how many connections, counted since the server started
     * @param timeout how long to wait at most
     * @return whether at least {@code count} connections were accepted within {@code timeout}
     * @throws InterruptedException when the calling thread is interrupted while it waits
     */
    public boolean awaitAccepted(int count, Duration timeout) throws InterruptedException {
        return awaitUntil(() -> accepted >= count, timeout);
    }

    /**
     * Waits until the client holds no connection open; false when {@code timeout} passed first.
     *
     * @param timeout how long to wait at most
     * @return whether the client had closed every connection it opened within {@code timeout} (at once when it
     *     opened none)
     * @throws InterruptedException when the calling thread is interrupted while it waits
     */
    public boolean awaitNoneOpen(Duration timeout) throws InterruptedException {
        return awaitUntil(() -> open == 0, timeout);
    }

    private boolean awaitUntil(java.util.function.BooleanSupplier condition, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    private void run() {
        ByteBuffer sink = ByteBuffer.allocate(4096);
        try {
            while (!closed) {
                selector.select();
                for (SelectionKey key : selector.selectedKeys()) {
                    if (key.isAcceptable()) {
                        SocketChannel client = server.accept();
                        if (client != null) {
                            client.configureBlocking(false);
                            client.register(selector, SelectionKey.OP_READ);
                            changed(+1, +1);
                        }
                    } else if (key.isReadable()) {
                        SocketChannel client = (SocketChannel) key.channel();
                        sink.clear();
                        int read;
                        try {
                            read = client.read(sink); // what the client sends is read and dropped, never answered
                        } catch (IOException reset) {
                            read = -1;
                        }
                        if (read < 0) {
                            key.cancel();
                            client.close();
                            changed(0, -1);
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            // the selector failed: nothing more to serve; the channels are closed below
        } finally {
            for (SelectionKey key : selector.keys()) {
                closeQuietly(key.channel());
            }
            closeQuietly(selector);
        }
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            // closing: nothing to do about it
        }
    }

    private void changed(int acceptedDelta, int openDelta) {
        synchronized (lock) {
            accepted += acceptedDelta;
            open += openDelta;
            lock.notifyAll();
        }
    }

    /** Closes every connection and stops listening. */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(server);
    }

    /**
     * An address on loopback where nothing listens: a connect is refused at once. The port is one of
     * {@link LoopbackPorts}: below the kernel's ephemeral range, so no port-0 listener of another test takes it
     * meanwhile.
     *
     * @return a loopback address and a port where nothing listens
     * @throws IllegalStateException when no port of that range is free
     */
    public static InetSocketAddress refusedAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), LoopbackPorts.free());
    }
}
