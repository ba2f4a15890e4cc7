package io.aegis.core.internal.config;

import io.aegis.api.ConfigProblem;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in every text value of a YAML tree with the environment
 * variable's value (the default when the variable is unset or empty); {@code $$} is a literal {@code $}. Keeps
 * secrets out of configuration files.
 */
final class EnvironmentSubstitution {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final Map<String, String> env;
    private final Consumer<ConfigProblem> problems;
    /** Every value taken from the environment (not a default from the file): secrets to mask in output. */
    private final Set<String> substituted = new LinkedHashSet<>();

    private EnvironmentSubstitution(Map<String, String> env, Consumer<ConfigProblem> problems) {
        this.env = env;
        this.problems = problems;
    }

    /**
     * Substitutes in place in every String value below {@code root} (mutable maps and lists); returns the values
     * taken from the environment, which output must mask (a {@code :-default} is in the file, so it is not one).
     */
    static Set<String> apply(Object root, Map<String, String> env, Consumer<ConfigProblem> problems) {
        EnvironmentSubstitution substitution = new EnvironmentSubstitution(env, problems);
        substitution.walk(root, "");
        return Set.copyOf(substitution.substituted);
    }

    @SuppressWarnings("unchecked")
    private void walk(Object node, String path) {
        if (node instanceof Map) {
            for (Map.Entry<String, Object> entry : ((Map<String, Object>) node).entrySet()) {
                String childPath = path.isEmpty() ? entry.getKey() : path + "." + entry.getKey();
                if (entry.getValue() instanceof String) {
                    entry.setValue(substitute((String) entry.getValue(), childPath));
                } else {
                    walk(entry.getValue(), childPath);
                }
            }
        } else if (node instanceof List) {
            ListIterator<Object> items = ((List<Object>) node).listIterator();
            while (items.hasNext()) {
                String childPath = path + "[" + items.nextIndex() + "]";
                Object item = items.next();
                if (item instanceof String) {
                    items.set(substitute((String) item, childPath));
                } else {
                    walk(item, childPath);
                }
            }
        }
    }

    /**
     * The text with every reference replaced; null when a reference cannot be resolved (reported), so the value
     * counts as absent and is not reported a second time as, say, an empty duration.
     */
    String substitute(String text, String path) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder result = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$' || i + 1 >= text.length()) {
                result.append(c);
                i++;
            } else if (text.charAt(i + 1) == '$') {
                result.append('$');
                i += 2;
            } else if (text.charAt(i + 1) == '{') {
                int end = text.indexOf('}', i + 2);
                if (end < 0) {
                    problems.accept(new ConfigProblem(path, "unclosed ${ in \"" + text
                            + "\"; write ${NAME} for a variable or $$ for a literal $"));
                    return null;
                }
                String value = resolve(text.substring(i + 2, end), text, path);
                if (value == null) {
                    return null;
                }
                result.append(value);
                i = end + 1;
            } else {
                result.append(c);
                i++;
            }
        }
        return result.toString();
    }

    private String resolve(String reference, String text, String path) {
        int separator = reference.indexOf(":-");
        String name = separator < 0 ? reference : reference.substring(0, separator);
        if (!NAME.matcher(name).matches()) {
            problems.accept(new ConfigProblem(path, "expected an environment variable name in ${" + reference + "} of \""
                    + text + "\" (letters, digits and _; write $$ for a literal $)"));
            return null;
        }
        String value = env.get(name);
        if (separator >= 0 && (value == null || value.isEmpty())) {
            return reference.substring(separator + 2);
        }
        if (value == null) {
            problems.accept(new ConfigProblem(path, "environment variable " + name
                    + " is not set (use ${" + name + ":-default} to give a default)"));
            return null;
        }
        substituted.add(value);
        return value;
    }
}
