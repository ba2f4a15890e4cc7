package io.aegis.checkers.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Validation of the tcp checker's settings when it is created. */
class TcpCheckerConfigTest {
    private static final String EXPECTED_ENDPOINT =
            "expected host:port (or [ipv6-address]:port) with a port from 1 to 65535, found ";

    private final TcpCheckerFactory factory = new TcpCheckerFactory();

    @AfterEach
    void closeFactory() {
        factory.close();
    }

    @Test
    void rejectsEndpointWithoutPort() {
        assertThat(problems("localhost", Map.of())).containsExactly(
                new ConfigProblem("services[0].endpoint", EXPECTED_ENDPOINT + "\"localhost\""));
    }

    @Test
    void rejectsPortOutOfRange() {
        assertThat(problems("localhost:70000", Map.of())).containsExactly(
                new ConfigProblem("services[0].endpoint", EXPECTED_ENDPOINT + "\"localhost:70000\""));
    }

    @Test
    void rejectsPortZero() {
        assertThat(problems("localhost:0", Map.of())).containsExactly(
                new ConfigProblem("services[0].endpoint", EXPECTED_ENDPOINT + "\"localhost:0\""));
    }

    @Test
    void rejectsUnbracketedIpv6Address() {
        assertThat(problems("::1:8080", Map.of())).containsExactly(
                new ConfigProblem("services[0].endpoint", EXPECTED_ENDPOINT + "\"::1:8080\""));
    }

    @Test
    void rejectsUrlInsteadOfHostAndPort() {
        assertThat(problems("http://localhost:8080", Map.of())).extracting(ConfigProblem::keyPath)
                .containsExactly("services[0].endpoint");
    }

    @Test
    void rejectsUnknownEscapeInSend() {
        assertThat(problems("localhost:6379", Map.of("send", "PING\\q"))).containsExactly(new ConfigProblem(
                "services[0].send",
                "expected only the escapes \\n, \\r, \\t, \\0 and \\\\, but \\q is not one of them, found \"PING\\q\""));
    }

    @Test
    void rejectsExpectedBodyRegexThatDoesNotCompile() {
        assertThat(problems("localhost:6379", Map.of("expect", Map.of("body", "+PONG"))))
                .singleElement()
                .satisfies(problem -> {
                    assertThat(problem.keyPath()).isEqualTo("services[0].expect.body");
                    assertThat(problem.message()).startsWith("expected a Java regular expression, found \"+PONG\"");
                });
    }

    @Test
    void reportsEveryInvalidKeyTogether() {
        assertThat(problems("nowhere", Map.of("send", "\\", "expect", Map.of("body", "("))))
                .extracting(ConfigProblem::keyPath)
                .containsExactly("services[0].endpoint", "services[0].send", "services[0].expect.body");
    }

    @Test
    void acceptsHostNameIpv4AndBracketedIpv6Endpoints() {
        for (String endpoint : List.of("db.internal:5432", "10.0.0.7:6379", "[::1]:8080", "[2001:db8::1]:22")) {
            assertThat(factory.create(TcpCheckerTest.spec(endpoint, Map.of(), Duration.ofSeconds(1))))
                    .as(endpoint)
                    .isNotNull();
        }
    }

    private List<ConfigProblem> problems(String endpoint, Map<String, ?> settings) {
        ConfigException error = catchThrowableOfType(ConfigException.class,
                () -> factory.create(TcpCheckerTest.spec(endpoint, settings, Duration.ofSeconds(1))));
        assertThat(error).as("a ConfigException for %s %s", endpoint, settings).isNotNull();
        return error.problems();
    }
}
