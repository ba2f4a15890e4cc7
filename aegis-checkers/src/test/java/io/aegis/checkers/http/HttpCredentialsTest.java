package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.HealthStatus;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.StalledServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Credentials in the endpoint URL and in headers: sent where they belong, never shown. */
class HttpCredentialsTest {
    private final HttpCheckerFactory factory = new HttpCheckerFactory();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final LoopbackHttpServer server = LoopbackHttpServer.start();

    @BeforeEach
    void startServerThatRequiresBasicAuth() {
        String expected = "Basic " + Base64.getEncoder().encodeToString("alice:pa ss@word".getBytes(
                StandardCharsets.UTF_8));
        server.handle("/health", exchange -> {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            authorizations.add(String.valueOf(authorization));
            exchange.sendResponseHeaders(expected.equals(authorization) ? 200 : 401, -1);
            exchange.close();
        });
    }

    @AfterEach
    void stop() {
        factory.close();
        server.close();
    }

    @Test
    void sendsTheUserInfoOfTheEndpointAsBasicAuthToAServerThatRequiresIt() throws Exception {
        String endpoint = "http://alice:pa%20ss%40word@127.0.0.1:" + server.port() + "/health";

        CheckResult result = check(endpoint);

        assertThat(result.status()).as("%s (server saw %s)", result, authorizations).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void aServerThatRequiresAuthRefusesTheSameEndpointWithoutUserInfo() throws Exception {
        CheckResult result = check("http://127.0.0.1:" + server.port() + "/health");

        assertThat(result.message()).isEqualTo("HTTP 401 (expected 200-399)");
    }

    @Test
    void rejectsUserInfoTogetherWithAnAuthorizationHeaderAndMasksThePassword() {
        assertThat(problems("https://alice:hunter22@example.com/health",
                Map.of("headers", Map.of("authorization", "Bearer x")))).containsExactly(new ConfigProblem(
                        "services[0].endpoint", "the URL has credentials (https://alice:***@example.com/health), which"
                        + " are sent as an Authorization: Basic header, and headers sets Authorization too; keep only"
                        + " one of them"));
    }

    @Test
    void rejectsAHeaderValueWithALineBreakWithoutShowingIt() {
        List<ConfigProblem> problems = problems("http://localhost/",
                Map.of("headers", Map.of("Authorization", "Bearer tok-one\r\nX-Injected: tok-two")));

        assertThat(problems).singleElement().satisfies(problem -> {
            assertThat(problem.keyPath()).isEqualTo("services[0].headers.Authorization");
            assertThat(problem.message()).startsWith("expected a header value on one line, found a line break")
                    .doesNotContain("tok-one", "tok-two", "X-Injected");
        });
    }

    @Test
    void rejectsAHeaderValueWithAnotherControlCharacterWithoutShowingIt() {
        assertThat(problems("http://localhost/", Map.of("headers", Map.of("X-Key", "abc\u0000def"))))
                .singleElement().satisfies(problem -> assertThat(problem.message())
                        .startsWith("expected a header value without control characters, found U+0000")
                        .doesNotContain("abc", "def"));
    }

    @Test
    void rejectsAnInvalidEndpointWithoutShowingItsCredentials() {
        assertThat(problems("http://alice:hunter22@local host/?token=abc", Map.of())).singleElement()
                .satisfies(problem -> assertThat(problem.message()).contains("alice:***@", "token=***")
                        .doesNotContain("hunter22", "abc"));
    }

    @Test
    void aFailedCheckShowsTheUrlWithoutItsCredentials() throws Exception {
        int closed = StalledServer.refusedAddress().getPort();

        CheckResult result = check("http://alice:hunter22@127.0.0.1:" + closed + "/health?access_token=abc123&x=1");

        assertThat(result.message()).startsWith("cannot get http://127.0.0.1:" + closed
                + "/health?access_token=***&x=1").doesNotContain("hunter22", "abc123");
    }

    private CheckResult check(String endpoint) throws Exception {
        return factory.create(HttpCheckerTest.spec(endpoint, Map.of(), Duration.ofSeconds(2)))
                .check(new CheckContext(1, Duration.ofSeconds(2))).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private List<ConfigProblem> problems(String endpoint, Map<String, ?> settings) {
        Throwable[] thrown = new Throwable[1];
        assertThatThrownBy(() -> factory.create(HttpCheckerTest.spec(endpoint, settings, Duration.ofSeconds(1))))
                .isInstanceOf(ConfigException.class).satisfies(error -> thrown[0] = error);
        return ((ConfigException) thrown[0]).problems();
    }
}
