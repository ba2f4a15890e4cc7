package io.aegis.checkers.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The grpc checker against a real TLS grpc-java server with a self-signed certificate made for the test. */
class GrpcTlsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    static Path dir;

    private static SelfSignedCertificate certificate;
    private static TestGrpcServer server;

    private final GrpcCheckerFactory factory = new GrpcCheckerFactory();

    @BeforeAll
    static void startServer() throws Exception {
        certificate = SelfSignedCertificate.create(dir);
        server = TestGrpcServer.withHealthServiceOverTls(certificate.keyManagers());
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @AfterEach
    void closeFactory() {
        factory.close();
    }

    @Test
    void reportsHealthyOverTlsWhenCaFileTrustsTheServer() throws Exception {
        CheckResult result = check(Map.of("tls", Map.of("enabled", true,
                "caFile", certificate.certificatePem().toString())));

        assertThat(result.status()).as("%s", result).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.message()).isEqualTo("SERVING");
    }

    @Test
    void turnsTlsOnWithATlsBlockAlone() throws Exception {
        CheckResult result = check(Map.of("tls", Map.of("caFile", certificate.certificatePem().toString())));

        assertThat(result.status()).as("%s", result).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void reportsTlsFailureWhenTheJvmTrustStoreDoesNotTrustTheServer() throws Exception {
        CheckResult result = check(Map.of("tls", Map.of("enabled", true)));

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).as("%s", result).contains(FailureReason.TLS);
        assertThat(result.message()).startsWith("TLS with " + server.endpoint() + " failed: ");
    }

    @Test
    void reportsConnectFailureWhenPlaintextMeetsATlsServer() throws Exception {
        CheckResult result = check(Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).as("%s", result).contains(FailureReason.CONNECT);
        assertThat(result.message()).startsWith("cannot connect to " + server.endpoint() + ": ");
    }

    private CheckResult check(Map<String, ?> settings) throws Exception {
        HealthChecker checker = factory.create(GrpcCheckerTest.spec(server.endpoint(), "", settings, TIMEOUT));
        return GrpcCheckerTest.await(checker.check(GrpcCheckerTest.context(TIMEOUT)));
    }
}
