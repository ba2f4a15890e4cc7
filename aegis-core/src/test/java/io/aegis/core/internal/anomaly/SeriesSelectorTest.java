package io.aegis.core.internal.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.core.internal.anomaly.PrometheusText.Labels;
import org.junit.jupiter.api.Test;

class SeriesSelectorTest {
    private static final Labels GET_200 = Labels.of("method", "get", "code", "200", "job", "api");

    @Test
    void aBareNameSelectsEverySeriesOfThatNameAndNoOther() {
        SeriesSelector selector = SeriesSelector.parse("http_requests_total");

        assertThat(selector.matches("http_requests_total", GET_200)).isTrue();
        assertThat(selector.matches("http_requests_total", Labels.EMPTY)).isTrue();
        assertThat(selector.matches("http_requests", GET_200)).isFalse();
        assertThat(selector.metricName()).isEqualTo("http_requests_total");
    }

    @Test
    void equalityMatcherNeedsTheExactValue() {
        SeriesSelector selector = SeriesSelector.parse("rpc_duration_seconds_bucket{method=\"get\"}");

        assertThat(selector.matches("rpc_duration_seconds_bucket", GET_200)).isTrue();
        assertThat(selector.matches("rpc_duration_seconds_bucket", Labels.of("method", "GET"))).isFalse();
        assertThat(selector.matches("rpc_duration_seconds_bucket", Labels.EMPTY)).isFalse();
    }

    @Test
    void inequalityMatcherAlsoSelectsSeriesWithoutTheLabel() {
        SeriesSelector selector = SeriesSelector.parse("up{job!=\"api\"}");

        assertThat(selector.matches("up", Labels.of("job", "db"))).isTrue();
        assertThat(selector.matches("up", Labels.EMPTY)).as("a missing label is the empty value").isTrue();
        assertThat(selector.matches("up", Labels.of("job", "api"))).isFalse();
    }

    @Test
    void emptyEqualityMatcherSelectsSeriesWithoutTheLabel() {
        SeriesSelector selector = SeriesSelector.parse("up{zone=\"\"}");

        assertThat(selector.matches("up", Labels.of("job", "db"))).isTrue();
        assertThat(selector.matches("up", Labels.of("zone", "eu"))).isFalse();
    }

    @Test
    void regexMatcherIsAnchoredAtBothEnds() {
        SeriesSelector selector = SeriesSelector.parse("http_requests_total{code=~\"5..\"}");

        assertThat(selector.matches("http_requests_total", Labels.of("code", "503"))).isTrue();
        assertThat(selector.matches("http_requests_total", Labels.of("code", "1500"))).isFalse();
        assertThat(selector.matches("http_requests_total", Labels.of("code", "5003"))).isFalse();
        assertThat(selector.matches("http_requests_total", Labels.of("code", "503\n"))).isFalse();
    }

    @Test
    void regexOfPlainAlternativesIsAnchoredToo() {
        SeriesSelector selector = SeriesSelector.parse("http_requests_total{code=~\"500|503\"}");

        assertThat(selector.matches("http_requests_total", Labels.of("code", "503"))).isTrue();
        assertThat(selector.matches("http_requests_total", Labels.of("code", "5003"))).isFalse();
        assertThat(selector.matches("http_requests_total", Labels.of("code", "500 "))).isFalse();
        assertThat(selector.matches("http_requests_total", Labels.EMPTY)).isFalse();
    }

    @Test
    void regexDotMatchesANewlineAsInPrometheus3() {
        SeriesSelector selector = SeriesSelector.parse("log_lines_total{message=~\"a.b\"}");

        assertThat(selector.matches("log_lines_total", Labels.of("message", "a\nb"))).isTrue();
    }

    @Test
    void negativeRegexMatcherRejectsWhatTheRegexMatches() {
        SeriesSelector selector = SeriesSelector.parse("http_requests_total{code!~\"5..\"}");

        assertThat(selector.matches("http_requests_total", Labels.of("code", "200"))).isTrue();
        assertThat(selector.matches("http_requests_total", Labels.of("code", "1500"))).isTrue();
        assertThat(selector.matches("http_requests_total", Labels.of("code", "502"))).isFalse();
    }

    @Test
    void everyMatcherMustHold() {
        SeriesSelector selector = SeriesSelector.parse("http_requests_total{method=\"get\",code=~\"2..\"}");

        assertThat(selector.matches("http_requests_total", GET_200)).isTrue();
        assertThat(selector.matches("http_requests_total", Labels.of("method", "get", "code", "404"))).isFalse();
        assertThat(selector.matches("http_requests_total", Labels.of("method", "put", "code", "200"))).isFalse();
    }

    @Test
    void nameMatcherComparesTheMetricName() {
        SeriesSelector selector = SeriesSelector.parse("{__name__=~\"http_.*_total\",job=\"api\"}");

        assertThat(selector.matches("http_requests_total", GET_200)).isTrue();
        assertThat(selector.matches("grpc_requests_total", GET_200)).isFalse();
        assertThat(selector.metricName()).as("a pattern names no single metric").isNull();
        assertThat(selector.matchesName("http_errors_total")).isTrue();
        assertThat(selector.matchesName("http_errors")).isFalse();
    }

