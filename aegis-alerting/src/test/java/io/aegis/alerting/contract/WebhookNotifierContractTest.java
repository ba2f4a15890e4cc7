package io.aegis.alerting.contract;

import io.aegis.alerting.webhook.WebhookNotifierFactory;
import io.aegis.api.NotifierFactory;
import io.aegis.api.Settings;
import io.aegis.testkit.Misconfiguration;
import io.aegis.testkit.NotifierContract;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** The {@code webhook} notifier against the SPI's rules. */
class WebhookNotifierContractTest extends NotifierContract {
    @Override
    protected NotifierFactory factory() {
        return new WebhookNotifierFactory();
    }

    @Override
    protected Settings receiverAt(URI receiver) {
        return Settings.of("notifications.webhook", Map.of("endpoint", receiver.toString(), "timeout", "1s"));
    }

    @Override
    protected List<Misconfiguration<Settings>> misconfigurations() {
        return List.of(Misconfiguration.at("notifications.webhook.endpoint",
                Settings.of("notifications.webhook", Map.of("endpoint", "ftp://hooks.example.com/"))));
    }
}
