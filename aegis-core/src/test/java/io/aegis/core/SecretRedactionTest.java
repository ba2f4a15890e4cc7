package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.aegis.core.event.CheckCompleted;
import io.aegis.core.event.ServiceEvent;
import io.aegis.core.event.StateChanged;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.StalledServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Values that came from {@code ${VAR}} and URL credentials never leave the engine: not in configuration errors,
 * not in events or snapshots, not in the alerts a real webhook receiver gets.
 */
class SecretRedactionTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);
    /** A secret in a URL path: only the engine's ${VAR} rule can recognise it, not the URL rule. */
    private static final String PATH_SECRET = "pathsecret-4711";
    /** Written in the file, recognised by its parameter name. */
    private static final String QUERY_TOKEN = "querytoken-0815";

    private final LoopbackHttpServer receiver = LoopbackHttpServer.start();
    private final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    private Engine engine;

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        receiver.close();
    }

    @Test
    void aWebhookAlertAndTheEventsCarryNoSecretOfTheEndpoint() throws InterruptedException {
        String yaml = """
                services:
                  - name: api
                    type: http
                    endpoint: http://127.0.0.1:%d/hooks/${PATH_SECRET}?token=%s
                    interval: 100ms
                    timeout: 1s
                    actions:
                      onFailure: notify
                notifications:
                  webhook:
                    endpoint: http://127.0.0.1:%d/hook
                alerting:
                  route: {groupWait: 0s, groupInterval: 0s}
                """.formatted(StalledServer.refusedAddress().getPort(), QUERY_TOKEN, receiver.port());
        AegisConfig config = AegisConfig.parse(yaml, "aegis.yaml", Map.of("PATH_SECRET", PATH_SECRET));

        engine = Engine.builder().config(config).metricsEnabled(false).listener(events::add).build().start();
        assertThat(receiver.awaitRequests(1, AWAIT)).as("a webhook delivery").isTrue();
        // Listeners get events asynchronously; the change to UNHEALTHY comes after the checks it reports on.
        await().atMost(AWAIT).until(() -> events.stream().anyMatch(StateChanged.class::isInstance));

        assertThat(receiver.requests().get(0).body()).as("the webhook payload")
                .contains("\"summary\":\"api is unhealthy: ")
                .contains("/hooks/***?token=***").doesNotContain(PATH_SECRET, QUERY_TOKEN);
        assertThat(events).filteredOn(CheckCompleted.class::isInstance).isNotEmpty()
                .allSatisfy(event -> assertThat(((CheckCompleted) event).result().message())
                        .doesNotContain(PATH_SECRET, QUERY_TOKEN));
        assertThat(events).filteredOn(StateChanged.class::isInstance).isNotEmpty()
                .allSatisfy(event -> assertThat(((StateChanged) event).cause()).doesNotContain(PATH_SECRET, QUERY_TOKEN));
        assertThat(engine.service("api").orElseThrow().lastResult()).hasValueSatisfying(
                result -> assertThat(result.message()).contains("/hooks/***").doesNotContain(PATH_SECRET));
    }

    @Test
    void aConfigurationErrorDoesNotShowAValueFromTheEnvironment() {
        String yaml = """
                services:
                  - name: api
                    type: http
                    endpoint: http://127.0.0.1:1/health
                    timeout: ${TIMEOUT_SECRET}
                    expect:
                      status: ${STATUS_SECRET}
                """;
        AegisConfig config = AegisConfig.parse(yaml, "aegis.yaml",
                Map.of("TIMEOUT_SECRET", "not-a-duration-secret", "STATUS_SECRET", "not-a-status-secret"));

        assertThatThrownBy(() -> Engine.builder().config(config).metricsEnabled(false).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("services[0].timeout: ").hasMessageContaining("services[0].expect.status: ")
                .hasMessageContaining("\"***\"")
                .message().doesNotContain("not-a-duration-secret", "not-a-status-secret");
    }

    @Test
    void aHeaderValueWithALineBreakIsAnErrorThatDoesNotShowTheValue() {
        String yaml = """
                services:
                  - name: api
                    type: http
                    endpoint: http://127.0.0.1:1/health
                    headers:
                      Authorization: "Bearer ${API_TOKEN}"
                """;
        AegisConfig config = AegisConfig.parse(yaml, "aegis.yaml",
                Map.of("API_TOKEN", "tok-part-one\r\nX-Injected: tok-part-two"));

        assertThatThrownBy(() -> Engine.builder().config(config).metricsEnabled(false).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("services[0].headers.Authorization: ")
                .hasMessageContaining("line break")
                .message().doesNotContain("tok-part-one", "tok-part-two", "X-Injected", "\r");
    }

    @Test
    void aServiceDefinitionShowsItsEndpointWithoutCredentials() {
        ServiceDefinition service = ServiceDefinition.builder("api")
                .check("http", "https://alice:hunter22@api.example.com/health?api_key=k3y-value").build();

        assertThat(service.toString()).contains("https://alice:***@api.example.com/health?api_key=***")
                .doesNotContain("hunter22", "k3y-value");
    }
}
