package io.aegis.checkers.contract;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.Settings;
import io.aegis.checkers.tcp.TcpCheckerFactory;
import io.aegis.testkit.HealthCheckerContract;
import io.aegis.testkit.Misconfiguration;
import io.aegis.testkit.StalledServer;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;

/** The {@code tcp} checker against the SPI's rules; its targets send and expect a line, so a silent one times out. */
class TcpCheckerContractTest extends HealthCheckerContract {
    private final StalledServer listening = StalledServer.start(); // accepts: enough for a plain connect check

    @AfterEach
    void stopServer() {
        listening.close();
    }

    @Override
    protected HealthCheckerFactory factory() {
        return new TcpCheckerFactory();
    }

    @Override
    protected CheckerSpec.Builder healthyTarget() {
        return CheckerSpec.builder("db", "tcp", "127.0.0.1:" + listening.port());
    }

    @Override
    protected Optional<CheckerSpec.Builder> targetAt(InetSocketAddress address) {
        // With an expected answer the check reads, so a target that never answers holds it until its timeout.
        return Optional.of(CheckerSpec.builder("db", "tcp", "127.0.0.1:" + address.getPort())
                .settings(Settings.of("services[0]", Map.of("send", "PING\\r\\n", "expect", Map.of("body", "PONG")))));
    }

    @Override
    protected List<Misconfiguration<CheckerSpec.Builder>> misconfigurations() {
        return List.of(
                Misconfiguration.at("services[0].endpoint", CheckerSpec.builder("db", "tcp", "no-port")
                        .settings(Settings.empty("services[0]"))),
                Misconfiguration.at("services[0].expect.body", CheckerSpec.builder("db", "tcp", "127.0.0.1:1")
                        .settings(Settings.of("services[0]", Map.of("expect", Map.of("body", "(unclosed"))))));
    }
}
