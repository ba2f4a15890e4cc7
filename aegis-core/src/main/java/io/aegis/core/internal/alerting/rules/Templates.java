package io.aegis.core.internal.alerting.rules;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The placeholders of rule annotations: {@code {{service}}}, {@code {{value}}}, {@code {{threshold}}},
 * {@code {{alert}}} and {@code {{expr}}}; spaces inside the braces and a leading {@code $} (as in Prometheus'
 * {@code {{ $value }}}) are allowed. No logic: a template that needs more is better written out per rule.
 */
final class Templates {
    static final List<String> NAMES = List.of("service", "value", "threshold", "alert", "expr");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*\\$?([^}\\s]*)\\s*}}");

    private Templates() {
    }

    /** The first placeholder of {@code template} that is not one of {@link #NAMES}; null when all are known. */
    static String firstUnknown(String template) {
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            if (!NAMES.contains(m.group(1))) {
                return m.group();
            }
        }
        return null;
    }

    static String render(String template, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(values.getOrDefault(m.group(1), m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }
}
