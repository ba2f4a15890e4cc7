package io.aegis.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ListeningProcessesTest {

    @Test
    void readsThePortOfEveryKindOfEndpoint() {
        assertThat(ListeningProcesses.port("http://127.0.0.1:8080/health")).isEqualTo(OptionalInt.of(8080));
        assertThat(ListeningProcesses.port("https://example.org/health")).isEqualTo(OptionalInt.of(443));
        assertThat(ListeningProcesses.port("http://example.org")).isEqualTo(OptionalInt.of(80));
        assertThat(ListeningProcesses.port("localhost:5432")).isEqualTo(OptionalInt.of(5432));
        assertThat(ListeningProcesses.port("[::1]:50051")).isEqualTo(OptionalInt.of(50051));
        assertThat(ListeningProcesses.port("/usr/local/bin/check_backup")).isEmpty();
    }

    @Test
    void findsTheProcessListeningOnAPort() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "Linux only: reads /proc");
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThat(ListeningProcesses.on(server.getLocalPort())).containsExactly(ProcessHandle.current().pid());
        }
    }
}
