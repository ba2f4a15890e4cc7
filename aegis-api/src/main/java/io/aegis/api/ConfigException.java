package io.aegis.api;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown when a configuration is invalid. Carries every {@link ConfigProblem} found, not only the first,
 * so a person can fix them all in one go.
 *
 * <p>Plugin factories throw it from {@code create} when their settings are wrong; the engine collects the
 * problems of every service and reports them together, with file and line.
 */
public class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Every problem found, in the order they were found (part of the serialized form). */
    private final List<ConfigProblem> problems;

    /**
     * Creates an exception for one or more problems; the list must not be empty.
     *
     * @param problems every problem found, at least one
     */
    public ConfigException(List<ConfigProblem> problems) {
        super(describe(problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /**
     * Creates an exception for a single problem.
     *
     * @param keyPath the key path of the offending key
     * @param message what was found and what was expected
     */
    public ConfigException(String keyPath, String message) {
        this(List.of(new ConfigProblem(keyPath, message)));
    }

    /** {@return every problem found, in the order they were found} */
    public List<ConfigProblem> problems() {
        return problems;
    }

    private static String describe(List<ConfigProblem> problems) {
        return problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n"));
    }
}
