package io.aegis.api;

import java.util.Objects;

/**
 * One mistake in a configuration: where it is (the key path, such as {@code services[2].runtime.command})
 * and what is wrong with it, as a sentence that says what was found and what was expected.
 *
 * <p>The engine adds the file, line and column when it reports the problem to a person.
 *
 * @param keyPath the dotted path of the offending key, with list indexes in brackets
 * @param message what was found and what was expected, for example
 *     {@code expected a duration like 500ms, 5s or 1m, found "5 seconds"}
 */
public record ConfigProblem(String keyPath, String message) {
    /**
     * Validates that both parts are present.
     *
     * @param keyPath the dotted path of the offending key, with list indexes in brackets
     * @param message what was found and what was expected, for example {@code expected a duration like 500ms, 5s or 1m,
     *     found "5 seconds"}
     */
    public ConfigProblem {
        Objects.requireNonNull(keyPath, "keyPath");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return keyPath + ": " + message;
    }
}
