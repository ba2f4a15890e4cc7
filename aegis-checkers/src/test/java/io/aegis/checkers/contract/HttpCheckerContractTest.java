package io.aegis.checkers.contract;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.Settings;
import io.aegis.checkers.http.HttpCheckerFactory;
import io.aegis.testkit.HealthCheckerContract;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.Misconfiguration;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;

/** The {@code http} checker against the SPI's rules, as the kit checks a third-party checker. */
class HttpCheckerContractTest extends HealthCheckerContract {
    private final LoopbackHttpServer server = LoopbackHttpServer.start();

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Override
    protected HealthCheckerFactory factory() {
        return new HttpCheckerFactory();
    }

    @Override
    protected CheckerSpec.Builder healthyTarget() {
        return CheckerSpec.builder("web", "http", server.uri("/health").toString());
    }

    @Override
    protected Optional<CheckerSpec.Builder> targetAt(InetSocketAddress address) {
        return Optional.of(CheckerSpec.builder("web", "http",
                "http://127.0.0.1:" + address.getPort() + "/health"));
    }

    @Override
    protected List<Misconfiguration<CheckerSpec.Builder>> misconfigurations() {
        return List.of(
                Misconfiguration.at("services[0].method", CheckerSpec.builder("web", "http",
                        server.uri("/").toString()).settings(Settings.of("services[0]",
                                Map.of("method", "FETCH")))),
                Misconfiguration.at("services[0].endpoint", CheckerSpec.builder("web", "http", "ftp://x/")
                        .settings(Settings.empty("services[0]"))));
    }
}
