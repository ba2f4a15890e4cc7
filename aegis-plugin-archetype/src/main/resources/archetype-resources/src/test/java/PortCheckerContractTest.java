package ${package};

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.Settings;
import io.aegis.testkit.HealthCheckerContract;
import io.aegis.testkit.Misconfiguration;
import io.aegis.testkit.StalledServer;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;

/**
 * The rules every aegis health checker keeps, from aegis-testkit, run against this one: {@code type()} is a name
 * users can write, the factory is registered for {@link java.util.ServiceLoader}, a healthy target passes,
 * {@code check()} returns without blocking its caller, every check completes within its timeout and reports a
 * failure as a result, a cancelled check lets go of its connection, {@code close()} leaves no thread behind, and
 * bad settings are reported by key path. A broken rule fails its test with the rule's name in brackets:
 * {@code [returns-without-blocking] check() of a target that never answers took 1003 ms ...}.
 */
class PortCheckerContractTest extends HealthCheckerContract {
    // Accepts connections and never answers: enough for a connect to pass. Started before each test (the rules on
    // threads count only those started during the test).
    private final StalledServer listening = StalledServer.start();

    @AfterEach
    void stopServer() {
        listening.close();
    }

    @Override
    protected HealthCheckerFactory factory() {
        return new PortCheckerFactory();
    }

    @Override
    protected CheckerSpec.Builder healthyTarget() {
        return spec("127.0.0.1:" + listening.port(), Map.of());
    }

    /** A network checker: the kit also points it at a target that never answers and at a port that refuses. */
    @Override
    protected Optional<CheckerSpec.Builder> targetAt(InetSocketAddress address) {
        return Optional.of(spec("127.0.0.1:" + address.getPort(), Map.of()));
    }

    @Override
    protected List<Misconfiguration<CheckerSpec.Builder>> misconfigurations() {
        return List.of(
                Misconfiguration.at("services[0].endpoint", spec("no-port", Map.of())),
                Misconfiguration.at("services[0].slowAfter", spec("127.0.0.1:1", Map.of("slowAfter", "soon"))));
    }

    private static CheckerSpec.Builder spec(String endpoint, Map<String, ?> settings) {
        return CheckerSpec.builder("db", PortCheckerFactory.TYPE, endpoint)
                .settings(Settings.of("services[0]", settings));
    }
}
