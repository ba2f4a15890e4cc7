package io.aegis.checkers.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation of the grpc checker's settings when it is created. */
class GrpcCheckerConfigTest {
    private static final String EXPECTED_ENDPOINT =
            "expected host:port (or [ipv6-address]:port) with a port from 1 to 65535, found ";
    private static final String EXPECTED_PEM =
            "expected a PEM file with one or more certificates (-----BEGIN CERTIFICATE-----)";

    private final GrpcCheckerFactory factory = new GrpcCheckerFactory();

    @TempDir
    Path dir;

    @AfterEach
    void closeFactory() {
        factory.close();
    }

    @Test
    void rejectsEndpointWithoutPort() {
        assertThat(problems("orders.internal", "", Map.of())).containsExactly(
                new ConfigProblem("services[0].endpoint", EXPECTED_ENDPOINT + "\"orders.internal\""));
    }

    @Test
    void rejectsUrlInsteadOfHostAndPort() {
        assertThat(problems("grpc://orders.internal:50051", "", Map.of())).containsExactly(
                new ConfigProblem("services[0].endpoint", EXPECTED_ENDPOINT + "\"grpc://orders.internal:50051\""));
    }

    @Test
    void rejectsPortOutOfRange() {
        assertThat(problems("localhost:70000", "", Map.of())).containsExactly(
                new ConfigProblem("services[0].endpoint", EXPECTED_ENDPOINT + "\"localhost:70000\""));
    }

    @Test
    void rejectsServiceNameWithWhiteSpace() {
        assertThat(problems("localhost:50051", "orders v1", Map.of())).containsExactly(new ConfigProblem(
                "services[0].metadata.service",
                "expected a gRPC service name such as my.package.MyService (or nothing for the whole server),"
                        + " found \"orders v1\""));
    }

    @Test
    void rejectsTlsThatIsNotAMapping() {
        assertThat(problems("localhost:50051", "", Map.of("tls", true))).containsExactly(
                new ConfigProblem("services[0].tls", "expected a mapping, found true"));
    }

    @Test
    void rejectsTlsEnabledThatIsNotABoolean() {
        assertThat(problems("localhost:50051", "", Map.of("tls", Map.of("enabled", "yes please")))).containsExactly(
                new ConfigProblem("services[0].tls.enabled", "expected true or false, found \"yes please\""));
    }

    @Test
    void rejectsMissingCaFile() {
        Path missing = dir.resolve("missing.pem");

        assertThat(problems("localhost:50051", "", tls(missing.toString()))).containsExactly(
                new ConfigProblem("services[0].tls.caFile", EXPECTED_PEM + ", found no file at \"" + missing + "\""));
    }

    @Test
    void rejectsCaFileThatIsADirectory() {
        assertThat(problems("localhost:50051", "", tls(dir.toString()))).containsExactly(
                new ConfigProblem("services[0].tls.caFile", EXPECTED_PEM + ", found a directory at \"" + dir + "\""));
    }

    @Test
    void rejectsCaFileWithoutCertificates() throws IOException {
        Path notPem = Files.writeString(dir.resolve("ca.pem"), "this is not a certificate\n", StandardCharsets.UTF_8);

        assertThat(problems("localhost:50051", "", tls(notPem.toString()))).containsExactly(
                new ConfigProblem("services[0].tls.caFile", EXPECTED_PEM + ", found none in \"" + notPem + "\""));
    }

    @Test
    void rejectsEmptyCaFile() {
        assertThat(problems("localhost:50051", "", tls(" "))).containsExactly(
                new ConfigProblem("services[0].tls.caFile", EXPECTED_PEM + ", found an empty value"));
    }

    @Test
    void ignoresCaFileWhenTlsIsTurnedOff() {
        Map<String, ?> settings = Map.of("tls", Map.of("enabled", false, "caFile", dir.resolve("gone.pem").toString()));

        assertThat(factory.create(GrpcCheckerTest.spec("localhost:50051", "", settings, Duration.ofSeconds(1))))
                .isNotNull();
    }

    @Test
    void rejectsHeadersThatAreNotAMapping() {
        assertThat(problems("localhost:50051", "", Map.of("headers", "authorization: x"))).containsExactly(
                new ConfigProblem("services[0].headers",
                        "expected a mapping of names to values, found \"authorization: x\""));
    }

    @Test
    void rejectsHeaderNamesGrpcReserves() {
        assertThat(problems("localhost:50051", "", Map.of("headers", Map.of("grpc-timeout", "1S")))).containsExactly(
                new ConfigProblem("services[0].headers.grpc-timeout",
                        "header names that start with grpc- are reserved for gRPC itself; choose another name"));
    }

    @Test
    void rejectsHeadersGrpcSetsItself() {
        assertThat(problems("localhost:50051", "", Map.of("headers", Map.of("User-Agent", "probe")))).containsExactly(
                new ConfigProblem("services[0].headers.User-Agent",
                        "gRPC sets the header \"user-agent\" itself; remove it"));
    }

    @Test
    void rejectsBinaryHeaders() {
        assertThat(problems("localhost:50051", "", Map.of("headers", Map.of("trace-bin", "AAEC")))).containsExactly(
                new ConfigProblem("services[0].headers.trace-bin",
                        "binary headers (names ending in -bin) are not supported; use a text header"));
    }

    @Test
    void rejectsHeaderNameWithInvalidCharacters() {
        assertThat(problems("localhost:50051", "", Map.of("headers", Map.of("x tenant", "blue")))).containsExactly(
                new ConfigProblem("services[0].headers.x tenant",
                        "expected a header name of letters, digits, '-', '_' and '.', found \"x tenant\""));
    }

    @Test
    void rejectsHeaderValueWithLineBreakWithoutQuotingIt() {
        assertThat(problems("localhost:50051", "", Map.of("headers", Map.of("authorization", "Bearer s3cret\n"))))
                .containsExactly(new ConfigProblem("services[0].headers.authorization",
                        "expected a header value of printable ASCII characters, found another character at position 14"));
    }

    @Test
    void reportsEveryInvalidKeyTogether() {
        assertThat(problems("nowhere", "a b", Map.of("tls", List.of(), "headers", Map.of("grpc-x", "1"))))
                .extracting(ConfigProblem::keyPath)
                .containsExactly("services[0].endpoint", "services[0].metadata.service", "services[0].tls",
                        "services[0].headers.grpc-x");
    }

    @Test
    void acceptsHostNameIpv4AndBracketedIpv6Endpoints() {
        for (String endpoint : List.of("orders.internal:50051", "10.0.0.7:50051", "[::1]:50051", "[2001:db8::1]:443")) {
            assertThat(factory.create(GrpcCheckerTest.spec(endpoint, "", Map.of(), Duration.ofSeconds(1))))
                    .as(endpoint)
                    .isNotNull();
        }
    }

    private static Map<String, ?> tls(String caFile) {
        return Map.of("tls", Map.of("enabled", true, "caFile", caFile));
    }

    private List<ConfigProblem> problems(String endpoint, String service, Map<String, ?> settings) {
        ConfigException error = catchThrowableOfType(ConfigException.class,
                () -> factory.create(GrpcCheckerTest.spec(endpoint, service, settings, Duration.ofSeconds(1))));
        assertThat(error).as("a ConfigException for %s %s", endpoint, settings).isNotNull();
        return error.problems();
    }
}
