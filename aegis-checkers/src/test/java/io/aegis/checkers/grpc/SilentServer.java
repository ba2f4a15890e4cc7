package io.aegis.checkers.grpc;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A TCP server on 127.0.0.1 that accepts connections and never says a word: a hung gRPC server. */
final class SilentServer implements AutoCloseable {
    private final ServerSocket serverSocket;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();

    SilentServer() throws IOException {
        serverSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!serverSocket.isClosed()) {
                try {
                    connections.add(serverSocket.accept());
                } catch (IOException e) {
                    return;
                }
            }
        }, "silent-server-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** How many connections were accepted. */
    int connections() {
        return connections.size();
    }

    String endpoint() {
        return "127.0.0.1:" + serverSocket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        serverSocket.close();
        for (Socket socket : connections) {
            socket.close();
        }
    }
}
