package io.aegis.core.internal.alerting.rules;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which services a rule watches, in Alertmanager's matcher syntax: {@code name=value}, {@code name!=value},
 * {@code name=~regex}, {@code name!~regex}, the value optionally in double quotes, regexes anchored at both ends.
 * The labels matched are {@code service} (the service's name) and the service's {@code metadata}; a label the
 * service lacks matches as the empty string, as in Alertmanager. Immutable.
 */
record ServiceMatcher(String label, String operator, String value, Pattern pattern) {

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException with a sentence saying what was expected
     */
    static ServiceMatcher parse(String text) {
        String trimmed = text == null ? "" : text.strip();
        int at = -1;
        String operator = null;
        for (int i = 0; i < trimmed.length() && operator == null; i++) {
            char c = trimmed.charAt(i);
            if (c == '=' || c == '!') {
                at = i;
                if (trimmed.startsWith("=~", i)) {
                    operator = "=~";
                } else if (trimmed.startsWith("!~", i)) {
                    operator = "!~";
                } else if (trimmed.startsWith("!=", i)) {
                    operator = "!=";
                } else if (c == '=') {
                    operator = "=";
                } else {
                    break;
                }
            }
        }
        String label = at < 0 ? "" : trimmed.substring(0, at).strip();
        if (operator == null || !label.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("expected a matcher such as service=api, team=~\"pay.*\" or"
                    + " tier!=batch (a label name, one of = != =~ !~, a value), found \"" + text + "\"");
        }
        String value = trimmed.substring(at + operator.length()).strip();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
        }
        Pattern pattern = null;
        if (operator.endsWith("~")) {
            try {
                pattern = Pattern.compile(value);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("the regular expression of \"" + text + "\" is invalid: "
                        + e.getDescription() + " (at index " + e.getIndex() + ")");
            }
        }
        return new ServiceMatcher(label, operator, value, pattern);
    }

    /** Whether a service called {@code service} with {@code metadata} matches. */
    boolean matches(String service, Map<String, String> metadata) {
        String actual = label.equals("service") ? service : Objects.requireNonNullElse(metadata.get(label), "");
        return switch (operator) {
            case "=" -> actual.equals(value);
            case "!=" -> !actual.equals(value);
            case "=~" -> pattern.matcher(actual).matches();
            default -> !pattern.matcher(actual).matches();
        };
    }

    @Override
    public String toString() {
        return label + operator + "\"" + value + "\"";
    }
}
