package io.aegis.core.alerting;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A label matcher as Alertmanager writes it: {@code severity="critical"}, {@code team=~"pay.*"},
 * {@code service!=db}, {@code env!~"dev|test"} (quotes optional). Used by routes, silences and inhibition rules.
 * A label the alert lacks counts as the empty string, and a regular expression must match the whole value, as in
 * Alertmanager. Immutable value: equal when name, type and value are.
 */
public final class Matcher {
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    private final String name;
    private final Type type;
    private final String value;
    /** The compiled regular expression of {@link Type#REGEX} and {@link Type#NOT_REGEX}; null for the others. */
    private final Pattern pattern;

    /** How a matcher compares a label's value. */
    public enum Type {
        /** {@code =}: equal. */
        EQUAL("="),
        /** {@code !=}: not equal. */
        NOT_EQUAL("!="),
        /** {@code =~}: the whole value matches the regular expression. */
        REGEX("=~"),
        /** {@code !~}: the whole value does not match the regular expression. */
        NOT_REGEX("!~");

        private final String operator;

        Type(String operator) {
            this.operator = operator;
        }

        /** {@return the operator as written: {@code =}, {@code !=}, {@code =~} or {@code !~}} */
        public String operator() {
            return operator;
        }
    }

    /**
     * A matcher of its parts.
     *
     * @param name the label name
     * @param type how the value is compared
     * @param value the value, or the regular expression for {@link Type#REGEX} and {@link Type#NOT_REGEX}
     * @throws IllegalArgumentException when the name is no label name or the regular expression does not compile
     */
    public Matcher(String name, Type type, String value) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
        this.value = Objects.requireNonNull(value, "value");
        if (!LABEL_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("\"" + name + "\" is no label name (letters, digits and _, not"
                    + " starting with a digit)");
        }
        if (type == Type.REGEX || type == Type.NOT_REGEX) {
            try {
                // Compiled once: routes, silences and inhibition rules match every alert change against it.
                this.pattern = Pattern.compile(value);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("\"" + value + "\" is no regular expression: "
                        + e.getDescription());
            }
        } else {
            this.pattern = null;
        }
    }

    /** {@return the label name} */
    public String name() {
        return name;
    }

    /** {@return how the value is compared} */
    public Type type() {
        return type;
    }

    /** {@return the value, or the regular expression for {@link Type#REGEX} and {@link Type#NOT_REGEX}} */
    public String value() {
        return value;
    }

    /**
     * An equality matcher, {@code name="value"}.
     *
     * @param name the label name
     * @param value the value it must equal
     * @return the matcher
     */
    public static Matcher equal(String name, String value) {
        return new Matcher(name, Type.EQUAL, value);
    }

    /**
     * Parses Alertmanager's matcher syntax: a label name, an operator ({@code =}, {@code !=}, {@code =~},
     * {@code !~}) and a value, optionally in double quotes (with {@code \"} and {@code \\} escapes inside).
     *
     * @param text a matcher such as {@code service="api"} or {@code severity=~"critical|warning"}
     * @return the matcher
     * @throws IllegalArgumentException with a sentence saying what is wrong
     */
    public static Matcher parse(String text) {
        String trimmed = text.strip();
        int i = 0;
        while (i < trimmed.length() && (Character.isLetterOrDigit(trimmed.charAt(i)) || trimmed.charAt(i) == '_')) {
            i++;
        }
        String name = trimmed.substring(0, i);
        String rest = trimmed.substring(i).stripLeading();
        Type type;
        if (rest.startsWith("=~")) {
            type = Type.REGEX;
        } else if (rest.startsWith("!~")) {
            type = Type.NOT_REGEX;
        } else if (rest.startsWith("!=")) {
            type = Type.NOT_EQUAL;
        } else if (rest.startsWith("=")) {
            type = Type.EQUAL;
        } else {
            throw new IllegalArgumentException("\"" + text + "\" is no matcher; write it as name=value, name!=value,"
                    + " name=~regex or name!~regex, for example severity=\"critical\"");
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException("\"" + text + "\" has no label name before " + type.operator());
        }
        String value = rest.substring(type.operator().length()).strip();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            StringBuilder unquoted = new StringBuilder();
            for (int j = 1; j < value.length() - 1; j++) {
                char c = value.charAt(j);
                if (c == '\\' && j + 1 < value.length() - 1) {
                    c = value.charAt(++j);
                    unquoted.append(c == 'n' ? '\n' : c);
                } else {
                    unquoted.append(c);
                }
            }
            value = unquoted.toString();
        } else if (value.contains("\"")) {
            throw new IllegalArgumentException("\"" + text + "\": a quote inside an unquoted value; quote the whole"
                    + " value, as in name=\"value\"");
        }
        return new Matcher(name, type, value);
    }

    /**
     * {@return whether {@code labels} satisfy this matcher (a missing label is the empty string)}
     *
     * @param labels an alert's labels
     */
    public boolean matches(Map<String, String> labels) {
        String actual = labels.getOrDefault(name, "");
        return switch (type) {
            case EQUAL -> actual.equals(value);
            case NOT_EQUAL -> !actual.equals(value);
            case REGEX -> pattern.matcher(actual).matches();
            case NOT_REGEX -> !pattern.matcher(actual).matches();
        };
    }

    /**
     * {@return whether every matcher matches {@code labels} (true for no matchers)}
     *
     * @param matchers the matchers
     * @param labels an alert's labels
     */
    public static boolean all(List<Matcher> matchers, Map<String, String> labels) {
        for (Matcher matcher : matchers) {
            if (!matcher.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Matcher that && name.equals(that.name) && type == that.type
                && value.equals(that.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, value);
    }

    /** As Alertmanager prints it: {@code name="value"} with the operator. */
    @Override
    public String toString() {
        return name + type.operator() + "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
