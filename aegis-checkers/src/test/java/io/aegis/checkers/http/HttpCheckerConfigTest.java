package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Validation of the http checker's settings when it is created. */
class HttpCheckerConfigTest {
    private final HttpCheckerFactory factory = new HttpCheckerFactory();

    @AfterEach
    void closeFactory() {
        factory.close();
    }

    @Test
    void rejectsEndpointWithoutScheme() {
        assertThat(problems("localhost:8080", Map.of())).containsExactly(new ConfigProblem("services[0].endpoint",
                "expected an http:// or https:// URL, found \"localhost:8080\""));
    }

    @Test
    void rejectsEndpointWithOtherScheme() {
        assertThat(problems("ftp://example.com/health", Map.of())).containsExactly(new ConfigProblem(
                "services[0].endpoint", "expected an http:// or https:// URL, found \"ftp://example.com/health\""));
    }

    @Test
    void rejectsUnknownMethod() {
        assertThat(problems("http://localhost/", Map.of("method", "FETCH"))).containsExactly(new ConfigProblem(
                "services[0].method",
                "expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, found \"FETCH\""));
    }

    @Test
    void rejectsMalformedStatusEntryNamingItsIndex() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("status", List.of(200, "20x")))))
                .containsExactly(new ConfigProblem("services[0].expect.status[1]",
                        "expected a status code like 200, a range like 200-299 or a class like 2xx, found \"20x\""));
    }

    @Test
    void rejectsStatusCodeOutOfRange() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("status", 700)))).containsExactly(
                new ConfigProblem("services[0].expect.status", "expected a status code from 100 to 599, found \"700\""));
    }

    @Test
    void rejectsReversedStatusRange() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("status", "299-200")))).containsExactly(
                new ConfigProblem("services[0].expect.status",
                        "expected a range whose start is not after its end, found \"299-200\""));
    }

    @Test
    void rejectsBodyRegexThatDoesNotCompile() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("body", "(UP"))))
                .singleElement()
                .satisfies(problem -> {
                    assertThat(problem.keyPath()).isEqualTo("services[0].expect.body");
                    assertThat(problem.message()).startsWith("expected a Java regular expression, found \"(UP\"");
                });
    }

    @Test
    void rejectsBodyRegexWithMethodHead() {
        assertThat(problems("http://localhost/", Map.of("method", "HEAD", "expect", Map.of("body", "UP"))))
                .containsExactly(new ConfigProblem("services[0].expect.body", "expected no body pattern with method"
                        + " HEAD, whose answer has no body; use GET or remove expect.body"));
    }

    @Test
    void rejectsHeaderTheClientManagesItself() {
        assertThat(problems("http://localhost/", Map.of("headers", Map.of("Connection", "close"))))
                .singleElement()
                .satisfies(problem -> {
                    assertThat(problem.keyPath()).isEqualTo("services[0].headers.Connection");
                    assertThat(problem.message()).startsWith("the HTTP client sets the header \"Connection\" itself");
                });
    }

    @Test
    void rejectsExpectThatIsNotAMapping() {
        assertThat(problems("http://localhost/", Map.of("expect", "200"))).containsExactly(
                new ConfigProblem("services[0].expect", "expected a mapping, found \"200\""));
    }

    @Test
    void reportsEveryInvalidKeyTogether() {
        List<ConfigProblem> problems = problems("localhost",
                Map.of("method", "FETCH", "expect", Map.of("status", "abc", "body", "[")));

        assertThat(problems).extracting(ConfigProblem::keyPath).containsExactlyInAnyOrder(
                "services[0].endpoint", "services[0].method", "services[0].expect.status", "services[0].expect.body");
    }

    @Test
    void acceptsCompleteValidSettings() {
        assertThat(factory.create(HttpCheckerTest.spec("https://example.com:8443/health", Map.of(
                "method", "PUT",
                "headers", Map.of("Authorization", "Bearer x"),
                "expect", Map.of("status", List.of("2xx", 301, "302-308"), "body", "UP")), Duration.ofSeconds(1))))
                .isNotNull();
    }

    private List<ConfigProblem> problems(String endpoint, Map<String, ?> settings) {
        ConfigException error = (ConfigException) catchCreate(endpoint, settings);
        return error.problems();
    }

    private Throwable catchCreate(String endpoint, Map<String, ?> settings) {
        Throwable[] thrown = new Throwable[1];
        assertThatThrownBy(() -> factory.create(HttpCheckerTest.spec(endpoint, settings, Duration.ofSeconds(1))))
                .isInstanceOf(ConfigException.class)
                .satisfies(error -> thrown[0] = error);
        return thrown[0];
    }
}
