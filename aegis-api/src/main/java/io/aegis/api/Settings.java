package io.aegis.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A read-only, typed view over one block of configuration (a YAML mapping), handed to plugin factories.
 *
 * <p>Values are what YAML gives: strings, numbers, booleans, lists and nested mappings. The typed accessors
 * convert leniently where a person would expect it ({@code "5"} is an integer, {@code "true"} a boolean,
 * because {@code ${VAR}} substitution yields text) and otherwise throw a {@link ConfigException} whose key
 * path names the offending key. Keys a plugin never reads are reported by the engine as unknown keys, so a
 * typo does not go unnoticed.
 *
 * <p>{@link #of(String, Map)} builds one from a plain map, for tests and for services defined in code.
 */
public interface Settings {

    /** {@return the key path of this block, for example {@code services[0].runtime}; empty for the root} */
    String path();

    /** {@return the keys present in this block, in file order} */
    Set<String> keys();

    /**
     * {@return the raw value under {@code key}: a String, Number, Boolean, List or Map; empty when absent or null}
     *
     * @param key a key of this block
     */
    Optional<Object> raw(String key);

    /**
     * {@return the nested block under {@code key}; empty when absent} Throws when the value is not a mapping.
     *
     * @param key a key of this block
     */
    Optional<Settings> section(String key);

    /**
     * {@return the list of blocks under {@code key}; empty when absent} Throws when it is not a list of mappings.
     *
     * @param key a key of this block
     */
    List<Settings> sections(String key);

    /**
     * Creates settings over a map (values as YAML would give them), rooted at {@code path}.
     *
     * @param path the key path of the block, such as {@code services[0].runtime}; empty for the root
     * @param values the block's keys and values, as YAML would give them
     * @return settings over {@code values}
     */
    static Settings of(String path, Map<String, ?> values) {
        return new MapSettings(path, values);
    }

    /**
     * Empty settings rooted at {@code path}.
     *
     * @param path the key path of the block, such as {@code services[0].runtime}; empty for the root
     * @return settings with no key
     */
    static Settings empty(String path) {
        return new MapSettings(path, Map.of());
    }

    /**
     * {@return the full key path of {@code key} inside this block, for error messages}
     *
     * @param key a key of this block
     */
    default String keyPath(String key) {
        return path().isEmpty() ? key : path() + "." + key;
    }

    /**
     * {@return whether {@code key} is present with a non-null value}
     *
     * @param key a key of this block
     */
    default boolean has(String key) {
        return raw(key).isPresent();
    }

    /**
     * {@return a scalar as text (numbers and booleans are converted); empty when absent}
     *
     * @param key a key of this block
     */
    default Optional<String> string(String key) {
        return raw(key).map(value -> {
            if (value instanceof String || value instanceof Number || value instanceof Boolean) {
                return value.toString();
            }
            throw invalid(key, "expected a single value", value);
        });
    }

    /**
     * {@return a scalar as text, or {@code defaultValue} when absent}
     *
     * @param key a key of this block
     * @param defaultValue what to return when the key is absent
     */
    default String string(String key, String defaultValue) {
        return string(key).orElse(defaultValue);
    }

    /**
     * A scalar as text that must be present and not blank.
     *
     * @param key a key of this block
     * @param whatItIs what the value should be, for the error message (such as {@code "a command"})
     * @return the value
     */
    default String requireString(String key, String whatItIs) {
        String value = string(key).orElseThrow(() -> new ConfigException(keyPath(key), "missing: expected " + whatItIs));
        if (value.isBlank()) {
            throw new ConfigException(keyPath(key), "expected " + whatItIs + ", found an empty value");
        }
        return value;
    }

    /**
     * {@return a whole number; empty when absent}
     *
     * @param key a key of this block
     */
    default Optional<Long> integer(String key) {
        return raw(key).map(value -> {
            if (value instanceof Integer || value instanceof Long || value instanceof Short) {
                return ((Number) value).longValue();
            }
            if (value instanceof String) {
                try {
                    return Long.parseLong(((String) value).trim());
                } catch (NumberFormatException e) {
                    // fall through to the error below
                }
            }
            throw invalid(key, "expected a whole number", value);
        });
    }

    /**
     * {@return a whole number within {@code [min, max]}, or {@code defaultValue} when absent}
     *
     * @param key a key of this block
     * @param defaultValue what to return when the key is absent
     * @param min the smallest value allowed
     * @param max the largest value allowed
     */
    default long integer(String key, long defaultValue, long min, long max) {
        long value = integer(key).orElse(defaultValue);
        if (value < min || value > max) {
            throw new ConfigException(keyPath(key),
                    "expected a whole number from " + min + " to " + max + ", found " + value);
        }
        return value;
    }

    /**
     * {@return a number (integer or decimal); empty when absent}
     *
     * @param key a key of this block
     */
    default Optional<Double> number(String key) {
        return raw(key).map(value -> {
            if (value instanceof Number) {
                return ((Number) value).doubleValue();
            }
            if (value instanceof String) {
                try {
                    return Double.parseDouble(((String) value).trim());
                } catch (NumberFormatException e) {
                    // fall through to the error below
                }
            }
            throw invalid(key, "expected a number", value);
        });
    }

    /**
     * {@return a boolean ({@code true}/{@code false}, also as text); empty when absent}
     *
     * @param key a key of this block
     */
    default Optional<Boolean> bool(String key) {
        return raw(key).map(value -> {
            if (value instanceof Boolean) {
                return (Boolean) value;
            }
            if (value instanceof String) {
                String text = ((String) value).trim();
                if (text.equalsIgnoreCase("true")) {
                    return true;
                }
                if (text.equalsIgnoreCase("false")) {
                    return false;
                }
            }
            throw invalid(key, "expected true or false", value);
        });
    }

    /**
     * {@return a boolean, or {@code defaultValue} when absent}
     *
     * @param key a key of this block
     * @param defaultValue what to return when the key is absent
     */
    default boolean bool(String key, boolean defaultValue) {
        return bool(key).orElse(defaultValue);
    }

    /**
     * {@return a duration such as {@code 500ms}, {@code 5s}, {@code 1m}, {@code 1h30m} (see {@link Durations#parse});
     * an unquoted {@code 0}, which YAML reads as a number, is zero, as in Go} Empty when absent.
     *
     * @param key a key of this block
     */
    default Optional<Duration> duration(String key) {
        return raw(key).map(value -> {
            if ((value instanceof Integer || value instanceof Long) && ((Number) value).longValue() == 0) {
                return Duration.ZERO;
            }
            if (!(value instanceof String)) {
                throw invalid(key, "expected a duration like 500ms, 5s, 1m or 1h", value);
            }
            try {
                return Durations.parse((String) value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(keyPath(key), e.getMessage());
            }
        });
    }

    /**
     * {@return a duration, or {@code defaultValue} when absent}
     *
     * @param key a key of this block
     * @param defaultValue what to return when the key is absent
     */
    default Duration duration(String key, Duration defaultValue) {
        return duration(key).orElse(defaultValue);
    }

    /**
     * {@return a list of scalars as text; a single scalar counts as a list of one} Empty list when absent.
     *
     * @param key a key of this block
     */
    default List<String> stringList(String key) {
        Optional<Object> raw = raw(key);
        if (raw.isEmpty()) {
            return List.of();
        }
        Object value = raw.get();
        if (!(value instanceof List)) {
            return List.of(string(key).orElseThrow());
        }
        List<String> result = new ArrayList<>();
        List<?> items = (List<?>) value;
        for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            if (!(item instanceof String || item instanceof Number || item instanceof Boolean)) {
                throw invalid(key + "[" + i + "]", "expected a single value", item);
            }
            result.add(item.toString());
        }
        return List.copyOf(result);
    }

    /**
     * {@return a mapping of text to text (e.g. headers, environment); empty map when absent}
     *
     * @param key a key of this block
     */
    default Map<String, String> stringMap(String key) {
        Optional<Object> raw = raw(key);
        if (raw.isEmpty()) {
            return Map.of();
        }
        if (!(raw.get() instanceof Map)) {
            throw invalid(key, "expected a mapping of names to values", raw.get());
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) raw.get()).entrySet()) {
            Object item = entry.getValue();
            if (item != null && !(item instanceof String || item instanceof Number || item instanceof Boolean)) {
                throw invalid(key + "." + entry.getKey(), "expected a single value", item);
            }
            result.put(String.valueOf(entry.getKey()), item == null ? "" : item.toString());
        }
        return java.util.Collections.unmodifiableMap(result);
    }

    /**
     * Builds the exception for a value of the wrong shape, naming what was found.
     *
     * @param key the offending key of this block
     * @param expected what was expected, such as {@code "expected a whole number"}
     * @param found the value found
     * @return an exception naming the key path, what was expected and what was found
     */
    default ConfigException invalid(String key, String expected, Object found) {
        return new ConfigException(keyPath(key), expected + ", found " + describe(found));
    }

    /**
     * Describes a raw value for an error message: {@code "abc"}, {@code 42}, {@code a list}, {@code a mapping}.
     *
     * @param value a raw value (String, Number, Boolean, List, Map or null)
     * @return the value described in a few words
     */
    static String describe(Object value) {
        if (value == null) {
            return "nothing";
        }
        if (value instanceof String) {
            return "\"" + value + "\"";
        }
        if (value instanceof List) {
            return "a list";
        }
        if (value instanceof Map) {
            return "a mapping";
        }
        return value.toString();
    }
}
