package io.aegis.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @Test
    void readsTheOriginalProjectsGoDurations() {
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("300ms")).isEqualTo(Duration.ofMillis(300));
        assertThat(Durations.parse("2h45m")).isEqualTo(Duration.ofMinutes(165));
        assertThat(Durations.parse("1m30.5s")).isEqualTo(Duration.ofMillis(90_500));
    }

    @Test
    void readsEveryUnitOfGo() {
        Map<String, Duration> cases = Map.of(
                "7ns", Duration.ofNanos(7),
                "250us", Duration.ofNanos(250_000),
                "250\u00b5s", Duration.ofNanos(250_000),
                "250\u03bcs", Duration.ofNanos(250_000),
                "1.5ms", Duration.ofNanos(1_500_000),
                "2m", Duration.ofMinutes(2),
                "1h1h", Duration.ofHours(2),
                "1h2m3s4ms5us6ns", Duration.ofHours(1).plusMinutes(2).plusSeconds(3).plusNanos(4_005_006));
        cases.forEach((text, expected) -> assertThat(Durations.parse(text)).as(text).isEqualTo(expected));
    }

    @Test
    void keepsTheFormsAegisReadBefore() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(Durations.parse(" 5S ")).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void acceptsFractionsAndSignsAsGoDoes() {
        assertThat(Durations.parse(".5s")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("5.s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("+5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("0")).isZero();
        assertThat(Durations.parse("-0")).isZero();
        assertThat(Durations.parse("0s")).isZero();
    }

    @Test
    void dropsDigitsBelowANanosecondLikeGo() {
        assertThat(Durations.parse("1.0000000009s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(Durations.parse("1.5ns")).isEqualTo(Duration.ofNanos(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"5 seconds", "5", "1.5", "s", ".s", ".", "1s2", "1x", "5s ago", "1h 30m", "--5s", "1e3s"})
    void rejectsWhatGoRejects(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("expected a duration like 500ms, 5s, 1m or 1h, found \"" + text + "\"");
    }

    @Test
    void saysWhichUnitABareNumberLacks() {
        assertThatThrownBy(() -> Durations.parse("30"))
                .hasMessage("expected a duration like 500ms, 5s, 1m or 1h, found \"30\" (add a unit: 30s?)");
    }

    @Test
    void rejectsNegativeDurationsSayingSo() {
        assertThatThrownBy(() -> Durations.parse("-1.5s"))
                .hasMessage("expected a duration like 500ms, 5s, 1m or 1h, found \"-1.5s\" (a duration cannot be negative)");
    }

    @Test
    void rejectsDurationsLongerThanGosLongest() {
        assertThat(Durations.parse("2562047h47m16.854775807s")).isEqualTo(Duration.ofNanos(Long.MAX_VALUE));
        assertThatThrownBy(() -> Durations.parse("2562048h"))
                .hasMessage("expected a duration like 500ms, 5s, 1m or 1h, found \"2562048h\", which is longer than"
                        + " the longest duration, 106751d23h47m16s854ms775us807ns");
    }

    @Test
    void formatsWhatParseReadsBack() {
        assertThat(Durations.format(Duration.ofMillis(90_000))).isEqualTo("1m30s");
        assertThat(Durations.format(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(Durations.format(Duration.ofNanos(1_500_000))).isEqualTo("1ms500us");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
        for (String text : new String[] {"1h30m", "1m30s500ms", "1ms500us", "2d3h", "7ns"}) {
            assertThat(Durations.parse(Durations.format(Durations.parse(text)))).as(text)
                    .isEqualTo(Durations.parse(text));
        }
    }
}
