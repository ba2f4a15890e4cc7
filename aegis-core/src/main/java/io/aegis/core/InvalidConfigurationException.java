package io.aegis.core;

import java.util.List;

/**
 * Thrown when a configuration cannot be used: the file cannot be read, is not YAML, or has mistakes. Carries
 * every mistake found, one formatted line each ({@code aegis.yaml:7:15: services[0].interval: expected a
 * duration like 500ms, 5s, 1m or 1h, found "5 seconds"}), so a person can fix them all in one go.
 *
 * <p>{@link #getMessage()} is meant to be printed as it is: a first line with the count, then one indented line
 * per mistake.
 */
public final class InvalidConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Every error, one formatted line each (part of the serialized form). */
    private final List<String> errors;

    /**
     * Creates the exception for one or more formatted error lines.
     *
     * @param errors the formatted error lines, at least one
     */
    public InvalidConfigurationException(List<String> errors) {
        super(describe(errors));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("an InvalidConfigurationException needs at least one error");
        }
        this.errors = List.copyOf(errors);
    }

    /** {@return every error, one formatted line each, in the order a person should read them (by line in the file)} */
    public List<String> errors() {
        return errors;
    }

    private static String describe(List<String> errors) {
        StringBuilder sb = new StringBuilder("invalid configuration: ")
                .append(errors.size()).append(errors.size() == 1 ? " error" : " errors");
        for (String error : errors) {
            sb.append("\n  ").append(error);
        }
        return sb.toString();
    }
}
