package io.aegis.core.alerting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A matcher is a value (its regular expression compiled once) with Alertmanager's matching. */
class MatcherTest {

    @Test
    void aRegularExpressionMatchesTheWholeValueAndAMissingLabelIsTheEmptyString() {
        Matcher team = Matcher.parse("team=~\"pay.*\"");
        Matcher notDev = Matcher.parse("env!~dev|test");

        assertThat(team.matches(Map.of("team", "payments"))).isTrue();
        assertThat(team.matches(Map.of("team", "repay"))).as("anchored, as in Alertmanager").isFalse();
        assertThat(team.matches(Map.of())).isFalse();
        assertThat(notDev.matches(Map.of("env", "prod"))).isTrue();
        assertThat(notDev.matches(Map.of("env", "test"))).isFalse();
        assertThat(Matcher.parse("env=\"\"").matches(Map.of())).isTrue();
    }

    @Test
    void matchersOfTheSameTextAreEqualAndPrintAsAlertmanagerDoes() {
        Matcher parsed = Matcher.parse("severity=~ \"crit.*\"");
        Matcher built = new Matcher("severity", Matcher.Type.REGEX, "crit.*");

        assertThat(parsed).isEqualTo(built).hasSameHashCodeAs(built).isNotEqualTo(Matcher.equal("severity", "crit.*"));
        assertThat(parsed.name()).isEqualTo("severity");
        assertThat(parsed.type()).isEqualTo(Matcher.Type.REGEX);
        assertThat(parsed.value()).isEqualTo("crit.*");
        assertThat(parsed).hasToString("severity=~\"crit.*\"");
    }

    @Test
    void aBadRegularExpressionIsRefusedWhenTheMatcherIsMade() {
        assertThatThrownBy(() -> Matcher.parse("team=~\"(pay\"")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"(pay\" is no regular expression");
    }
}
