package io.aegis.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The identity of an alert (its equality with Alertmanager's fingerprint is tested against a real one). */
class AlertTest {
    private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");

    @Test
    void theFingerprintIsOfTheLabelsAloneWhateverTheirOrder() {
        Map<String, String> oneOrder = new LinkedHashMap<>();
        oneOrder.put("team", "web");
        oneOrder.put("zone", "a");
        Map<String, String> otherOrder = new LinkedHashMap<>();
        otherOrder.put("zone", "a");
        otherOrder.put("team", "web");
        Alert one = Alert.builder("ServiceDown", "api").labels(oneOrder).summary("one").startsAt(T0).build();
        Alert other = Alert.builder("ServiceDown", "api").labels(otherOrder).summary("another text")
                .description("more").startsAt(T0.plusSeconds(5)).build();

        assertThat(one.fingerprint()).matches("[0-9a-f]{16}").isEqualTo(other.fingerprint())
                .isEqualTo(one.resolve(T0.plusSeconds(9)).fingerprint());
        assertThat(one.labelSet()).containsExactly(Map.entry("alertname", "ServiceDown"), Map.entry("service", "api"),
                Map.entry("severity", "warning"), Map.entry("team", "web"), Map.entry("zone", "a"));
        assertThat(one.toBuilder().label("zone", "b").build().fingerprint()).isNotEqualTo(one.fingerprint());
        assertThat(one.toBuilder().severity(Severity.CRITICAL).build().fingerprint()).isNotEqualTo(one.fingerprint());
    }

    @Test
    void aLabelTheAlertSetsItselfCannotBeAnExtraLabel() {
        assertThatThrownBy(() -> Alert.builder("X", "api").label("service", "db").startsAt(T0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("service");
    }
}
