package io.aegis.plugin.support;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Collects every problem of one plugin's settings, so that a person sees all of them at once instead of
 * fixing one key per restart: read each key through {@link #read}, then {@link #throwIfAny()}.
 */
public final class ConfigProblems {
    private final List<ConfigProblem> problems = new ArrayList<>();

    /** Creates an empty collection. */
    public ConfigProblems() {
    }

    /**
     * Runs one settings read; a {@link ConfigException} it throws is recorded and yields empty.
     *
     * @param <T> the type read
     * @param reader the read, such as {@code () -> settings.requireString("url", "a URL")}
     * @return what the read returned; empty when it threw a {@link ConfigException}
     */
    public <T> Optional<T> read(Supplier<T> reader) {
        try {
            return Optional.ofNullable(reader.get());
        } catch (ConfigException e) {
            problems.addAll(e.problems());
            return Optional.empty();
        }
    }

    /**
     * Records one problem.
     *
     * @param keyPath the key path of the offending key
     * @param message what was found and what was expected
     */
    public void add(String keyPath, String message) {
        problems.add(new ConfigProblem(keyPath, message));
    }

    /**
     * Records one problem.
     *
     * @param problem the problem
     */
    public void add(ConfigProblem problem) {
        problems.add(problem);
    }

    /**
     * Reads {@code key} as a Java regular expression; an invalid one is recorded and yields empty.
     *
     * @param settings the block to read from
     * @param key the key of the expression
     * @return the compiled expression; empty when absent or invalid
     */
    public Optional<Pattern> regex(Settings settings, String key) {
        Optional<String> text = read(() -> settings.string(key).orElse(null));
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Pattern.compile(text.get()));
        } catch (PatternSyntaxException e) {
            add(settings.keyPath(key), "expected a Java regular expression, found \"" + text.get() + "\" ("
                    + e.getDescription() + " near index " + e.getIndex() + ")");
            return Optional.empty();
        }
    }

    /** {@return whether no problem was recorded} */
    public boolean isEmpty() {
        return problems.isEmpty();
    }

    /** Throws one {@link ConfigException} carrying every recorded problem, if there is any. */
    public void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }
}
