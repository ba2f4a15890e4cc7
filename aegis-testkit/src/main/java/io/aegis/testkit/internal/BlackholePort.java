package io.aegis.testkit.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A port on loopback where a connect never completes: a listener that never accepts, with its accept queue filled,
 * so that Linux drops every further SYN and the client waits in SYN_SENT until its own timeout (a firewall that
 * drops packets looks the same). A check that connects on its caller's thread blocks there, which a server that
 * accepts at once (and then stays silent) cannot show.
 */
public final class BlackholePort implements AutoCloseable {
    private final ServerSocketChannel listener;
    private final List<Socket> queued = new ArrayList<>();

    private BlackholePort() throws IOException {
        listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
        // Fill the accept queue (backlog + 1 on Linux); the first connect that does not complete shows it is full.
        for (int i = 0; i < 8; i++) {
            Socket socket = new Socket();
            try {
                socket.connect(address(), 200);
                queued.add(socket);
            } catch (SocketTimeoutException full) {
                socket.close();
                return;
            }
        }
        close();
        throw new IOException("this system completes connects to a listener whose queue is full");
    }

    /**
     * {@return a port where connects hang}
     *
     * @throws UncheckedIOException when loopback refuses a listener, or the system completes every connect
     */
    public static BlackholePort open() {
        try {
            return new BlackholePort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a port where connects hang", e);
        }
    }

    /** {@return where it listens} */
    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.socket().getLocalPort());
    }

    /** Closes the listener and the queued connections. */
    @Override
    public void close() {
        try {
            for (Socket socket : queued) {
                socket.close();
            }
            listener.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
