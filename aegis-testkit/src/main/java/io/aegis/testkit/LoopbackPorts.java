package io.aegis.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for what must be told its port before it starts (aegis' metrics port, an Alertmanager, a receiver named in
 * a config file), and ports where nothing listens.
 *
 * <p>A port the kernel hands out for port 0, bound once and released, can be handed out again to the next outgoing
 * connection or port-0 listener before the process under test binds it; CI saw exactly that once ("the port is
 * already in use"). Ports below {@code ip_local_port_range} are only ever taken by an explicit bind, so walking them
 * from a random start and keeping the first that binds leaves nothing for the kernel to race with.
 */
public final class LoopbackPorts {
    private static final int RANGE_LOW = 12_000;
    private static final int RANGE_SIZE = ephemeralRangeLow() - RANGE_LOW;
    private static final AtomicInteger next = new AtomicInteger(ThreadLocalRandom.current().nextInt(RANGE_SIZE));

    private LoopbackPorts() {
    }

    /**
     * {@return a port on 127.0.0.1 nothing listens on right now and the kernel will not hand out by itself}
     *
     * @throws IllegalStateException when every port of the range is taken
     */
    public static int free() {
        for (int attempt = 0; attempt < RANGE_SIZE; attempt++) {
            int port = RANGE_LOW + Math.floorMod(next.getAndIncrement(), RANGE_SIZE);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException taken) {
                // something listens there: try the next one
            }
        }
        throw new IllegalStateException("no free port in " + RANGE_LOW + ".." + (RANGE_LOW + RANGE_SIZE - 1));
    }

    private static int ephemeralRangeLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return low > RANGE_LOW + 1_000 ? low : 32_768;
        } catch (IOException | RuntimeException notLinux) {
            return 32_768;
        }
    }
}
