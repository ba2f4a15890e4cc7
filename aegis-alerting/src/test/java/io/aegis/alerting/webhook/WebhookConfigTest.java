package io.aegis.alerting.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.NotifierSpec;
import io.aegis.api.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the webhook notifier's settings are validated. */
class WebhookConfigTest {
    private final WebhookNotifierFactory factory = new WebhookNotifierFactory();

    @AfterEach
    void closeFactory() {
        factory.close();
    }

    @Test
    void readsTheSeedReadmeExample() {
        WebhookConfig config = WebhookConfig.from(settings(Map.of("enabled", true,
                "endpoint", "http://localhost:8080/webhook",
                "headers", Map.of("Authorization", "Bearer example-token", "Content-Type", "application/json"))));

        assertThat(config.endpoint()).hasToString("http://localhost:8080/webhook");
        assertThat(config.headers()).containsOnly(Map.entry("Authorization", "Bearer example-token"),
                Map.entry("Content-Type", "application/json"));
        assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void readsTimeout() {
        assertThat(WebhookConfig.from(settings(Map.of("endpoint", "https://h/x", "timeout", "2s"))).timeout())
                .isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void rejectsAnEndpointThatIsNotAUrl() {
        assertThatThrownBy(() -> create(Map.of("endpoint", "x")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("notifications.webhook.endpoint: expected an http:// or https:// URL, found \"x\"");
    }

    @Test
    void rejectsAnEndpointWithAnotherScheme() {
        assertThatThrownBy(() -> create(Map.of("endpoint", "ftp://host/hook")))
                .hasMessage("notifications.webhook.endpoint: expected an http:// or https:// URL, found"
                        + " \"ftp://host/hook\"");
    }

    @Test
    void rejectsAMissingEndpoint() {
        assertThatThrownBy(() -> create(Map.of("enabled", true)))
                .hasMessage("notifications.webhook.endpoint: missing: expected an http:// or https:// URL");
    }

    @Test
    void rejectsAZeroTimeout() {
        assertThatThrownBy(() -> create(Map.of("endpoint", "http://h/x", "timeout", "0s")))
                .hasMessage("notifications.webhook.timeout: expected a positive duration like 10s, found 0s");
    }

    @Test
    void rejectsAHeaderTheClientSetsItself() {
        assertThatThrownBy(() -> create(Map.of("endpoint", "http://h/x", "headers", Map.of("Host", "other"))))
                .hasMessage("notifications.webhook.headers.Host: the HTTP client sets the header \"Host\" itself;"
                        + " remove it");
    }

    @Test
    void formatIsAlertmanagerByDefaultAndAegisOnRequest() {
        assertThat(WebhookConfig.from(settings(Map.of("endpoint", "http://h/x"))).format())
                .isEqualTo(WebhookConfig.Format.ALERTMANAGER);
        assertThat(WebhookConfig.from(settings(Map.of("endpoint", "http://h/x", "format", "aegis"))).format())
                .isEqualTo(WebhookConfig.Format.AEGIS);
    }

    @Test
    void rejectsAnUnknownFormat() {
        assertThatThrownBy(() -> create(Map.of("endpoint", "http://h/x", "format", "slack")))
                .hasMessage("notifications.webhook.format: expected alertmanager (Alertmanager's webhook payload, one"
                        + " request per notification; the default) or aegis (one flat JSON object per alert), found"
                        + " \"slack\"");
    }

    @Test
    void rejectsAnEmptySigningSecret() {
        assertThatThrownBy(() -> create(Map.of("endpoint", "http://h/x", "signingSecret", "")))
                .hasMessageStartingWith("notifications.webhook.signingSecret: the signing secret is empty;");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> create(Map.of("endpoint", "x", "timeout", "soon", "enabled", "maybe",
                "headers", "Authorization")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath)
                        .containsExactly("notifications.webhook.enabled", "notifications.webhook.endpoint",
                                "notifications.webhook.headers", "notifications.webhook.timeout"));
    }

    private void create(Map<String, ?> values) {
        factory.create(new NotifierSpec("webhook", settings(values), Runnable::run));
    }

    private static Settings settings(Map<String, ?> values) {
        return Settings.of("notifications.webhook", values);
    }
}
