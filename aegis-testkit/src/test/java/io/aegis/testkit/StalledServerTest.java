package io.aegis.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The stalled server as a client sees it, through a plain socket. */
class StalledServerTest {

    @Test
    void acceptsAndNeverAnswersButKeepsWhatTheClientSent() throws Exception {
        try (StalledServer server = StalledServer.start(); Socket client = connect(server)) {
            client.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.UTF_8));

            await().atMost(Duration.ofSeconds(5)).until(() -> server.received().equals("PING\r\n"));
            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            assertThat(server.accepted()).isEqualTo(1);
            assertThat(server.open()).isEqualTo(1);
        }
    }

    @Test
    void aSayingServerWritesEachChunkOnItsOwnAfterAPauseThenStaysSilent() throws Exception {
        try (StalledServer server = StalledServer.saying("220 mail.example ", "ESMTP ready\r\n");
                Socket client = connect(server)) {
            InputStream in = client.getInputStream();

            assertThat(readAvailable(in)).isEqualTo("220 mail.example ");
            long first = System.nanoTime();
            assertThat(readAvailable(in)).isEqualTo("ESMTP ready\r\n");
            assertThat(Duration.ofNanos(System.nanoTime() - first)).isGreaterThanOrEqualTo(
                    StalledServer.PAUSE.minusMillis(10));
            assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void aSayingServerSaysItOnEveryConnection() throws Exception {
        try (StalledServer server = StalledServer.saying("hello\n")) {
            for (int i = 0; i < 2; i++) {
                try (Socket client = connect(server)) {
                    assertThat(readAvailable(client.getInputStream())).isEqualTo("hello\n");
                }
            }
            assertThat(server.awaitNoneOpen(Duration.ofSeconds(5))).isTrue();
            assertThat(server.accepted()).isEqualTo(2);
        }
    }

    @Test
    void aServerSayingThenClosingEndsTheStreamButCountsTheConnectionOpenUntilTheClientCloses() throws Exception {
        try (StalledServer server = StalledServer.sayingThenClosing("-ERR unknown command\r\n")) {
            Socket client = connect(server);
            InputStream in = client.getInputStream();

            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("-ERR unknown command\r\n");
            assertThat(server.open()).isEqualTo(1);

            client.close();
            assertThat(server.awaitNoneOpen(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void aClientThatClosesIsNoLongerCountedOpen() throws Exception {
        try (StalledServer server = StalledServer.start()) {
            Socket client = connect(server);
            assertThat(server.awaitAccepted(1, Duration.ofSeconds(5))).isTrue();
            assertThat(server.open()).isEqualTo(1);

            client.close();

            assertThat(server.awaitNoneOpen(Duration.ofSeconds(5))).isTrue();
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    private static Socket connect(StalledServer server) throws IOException {
        Socket socket = new Socket();
        socket.connect(server.address(), 2_000);
        socket.setSoTimeout(500);
        return socket;
    }

    /** One read's worth: blocks for the first byte, then takes what has arrived with it. */
    private static String readAvailable(InputStream in) throws IOException {
        byte[] buffer = new byte[4096];
        int read = in.read(buffer);
        return read < 0 ? "" : new String(buffer, 0, read, StandardCharsets.UTF_8);
    }
}
