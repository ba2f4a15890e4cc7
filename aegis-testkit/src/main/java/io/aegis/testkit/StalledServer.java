package io.aegis.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server on loopback that accepts connections and never answers: the target that makes a plugin wait. It counts
 * the connections it accepted and those the client still holds open (a client's close is seen at once), so a test
 * can tell whether a timed-out or cancelled call let go of its connection, and it keeps what the clients sent.
 * One thread, {@code aegis-testkit-stalled}.
 *
 * <p>{@link #saying} and {@link #sayingThenClosing} make one that first says a few words on every connection (a
 * banner, half an answer, an answer in a protocol the client does not expect) and only then stalls, or hangs up.
 */
public final class StalledServer implements AutoCloseable {
    /** The pause between two of the chunks a {@link #saying} server writes, so that each arrives on its own. */
    static final Duration PAUSE = Duration.ofMillis(50);

    private final List<byte[]> script;
    private final boolean closeAfterScript;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Thread thread;
    private final Object lock = new Object();
    private int accepted;
    private int open;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private volatile boolean closed;

    private StalledServer(List<String> script, boolean closeAfterScript) throws IOException {
        this.script = script.stream().map(chunk -> chunk.getBytes(StandardCharsets.UTF_8)).toList();
        this.closeAfterScript = closeAfterScript;
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
        return start(List.of(), false);
    }

    /**
     * Starts one on 127.0.0.1, on a free port, that writes {@code chunks} on every connection it accepts, one after
     * the other with a pause of 50 ms between two (so that each arrives in a read of its own), whatever the client
     * sends, and then never writes again.
     *
     * @param chunks what to write, as UTF-8, in order; none makes it the same as {@link #start()}
     * @return the server, accepting connections; close it to stop it
     * @throws UncheckedIOException when it cannot listen on loopback
     */
    public static StalledServer saying(String... chunks) {
        return start(List.of(chunks), false);
    }

    /**
     * Starts one on 127.0.0.1, on a free port, that writes {@code chunks} on every connection as {@link #saying}
     * does and then closes its side of the connection: the client reads the end of the stream. The connection
     * counts as {@link #open()} until the client closes it too.
     *
     * @param chunks what to write, as UTF-8, in order; none makes it hang up at once
     * @return the server, accepting connections; close it to stop it
     * @throws UncheckedIOException when it cannot listen on loopback
     */
    public static StalledServer sayingThenClosing(String... chunks) {
        return start(List.of(chunks), true);
    }

    private static StalledServer start(List<String> script, boolean closeAfterScript) {
        try {
            return new StalledServer(script, closeAfterScript);
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

    /** {@return what the clients sent so far, as UTF-8, in the order it arrived (every connection's together)} */
    public String received() {
        synchronized (lock) {
            return received.toString(StandardCharsets.UTF_8);
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

    /** Where one connection is in the script: the chunk being written and when the next may start. */
    private static final class Progress {
        int chunk;
        ByteBuffer pending;
        long notBefore;
    }

    private void run() {
        ByteBuffer sink = ByteBuffer.allocate(4096);
        try {
            while (!closed) {
                selector.select(resumePaused());
                for (SelectionKey key : selector.selectedKeys()) {
                    if (key.isAcceptable()) {
                        accept();
                        continue;
                    }
                    SocketChannel client = (SocketChannel) key.channel();
                    if (key.isWritable()) {
                        write(key, client);
                    }
                    if (key.isValid() && key.isReadable()) {
                        sink.clear();
                        int read;
                        try {
                            read = client.read(sink); // what the client sends is kept, never answered
                        } catch (IOException reset) {
                            read = -1;
                        }
                        if (read < 0) {
                            key.cancel();
                            client.close();
                            changed(0, -1);
                        } else {
                            synchronized (lock) {
                                received.write(sink.array(), 0, read);
                            }
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

    private void accept() throws IOException {
        SocketChannel client = server.accept();
        if (client == null) {
            return;
        }
        client.configureBlocking(false);
        if (script.isEmpty() && !closeAfterScript) {
            client.register(selector, SelectionKey.OP_READ);
        } else {
            client.register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE, new Progress());
        }
        changed(+1, +1);
    }

    /** Writes what it can of the current chunk; after the last one, stops writing (and closes its side). */
    private void write(SelectionKey key, SocketChannel client) {
        Progress progress = (Progress) key.attachment();
        try {
            if (progress.chunk < script.size()) {
                if (progress.pending == null) {
                    progress.pending = ByteBuffer.wrap(script.get(progress.chunk));
                }
                client.write(progress.pending);
                if (progress.pending.hasRemaining()) {
                    return;
                }
                progress.pending = null;
                progress.chunk++;
                if (progress.chunk < script.size()) {
                    progress.notBefore = System.nanoTime() + PAUSE.toNanos();
                    key.interestOps(SelectionKey.OP_READ); // resumed by resumePaused() after the pause
                    return;
                }
            }
            key.interestOps(SelectionKey.OP_READ);
            key.attach(null);
            if (closeAfterScript) {
                client.shutdownOutput();
            }
        } catch (IOException gone) {
            key.interestOps(SelectionKey.OP_READ); // the client went away: its read sees the end and counts it
            key.attach(null);
        }
    }

    /** Lets the connections whose pause is over write again; returns how long select may wait (0: no limit). */
    private long resumePaused() {
        long now = System.nanoTime();
        long wait = Long.MAX_VALUE;
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof Progress progress && key.isValid()
                    && (key.interestOps() & SelectionKey.OP_WRITE) == 0) {
                long left = progress.notBefore - now;
                if (left <= 0) {
                    key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                } else {
                    wait = Math.min(wait, left);
                }
            }
        }
        return wait == Long.MAX_VALUE ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait) + 1);
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
