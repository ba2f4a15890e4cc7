package io.aegis.core.internal.alerting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.Alert;
import io.aegis.api.Notification;
import io.aegis.api.Severity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertJsonTest {
    private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");

    @Test
    void aNotificationSurvivesTheRoundTripWithEveryField() {
        Alert firing = Alert.builder("ServiceDown", "db").severity(Severity.CRITICAL).summary("db is down")
                .label("team", "storage").description("all of it").runbookUrl("https://runbooks/db").startsAt(T0)
                .build();
        Alert resolved = Alert.builder("SlowChecks", "api").summary("slow").startsAt(T0).build()
                .resolve(T0.plusSeconds(60));
        Notification notification = new Notification("n-1", "{}:{service=\"db\"}", Map.of("service", "db"),
                List.of(firing, resolved), true, T0.plusSeconds(61));

        Notification read = AlertJson.notification(AlertJson.toJson(notification));

        assertThat(read).isEqualTo(notification);
        assertThat(read.alerts().get(0).fingerprint()).isEqualTo(firing.fingerprint());
    }

    @Test
    void aDamagedRecordIsRefusedWithTheFieldItLacks() {
        assertThatThrownBy(() -> AlertJson.alert(AlertJson.mapper().createObjectNode().put("name", "X")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("service");
    }
}
