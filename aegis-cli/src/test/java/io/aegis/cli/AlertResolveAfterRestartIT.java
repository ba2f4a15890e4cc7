package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.testkit.LoopbackHttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code aegis} executable, killed with SIGKILL after it notified a firing alert: once restarted on the
 * same state directory, it sends the resolve when the service turns out healthy (before, the receiver kept the
 * alert firing forever).
 */
@Timeout(120)
class AlertResolveAfterRestartIT {
    @TempDir
    Path dir;

    private LoopbackHttpServer receiver;
    private int servicePort;

    @BeforeEach
    void startWebhookReceiver() throws IOException {
        receiver = LoopbackHttpServer.start();
        servicePort = Loopback.freePort();
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsEnabled: false
                  stateDir: %s
                services:
                  - name: db
                    type: tcp
                    endpoint: 127.0.0.1:%d
                    interval: 200ms
                    timeout: 100ms
                    actions:
                      onFailure: notify
                notifications:
                  webhook:
                    endpoint: http://127.0.0.1:%d/hook
                alerting:
                  route: {groupWait: 0s, groupInterval: 0s}
                """.formatted(TestConfigs.quote(dir.resolve("state").toString()), servicePort, receiver.port()));
    }

    @AfterEach
    void stopWebhookReceiver() {
        receiver.close();
    }

    @Test
    void anAlertNotifiedAsFiringBeforeAKill9IsResolvedAfterTheRestartOnceTheServiceIsHealthy() throws IOException {
        Path kept = dir.resolve("state").resolve("alerts").resolve("lifecycle.properties");
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().until(() -> payloads().size() == 1);
            // The notified state is written right after the notification is handed over: wait for it, then kill.
            aegis.patiently().until(() -> Files.exists(kept) && Files.readString(kept).contains("\"notified\"\\:[\"0\"]"));
            aegis.process().destroyForcibly();
            aegis.awaitExit(10);
        }
        assertThat(payloads().get(0)).contains("\"status\":\"firing\"").contains("ServiceUnhealthy");

        try (ServerSocket healed = new ServerSocket()) {
            healed.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), servicePort));
            try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
                aegis.patiently().until(() -> payloads().stream()
                        .anyMatch(p -> p.contains("\"status\":\"resolved\"")));

                List<String> all = payloads();
                List<String> afterRestart = all.subList(1, all.size());
                assertThat(afterRestart.get(afterRestart.size() - 1)).contains("\"status\":\"resolved\"")
                        .contains("ServiceUnhealthy").contains("\"service\":\"db\"");
                // Delivery is at least once: killed after the receiver took the firing but before aegis recorded
                // that, the next start sends that same notification again, before the resolve. Nothing else.
                assertThat(afterRestart.subList(0, afterRestart.size() - 1))
                        .allSatisfy(again -> assertThat(again).isEqualTo(all.get(0)));
            }
        }
    }

    /** The bodies the webhook receiver got, oldest first. */
    private List<String> payloads() {
        return receiver.requests().stream().map(LoopbackHttpServer.Request::body).toList();
    }
}
