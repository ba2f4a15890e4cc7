package io.aegis.alerting.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void escapesQuotesBackslashesAndLineBreaks() {
        assertThat(Json.quote("say \"hi\"\\now\r\n\tdone"))
                .isEqualTo("\"say \\\"hi\\\"\\\\now\\r\\n\\tdone\"");
    }

    @Test
    void escapesEveryControlCharacterAsUnicode() {
        assertThat(Json.quote("a\u0000b\u0001c\u001fd\u0008\u000c")).isEqualTo("\"a\\u0000b\\u0001c\\u001fd\\b\\f\"");
    }

    @Test
    void escapesJavaScriptLineSeparators() {
        assertThat(Json.quote("x\u2028y\u2029")).isEqualTo("\"x\\u2028y\\u2029\"");
    }

    @Test
    void keepsNonAsciiTextAsIs() {
        assertThat(Json.quote("café ✓ 😀 /")).isEqualTo("\"café ✓ 😀 /\"");
    }

    @Test
    void writesNestedObjectsInIterationOrderAndLists() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("b", 1);
        value.put("a", List.of("x", true));
        value.put("n", null);
        value.put("d", 2.5);
        value.put("o", Map.of());

        assertThat(Json.write(value)).isEqualTo("{\"b\":1,\"a\":[\"x\",true],\"n\":null,\"d\":2.5,\"o\":{}}");
    }

    @Test
    void writesEmptyListAndListWithNull() {
        assertThat(Json.write(List.of())).isEqualTo("[]");
        assertThat(Json.write(Arrays.asList("a", null))).isEqualTo("[\"a\",null]");
    }

    @Test
    void rejectsNumbersJsonCannotRepresent() {
        assertThatThrownBy(() -> Json.write(Double.NaN)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("JSON has no representation for NaN");
    }

    @Test
    void rejectsUnknownTypes() {
        assertThatThrownBy(() -> Json.write(new Object())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot write a java.lang.Object as JSON");
    }
}
