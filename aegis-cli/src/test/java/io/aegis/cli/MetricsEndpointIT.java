package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.cli.AegisProcess.Result;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code aegis} executable's {@code /metrics} against clients that misbehave. */
@Timeout(120)
class MetricsEndpointIT {
    /** The line format Logging sets up: {@code 2025-01-31T10:15:30.123+01:00 [INFO] Engine - ...}. */
    private static final Pattern LOG_LINE = Pattern.compile(
            "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\S* \\[(TRACE|DEBUG|INFO|WARN|ERROR)] .*");

    @TempDir
    Path dir;

    @Test
    void twoConnectionsThatSendOneByteDoNotStopMetrics() throws IOException {
        int metricsPort = Loopback.freePort();
        TestConfigs.tcpOnly(dir, metricsPort);
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=tcp.yaml")) {
            aegis.patiently().until(() -> Loopback.status(metricsPort, "/metrics") == 200);

            for (int round = 0; round < 3; round++) {
                // Reconnecting, as in the issue, kept the old server down: new slow sockets every round.
                try (Socket first = oneByte(metricsPort); Socket second = oneByte(metricsPort)) {
                    // Loopback gives up after 2 s.
                    assertThat(Loopback.get(metricsPort, "/metrics")).as("a scrape beside two slow sockets")
                            .hasValueSatisfying(response -> assertThat(response.statusCode()).isEqualTo(200));
                }
            }
        }
    }

    @Test
    void aScraperThatHangsUpMidResponseLeavesOnlyNormalLogLines() throws IOException {
        int metricsPort = Loopback.freePort();
        // Enough services that /metrics (about 1.5 MB, 80 KB gzipped) is larger than what the sockets buffer, so
        // the server is still writing when the scraper hangs up.
        StringBuilder yaml = new StringBuilder("global:\n  metricsEnabled: true\n  metricsPort: " + metricsPort
                + "\nservices:\n");
        int nothingListens = Loopback.freePort();
        for (int i = 0; i < 600; i++) {
            yaml.append("  - name: s").append(i).append("\n    type: tcp\n    endpoint: 127.0.0.1:")
                    .append(nothingListens).append("\n    interval: 60s\n    timeout: 500ms\n");
        }
        TestConfigs.write(dir, "many.yaml", yaml.toString());
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=many.yaml")) {
            aegis.patiently().until(() -> Loopback.status(metricsPort, "/metrics") == 200);

            for (int i = 0; i < 5; i++) {
                hangUpMidResponse(metricsPort);
            }
            assertThat(Loopback.get(metricsPort, "/metrics").map(HttpResponse::statusCode)).as("serving after")
                    .hasValue(200);

            aegis.terminate();
            Result result = aegis.awaitExit(30);
            List<String> foreign = result.stderr().lines()
                    .filter(line -> !line.isEmpty() && !LOG_LINE.matcher(line).matches())
                    .collect(Collectors.toList());
            assertThat(foreign).as("stderr lines not in aegis' log format (java.util.logging's SEVERE records, stack"
                    + " traces):%n%s", result.stderr()).isEmpty();
            assertThat(result.stderr()).doesNotContain("SEVERE", "Broken pipe");
        }
    }

    /**
     * Asks for /metrics as Prometheus does (gzip: the old server then streamed the body, and failed in the
     * middle of it), reads the start of the response, then resets the connection.
     */
    private static void hangUpMidResponse(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /metrics HTTP/1.1\r\nHost: aegis\r\nAccept-Encoding: gzip\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] start = in.readNBytes(1024);
            assertThat(new String(start, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
            // RST rather than FIN: the server's next write fails at once ("Connection reset", "Broken pipe").
            socket.setSoLinger(true, 0);
        }
    }

    private static Socket oneByte(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        socket.getOutputStream().write('G');
        socket.getOutputStream().flush();
        return socket;
    }

}
