package io.aegis.alerting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.alerting.webhook.WebhookNotifierFactory;
import io.aegis.api.Alert;
import io.aegis.api.Notifier;
import io.aegis.api.NotifierFactory;
import io.aegis.api.NotifierSpec;
import io.aegis.api.Settings;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** How the factories are found, and what they do once the engine has closed them. */
class FactoryLifecycleTest {
    private static final NotifierSpec WEBHOOK = new NotifierSpec("webhook",
            Settings.of("notifications.webhook", Map.of("endpoint", "http://127.0.0.1:9/hook")), Runnable::run);

    @Test
    void serviceLoaderFindsTheWebhookAlertmanagerAndLogFactories() {
        List<String> types = ServiceLoader.load(NotifierFactory.class).stream()
                .map(provider -> provider.get().type())
                .collect(Collectors.toList());

        assertThat(types).containsExactlyInAnyOrder("webhook", "alertmanager", "log");
    }

    @Test
    void webhookFactoryRefusesToCreateNotifiersAfterClose() {
        WebhookNotifierFactory factory = new WebhookNotifierFactory();
        factory.close();

        assertThatThrownBy(() -> factory.create(WEBHOOK))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the webhook notifier factory is closed");
    }

    @Test
    void webhookNotifierFailsInsteadOfThrowingAfterItsFactoryIsClosed() {
        WebhookNotifierFactory factory = new WebhookNotifierFactory();
        Notifier notifier = factory.create(WEBHOOK);
        factory.close();

        Alert alert = Alert.builder("ServiceUnhealthy", "api").startsAt(Instant.EPOCH).build();

        assertThatThrownBy(() -> notifier.deliver(alert).toCompletableFuture().get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().hasMessage("the webhook notifier is closed");
    }

    @Test
    void closingAWebhookFactoryTwiceIsHarmless() {
        WebhookNotifierFactory factory = new WebhookNotifierFactory();
        factory.create(WEBHOOK);

        factory.close();
        factory.close();
    }
}
