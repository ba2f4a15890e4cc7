package io.aegis.checkers.http;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.aegis.api.Settings;
import io.aegis.plugin.support.BoundedBody;
import io.aegis.plugin.support.ConfigProblems;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code expect.json}: values the JSON body must hold at given JSON pointers (RFC 6901), such as
 * {@code /status: UP} for Spring Boot Actuator and MicroProfile Health answers.
 *
 * <p>Values are compared as JSON values, so types matter: {@code "UP"} matches the string {@code "UP"} only,
 * {@code 3} matches the numbers {@code 3} and {@code 3.0} but not the string {@code "3"}, and {@code true}
 * matches the boolean only. A quoted YAML value ({@code "true"}) is a string.
 */
final class JsonConditions {
    /**
     * The mapper, built the first time a condition is read rather than when this class loads: an
     * {@code ObjectMapper} costs tens of milliseconds of class loading at start-up.
     */
    private static final class Jackson {
        // Immutable and thread-safe; rejects "{...} trailing junk", which is not one JSON document.
        static final ObjectMapper MAPPER = new ObjectMapper();
        static final ObjectReader READER = MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    private static final Pattern STRAY_TILDE = Pattern.compile("~(?![01])");
    private static final String ESCAPES = "expected a JSON pointer (RFC 6901) that writes ~ as ~0 and a / inside a"
            + " name as ~1";

    /** Pointer text (as configured, for messages) to pointer and expected value, in configuration order. */
    private final Map<String, Expectation> expectations;

    private record Expectation(JsonPointer pointer, JsonNode value) {
    }

    private JsonConditions(Map<String, Expectation> expectations) {
        this.expectations = expectations;
    }

    /** Reads {@code key} of {@code expect}; null when absent or invalid (with problems recorded). */
    static JsonConditions read(Settings expect, String key, ConfigProblems problems) {
        Object raw = expect.raw(key).orElse(null);
        if (raw == null) {
            return null;
        }
        String keyPath = expect.keyPath(key);
        if (!(raw instanceof Map)) {
            problems.add(keyPath, "expected a mapping of JSON pointers to values like \"/status\": UP, found "
                    + Settings.describe(raw));
            return null;
        }
        Map<?, ?> entries = (Map<?, ?>) raw;
        if (entries.isEmpty()) {
            problems.add(keyPath, "expected at least one JSON pointer like \"/status\": UP, found an empty mapping");
            return null;
        }
        Map<String, Expectation> expectations = new LinkedHashMap<>();
        boolean valid = true;
        for (Map.Entry<?, ?> entry : entries.entrySet()) {
            String pointer = String.valueOf(entry.getKey());
            String entryPath = keyPath + "." + pointer;
            JsonPointer compiled = pointer(pointer, entryPath, problems);
            JsonNode value = expectedValue(entry.getValue(), entryPath, problems);
            if (compiled == null || value == null) {
                valid = false;
            } else {
                expectations.put(pointer, new Expectation(compiled, value));
            }
        }
        return valid ? new JsonConditions(Collections.unmodifiableMap(expectations)) : null;
    }

    private static JsonPointer pointer(String text, String keyPath, ConfigProblems problems) {
        // The empty pointer ("the whole document") is valid RFC 6901, but a health body is an object; a key
        // without the slash ("status") is the likely mistake, so name the fix.
        if (!text.startsWith("/")) {
            problems.add(keyPath, "expected a JSON pointer that starts with \"/\" like \"/" + text + "\", found \""
                    + text + "\"");
            return null;
        }
        // Jackson keeps a stray "~" literally; RFC 6901 allows only ~0 and ~1, and a stray one is a typo
        if (STRAY_TILDE.matcher(text).find()) {
            problems.add(keyPath, ESCAPES + ", found \"" + text + "\"");
            return null;
        }
        try {
            return JsonPointer.compile(text);
        } catch (IllegalArgumentException e) {
            problems.add(keyPath, ESCAPES + ", found \"" + text + "\" (" + e.getMessage() + ")");
            return null;
        }
    }

    private static JsonNode expectedValue(Object value, String keyPath, ConfigProblems problems) {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
                || value instanceof Long || value instanceof BigInteger || value instanceof Double
                || value instanceof Float || value instanceof BigDecimal || value instanceof Short) {
            return Jackson.MAPPER.valueToTree(value);
        }
        problems.add(keyPath, "expected a single value (text, a number, true, false or null), found "
                + Settings.describe(value));
        return null;
    }

    /**
     * Returns why {@code body} does not meet every condition (all mismatches, separated by "; "), or null
     * when it does.
     */
    String mismatch(BoundedBody body) {
        if (body.truncated()) {
            return "body is longer than " + BoundedBody.LIMIT / 1024 + " KiB, too long to read as JSON";
        }
        JsonNode document;
        try {
            document = Jackson.READER.readTree(body.text());
        } catch (JsonProcessingException e) {
            return "body is not JSON: " + firstLine(e.getOriginalMessage());
        }
        if (document == null || document.isMissingNode()) {
            return "body is empty, expected JSON";
        }
        List<String> mismatches = new ArrayList<>();
        expectations.forEach((text, expectation) -> {
            JsonNode actual = document.at(expectation.pointer());
            if (!matches(actual, expectation.value())) {
                mismatches.add(text + " is " + describe(actual) + ", expected " + expectation.value());
            }
        });
        return mismatches.isEmpty() ? null : String.join("; ", mismatches);
    }

    private static boolean matches(JsonNode actual, JsonNode expected) {
        if (actual.isNumber() && expected.isNumber()) {
            // 3 and 3.0 are the same JSON number; JsonNode.equals would tell them apart by their Java type
            return actual.decimalValue().compareTo(expected.decimalValue()) == 0;
        }
        return actual.equals(expected);
    }

    private static String describe(JsonNode node) {
        if (node.isMissingNode()) {
            return "missing";
        }
        if (node.isObject()) {
            return "an object";
        }
        if (node.isArray()) {
            return "an array";
        }
        return node.toString();
    }

    private static String firstLine(String message) {
        String text = message == null ? "" : message;
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }
}
