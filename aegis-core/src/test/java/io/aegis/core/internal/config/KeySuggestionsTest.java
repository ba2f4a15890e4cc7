package io.aegis.core.internal.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class KeySuggestionsTest {

    @Test
    void suggestsAKeyOneOrTwoEditsAway() {
        assertThat(KeySuggestions.closest("intervall", List.of("timeout", "interval"))).contains("interval");
        assertThat(KeySuggestions.closest("enpoint", List.of("endpoint"))).contains("endpoint");
        assertThat(KeySuggestions.closest("htp", List.of("http", "tcp"))).contains("http");
    }

    @Test
    void ignoresCaseAndTheDifferenceBetweenSnakeAndCamelCase() {
        assertThat(KeySuggestions.closest("failure_threshold", List.of("failureThreshold"))).contains("failureThreshold");
        assertThat(KeySuggestions.closest("LogLevel", List.of("logLevel"))).contains("logLevel");
    }

    @Test
    void suggestsNothingForAWordFarFromEveryKey() {
        assertThat(KeySuggestions.closest("colour", List.of("logLevel", "metricsPort"))).isEmpty();
        assertThat(KeySuggestions.closest("ab", List.of("xy"))).isEmpty();
    }
}
