package ${package};

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import io.aegis.api.Settings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the {@code ${checkerType}} checker says, against real sockets on loopback. */
class PortCheckerTest {
    private final PortCheckerFactory factory = new PortCheckerFactory();

    @Test
    void aListeningPortIsHealthy() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CheckResult result = check("127.0.0.1:" + server.getLocalPort(), Map.of());

            assertEquals(HealthStatus.HEALTHY, result.status(), result.toString());
            assertTrue(result.message().startsWith("connected to 127.0.0.1:" + server.getLocalPort() + " in "),
                    result.message());
        }
    }

    @Test
    void aPortWhereNothingListensIsUnhealthyWithReasonConnect() throws Exception {
        int closed = portNobodyListensOn();

        CheckResult result = check("127.0.0.1:" + closed, Map.of());

        assertEquals(HealthStatus.UNHEALTHY, result.status(), result.toString());
        assertEquals(Optional.of(FailureReason.CONNECT), result.failureReason());
        assertTrue(result.message().startsWith("cannot connect to 127.0.0.1:" + closed + ": "), result.message());
    }

    @Test
    void anEndpointWithoutAPortIsAConfigErrorAtItsKey() {
        ConfigException error = assertThrows(ConfigException.class, () -> factory.create(spec("localhost", Map.of())));

        assertEquals(List.of(new ConfigProblem("services[0].endpoint", "expected host:port (or [ipv6-address]:port)"
                + " with a port from 1 to 65535, found \"localhost\"")), error.problems());
    }

    @Test
    void everyBadSettingIsReportedAtOnce() {
        ConfigException error = assertThrows(ConfigException.class,
                () -> factory.create(spec("localhost:0", Map.of("slowAfter", "0s"))));

        assertEquals(List.of("services[0].endpoint", "services[0].slowAfter"),
                error.problems().stream().map(ConfigProblem::keyPath).toList());
    }

    @Test
    void anIpv6EndpointInBracketsIsAccepted() {
        assertEquals(new HostPort("::1", 8080), HostPort.parse("[::1]:8080"));
        assertEquals("[::1]:8080", HostPort.parse("[::1]:8080").toString());
    }

    private CheckResult check(String endpoint, Map<String, ?> settings) throws Exception {
        try (HealthChecker checker = factory.create(spec(endpoint, settings))) {
            return checker.check(new CheckContext(1, Duration.ofSeconds(2))).toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
        }
    }

    // No blockingExecutor: the spec's default runs the connect on the calling thread, which suits a unit test.
    private static CheckerSpec spec(String endpoint, Map<String, ?> settings) {
        return CheckerSpec.builder("db", PortCheckerFactory.TYPE, endpoint)
                .settings(Settings.of("services[0]", settings))
                .build();
    }

    private static int portNobodyListensOn() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
