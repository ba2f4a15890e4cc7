package io.aegis.alerting.contract;

import io.aegis.alerting.alertmanager.AlertmanagerNotifierFactory;
import io.aegis.api.NotifierFactory;
import io.aegis.api.Settings;
import io.aegis.testkit.Misconfiguration;
import io.aegis.testkit.NotifierContract;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** The {@code alertmanager} notifier against the SPI's rules (the receiver stands in for Alertmanager's API). */
class AlertmanagerNotifierContractTest extends NotifierContract {
    @Override
    protected NotifierFactory factory() {
        return new AlertmanagerNotifierFactory();
    }

    @Override
    protected Settings receiverAt(URI receiver) {
        return Settings.of("notifications.alertmanager", Map.of("urls", List.of(receiver.resolve("/").toString()),
                "timeout", "1s"));
    }

    @Override
    protected List<Misconfiguration<Settings>> misconfigurations() {
        return List.of(Misconfiguration.at("notifications.alertmanager.urls",
                Settings.of("notifications.alertmanager", Map.of("urls", List.of()))));
    }
}
