package io.aegis.checkers.tcp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A real TCP server on 127.0.0.1 and a free port that runs one behaviour per accepted connection. */
final class LoopbackServer implements AutoCloseable {
    /** What the server does with one connection, on its own thread. */
    @FunctionalInterface
    interface Behaviour {
        void serve(Socket socket) throws IOException;
    }

    private final ServerSocket serverSocket;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();

    private LoopbackServer(Behaviour behaviour) throws IOException {
        serverSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!serverSocket.isClosed()) {
                Socket socket;
                try {
                    socket = serverSocket.accept();
                } catch (IOException e) {
                    return;
                }
                connections.add(socket);
                Thread worker = new Thread(() -> {
                    try {
                        behaviour.serve(socket);
                    } catch (IOException e) {
                        // the client went away; that is the client's business
                    }
                }, "loopback-connection");
                worker.setDaemon(true);
                worker.start();
            }
        }, "loopback-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static LoopbackServer start(Behaviour behaviour) throws IOException {
        return new LoopbackServer(behaviour);
    }

    int port() {
        return serverSocket.getLocalPort();
    }

    String endpoint() {
        return "127.0.0.1:" + port();
    }

    @Override
    public void close() throws IOException {
        serverSocket.close();
        for (Socket socket : connections) {
            socket.close();
        }
    }
}
