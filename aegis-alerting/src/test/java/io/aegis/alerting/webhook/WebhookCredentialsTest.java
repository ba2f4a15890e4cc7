package io.aegis.alerting.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigException;
import io.aegis.api.Notifier;
import io.aegis.api.NotifierSpec;
import io.aegis.api.Settings;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.StalledServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Credentials of the webhook: sent as they are meant, never shown in its messages. */
class WebhookCredentialsTest {
    private final WebhookNotifierFactory factory = new WebhookNotifierFactory();
    private final BlockingQueue<String> authorizations = new LinkedBlockingQueue<>();
    private final LoopbackHttpServer server = LoopbackHttpServer.start();

    @BeforeEach
    void startReceiver() {
        server.handle("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
    }

    @AfterEach
    void stop() {
        factory.close();
        server.close();
    }

    @Test
    void sendsTheUserInfoOfTheEndpointAsBasicAuth() throws Exception {
        Notifier notifier = notifier(Map.of("endpoint",
                "http://alerts:s3cret@127.0.0.1:" + server.port() + "/hook"));

        notifier.deliver(WebhookPayloadTest.firing()).toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertThat(authorizations.poll(5, TimeUnit.SECONDS)).isEqualTo("Basic "
                + Base64.getEncoder().encodeToString("alerts:s3cret".getBytes(StandardCharsets.UTF_8)));
        assertThat(notifier.toString()).doesNotContain("s3cret");
    }

    @Test
    void rejectsUserInfoTogetherWithAnAuthorizationHeader() {
        assertThatThrownBy(() -> notifier(Map.of("endpoint", "https://alerts:s3cret@hooks.example.com/x",
                "headers", Map.of("Authorization", "Bearer t"))))
                .isInstanceOf(ConfigException.class)
                .hasMessage("notifications.webhook.endpoint: the URL has credentials"
                        + " (https://alerts:***@hooks.example.com/x), which are sent as an Authorization: Basic header,"
                        + " and headers sets Authorization too; keep only one of them");
    }

    @Test
    void rejectsAHeaderValueWithALineBreakWithoutShowingIt() {
        assertThatThrownBy(() -> notifier(Map.of("endpoint", "https://hooks.example.com/x",
                "headers", Map.of("Authorization", "Bearer tok-one\nX-Injected: tok-two"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("notifications.webhook.headers.Authorization: expected a header value on one"
                        + " line, found a line break")
                .message().doesNotContain("tok-one", "tok-two", "X-Injected");
    }

    @Test
    void aFailedDeliveryNamesTheWebhookWithoutItsCredentials() throws IOException {
        int closed = StalledServer.refusedAddress().getPort();
        Notifier notifier = notifier(Map.of("endpoint",
                "http://alerts:s3cret@127.0.0.1:" + closed + "/hook?token=qt0ken&team=sre"));

        assertThatThrownBy(() -> notifier.deliver(WebhookPayloadTest.firing()).toCompletableFuture()
                .get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause()
                .hasMessageContaining("webhook http://127.0.0.1:" + closed + "/hook?token=***&team=sre")
                .message().doesNotContain("s3cret", "qt0ken");
    }

    private Notifier notifier(Map<String, ?> settings) {
        return factory.create(new NotifierSpec("webhook", Settings.of("notifications.webhook", settings),
                Runnable::run));
    }
}