    @Test
    void nameEqualityMatcherIsTheMetricName() {
        SeriesSelector selector = SeriesSelector.parse("{__name__=\"x\",job!=\"a\"}");

        assertThat(selector.metricName()).isEqualTo("x");
        assertThat(selector.matches("x", Labels.of("job", "b"))).isTrue();
        assertThat(selector.matches("x", Labels.of("job", "a"))).isFalse();
        assertThat(selector.matches("y", Labels.of("job", "b"))).isFalse();
        assertThat(selector).isEqualTo(SeriesSelector.parse("x{job!=\"a\"}"));
        assertThat(selector.toString()).isEqualTo("x{job!=\"a\"}");
    }

    @Test
    void matchesNameLooksOnlyAtTheName() {
        SeriesSelector selector = SeriesSelector.parse("http_requests_total{code=~\"5..\"}");

        assertThat(selector.matchesName("http_requests_total")).isTrue();
        assertThat(selector.matchesName("http_requests")).isFalse();
    }

    @Test
    void acceptsSingleQuotesBackticksEscapesAndSpaces() {
        SeriesSelector selector = SeriesSelector.parse(
                " http_requests_total { path = 'it\\'s \"here\"' , code =~ `5\\d\\d` , job!=\"a\\\\b\\n\" , } ");

        Labels labels = Labels.of("path", "it's \"here\"", "code", "503", "job", "x");
        assertThat(selector.matches("http_requests_total", labels)).isTrue();
        assertThat(selector.toString())
                .isEqualTo("http_requests_total{path=\"it's \\\"here\\\"\",code=~\"5\\\\d\\\\d\",job!=\"a\\\\b\\n\"}");
    }

    @Test
    void normalFormParsesBackToAnEqualSelector() {
        for (String text : new String[] {
            "up", "up{job=\"a\"}", "{__name__=~\"a|b\"}", "x{a=~'\\u00e9\\t'}", "{__name__=\"a.b\"}",
            "{__name__=\"x\",__name__!=\"y\"}",
        }) {
            SeriesSelector selector = SeriesSelector.parse(text);
            assertThat(SeriesSelector.parse(selector.toString())).as(text).isEqualTo(selector)
                    .hasToString(selector.toString());
        }
    }

    @Test
    void reportsAnUnclosedQuoteWithThePositionWhereTheValueOpened() {
        assertThatThrownBy(() -> SeriesSelector.parse("http_requests_total{code=\"5.."))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("position 30: expected a closing '\"' for the value that opens at position 26");
    }

    @Test
    void reportsAMissingOperator() {
        assertThatThrownBy(() -> SeriesSelector.parse("up{job \"api\"}"))
                .hasMessage("position 8: expected '=', '!=', '=~' or '!~' after label name \"job\", found '\"'");
        assertThatThrownBy(() -> SeriesSelector.parse("up{job=<\"api\"}"))
                .hasMessage("position 8: expected a quoted value for label \"job\", found '<'");
    }

    @Test
    void reportsWhatFollowsASelector() {
        assertThatThrownBy(() -> SeriesSelector.parse("up{job=\"api\"}[5m]"))
                .hasMessage("position 14: expected the end of the selector after '}', found '['");
        assertThatThrownBy(() -> SeriesSelector.parse("rate(up)"))
                .hasMessage("position 5: expected '{' or the end of the selector after the metric name, found '('");
        assertThatThrownBy(() -> SeriesSelector.parse("up{job=\"api\" code=\"1\"}"))
                .hasMessage("position 14: expected ',' or '}' after the matcher for label \"job\", found 'c'");
    }

    @Test
    void reportsAnEmptySelectorAndOneThatWouldSelectEverything() {
        assertThatThrownBy(() -> SeriesSelector.parse("  "))
                .hasMessage("position 3: expected a metric name or '{', found the end of the selector");
        assertThatThrownBy(() -> SeriesSelector.parse("{job=~\".*\"}"))
                .hasMessageStartingWith(
                        "position 1: expected a metric name or a matcher that does not match the empty value");
        assertThat(SeriesSelector.parse("{job=~\".+\"}").matches("up", Labels.of("job", "x"))).isTrue();
    }

    @Test
    void reportsAMetricNameGivenTwice() {
        assertThatThrownBy(() -> SeriesSelector.parse("up{job=\"a\",__name__=\"down\"}")).hasMessage(
                "position 12: the metric name is already given as \"up\" at position 1;"
                        + " a selector may not set it twice");
    }

    @Test
    void reportsAnInvalidRegexAtItsValue() {
        assertThatThrownBy(() -> SeriesSelector.parse("up{code=~\"5(\"}"))
                .hasMessageStartingWith("position 10: the regex for label \"code\" is not valid: ");
    }

    @Test
    void reportsAnUnknownEscapeAndSuggestsTheRightOne() {
        assertThatThrownBy(() -> SeriesSelector.parse("up{code=~\"5\\d\"}"))
                .hasMessageStartingWith("position 12: unknown escape '\\d'");
    }

    @Test
    void reportsALabelNameThatIsNotOne() {
        assertThatThrownBy(() -> SeriesSelector.parse("up{1a=\"x\"}"))
                .hasMessage("position 4: expected a label name or '}', found '1'");
    }
}
