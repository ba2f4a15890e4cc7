package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void rejectsJsonPointerWithoutLeadingSlash() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("json", Map.of("status", "UP")))))
                .containsExactly(new ConfigProblem("services[0].expect.json.status",
                        "expected a JSON pointer that starts with \"/\" like \"/status\", found \"status\""));
    }

    @Test
    void rejectsJsonPointerWithStrayTilde() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("json", Map.of("/a~2", "UP")))))
                .containsExactly(new ConfigProblem("services[0].expect.json./a~2", "expected a JSON pointer (RFC 6901)"
                        + " that writes ~ as ~0 and a / inside a name as ~1, found \"/a~2\""));
    }

    @Test
    void rejectsJsonThatIsNotAMapping() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("json", "/status=UP")))).containsExactly(
                new ConfigProblem("services[0].expect.json",
                        "expected a mapping of JSON pointers to values like \"/status\": UP, found \"/status=UP\""));
    }

    @Test
    void rejectsJsonExpectedValueThatIsNotAScalar() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("json", Map.of("/checks", List.of("db"))))))
                .containsExactly(new ConfigProblem("services[0].expect.json./checks",
                        "expected a single value (text, a number, true, false or null), found a list"));
    }

    @Test
    void rejectsEmptyBodyNotContains() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("bodyNotContains", List.of("ERROR", "")))))
                .containsExactly(new ConfigProblem("services[0].expect.bodyNotContains[1]",
                        "expected a text that must not appear in the body, found an empty value"));
    }

    @Test
    void rejectsBodyConditionsWithMethodHead() {
        assertThat(problems("http://localhost/", Map.of("method", "HEAD",
                "expect", Map.of("json", Map.of("/status", "UP"), "bodyNotContains", "DOWN"))))
                .containsExactlyInAnyOrder(
                        new ConfigProblem("services[0].expect.bodyNotContains", "expected no body condition with method"
                                + " HEAD, whose answer has no body; use GET or remove expect.bodyNotContains"),
                        new ConfigProblem("services[0].expect.json", "expected no body condition with method HEAD,"
                                + " whose answer has no body; use GET or remove expect.json"));
    }

    @Test
    void rejectsMaxResponseTimeThatIsNotADuration() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("maxResponseTime", "fast")))).containsExactly(
                new ConfigProblem("services[0].expect.maxResponseTime",
                        "expected a duration like 500ms, 5s, 1m or 1h, found \"fast\""));
    }

    @Test
    void rejectsZeroMaxResponseTime() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("maxResponseTime", "0ms")))).containsExactly(
                new ConfigProblem("services[0].expect.maxResponseTime",
                        "expected a duration above zero like 500ms, found \"0ms\""));
    }

    @Test
    void rejectsMaxResponseTimeThatTheTimeoutWouldCutShort() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("maxResponseTime", "2s")))).containsExactly(
                new ConfigProblem("services[0].expect.maxResponseTime", "expected a limit below the check timeout"
                        + " (1s), which ends a slower answer first, found \"2s\""));
    }

    @Test
    void rejectsRequiredHeaderPatternThatDoesNotCompile() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("headers", Map.of("X-Version", "(2")))))
                .singleElement()
                .satisfies(problem -> {
                    assertThat(problem.keyPath()).isEqualTo("services[0].expect.headers.X-Version");
                    assertThat(problem.message()).startsWith("expected a Java regular expression, found \"(2\"");
                });
    }

    @Test
    void rejectsRequiredHeaderWithInvalidName() {
        assertThat(problems("http://localhost/", Map.of("expect", Map.of("headers", Map.of("Content Type", "json")))))
                .containsExactly(new ConfigProblem("services[0].expect.headers.Content Type",
                        "expected a header name (letters, digits and -), found \"Content Type\""));
    }

    @Test
    void rejectsTlsThatIsNotAMapping() {
        assertThat(problems("https://localhost/", Map.of("tls", "strict"))).containsExactly(
                new ConfigProblem("services[0].tls", "expected a mapping, found \"strict\""));
    }

    @Test
    void rejectsInsecureSkipVerifyThatIsNotABoolean() {
        assertThat(problems("https://localhost/", Map.of("tls", Map.of("insecureSkipVerify", "maybe"))))
                .containsExactly(new ConfigProblem("services[0].tls.insecureSkipVerify",
                        "expected true or false, found \"maybe\""));
    }

    @Test
    void rejectsNegativeCertExpiryWarningDays() {
        assertThat(problems("https://localhost/", Map.of("tls", Map.of("certExpiryWarningDays", -1))))
                .containsExactly(new ConfigProblem("services[0].tls.certExpiryWarningDays",
                        "expected a whole number from 0 to 3650, found -1"));
    }

    @Test
    void rejectsMissingCaFile(@TempDir Path directory) {
        String missing = directory.resolve("ca.pem").toString();

        assertThat(problems("https://localhost/", Map.of("tls", Map.of("caFile", missing)))).containsExactly(
                new ConfigProblem("services[0].tls.caFile", "expected a PEM file with one or more certificates"
                        + " (-----BEGIN CERTIFICATE-----), found no file at \"" + missing + "\""));
    }

    @Test
    void rejectsCaFileWithoutCertificates(@TempDir Path directory) throws IOException {
        Path notPem = Files.writeString(directory.resolve("ca.pem"), "this is not a certificate\n");

        assertThat(problems("https://localhost/", Map.of("tls", Map.of("caFile", notPem.toString())))).containsExactly(
                new ConfigProblem("services[0].tls.caFile", "expected a PEM file with one or more certificates"
                        + " (-----BEGIN CERTIFICATE-----), found none in \"" + notPem + "\""));
    }

    @Test
    void rejectsCaFileTogetherWithInsecureSkipVerify() {
        assertThat(problems("https://localhost/",
                Map.of("tls", Map.of("insecureSkipVerify", true, "caFile", "/etc/aegis/ca.pem"))))
                .containsExactly(new ConfigProblem("services[0].tls.caFile", "expected no caFile when"
                        + " insecureSkipVerify is true, which trusts every certificate; remove one of the two"));
    }

    @Test
    void reportsEveryInvalidConditionAndTlsKeyTogether() {
        List<ConfigProblem> problems = problems("https://localhost/", Map.of(
                "expect", Map.of("json", Map.of("status", "UP"), "headers", Map.of("X-A", "["),
                        "maxResponseTime", "5s", "bodyNotContains", ""),
                "tls", Map.of("certExpiryWarningDays", -3, "caFile", "/does/not/exist.pem")));

        assertThat(problems).extracting(ConfigProblem::keyPath).containsExactlyInAnyOrder(
                "services[0].expect.json.status", "services[0].expect.headers.X-A",
                "services[0].expect.maxResponseTime", "services[0].expect.bodyNotContains",
                "services[0].tls.certExpiryWarningDays", "services[0].tls.caFile");
    }

    @Test
    void acceptsCompleteValidConditions() {
        assertThat(factory.create(HttpCheckerTest.spec("https://example.com/actuator/health", Map.of(
                "expect", Map.of(
                        "bodyNotContains", List.of("OUT_OF_SERVICE", "DOWN"),
                        "json", Map.of("/status", "UP", "/components/db/details/pool", 8, "/a~1b", true),
                        "headers", Map.of("Content-Type", "json"),
                        "maxResponseTime", "500ms"),
                "tls", Map.of("insecureSkipVerify", false, "certExpiryWarningDays", 14)), Duration.ofSeconds(1))))
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
