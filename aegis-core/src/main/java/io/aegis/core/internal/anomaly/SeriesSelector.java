package io.aegis.core.internal.anomaly;

import io.aegis.core.internal.anomaly.PrometheusText.Labels;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A PromQL instant vector selector, as written in config: {@code http_requests_total},
 * {@code http_requests_total{code=~"5.."}}, {@code {__name__="x",job!="a"}}.
 *
 * <p>Matchers are {@code =}, {@code !=}, {@code =~} and {@code !~}; values are quoted with {@code "}, {@code '}
 * or {@code `} (raw, no escapes), and the quoted forms take Go's escapes ({@code \\}, {@code \"}, {@code \n},
 * {@code \t}, {@code \u00e9}, ...). As in PromQL:
 * <ul>
 *   <li>a regex matches the whole value ({@code ^(?:re)$}), and {@code .} matches a newline too (Prometheus 3);
 *   <li>a label the series does not have has the empty value, so {@code job!="a"} matches a series without
 *       {@code job};
 *   <li>the selector must name a metric or have a matcher that does not match the empty value, since
 *       {@code {}} or {@code {job=~".*"}} would select every series there is;
 *   <li>the metric name may not be given twice ({@code x{__name__="y"}}).
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class SeriesSelector {
    private static final String NAME_LABEL = "__name__";

    private final String metricName;
    private final List<Matcher> matchers;
    private final String normalized;

    private SeriesSelector(String metricName, List<Matcher> matchers) {
        this.metricName = metricName;
        this.matchers = List.copyOf(matchers);
        this.normalized = normalize(metricName, this.matchers);
    }

    /**
     * Parses a selector.
     *
     * @throws IllegalArgumentException naming the 1-based character position and what was expected there,
     *     e.g. {@code position 27: expected a closing '"' for the value that opens at position 22}
     */
    public static SeriesSelector parse(String text) {
        return new SelectorParser(Objects.requireNonNull(text, "selector")).selector();
    }

    /**
     * The metric this selector is about: the name before the braces or of a {@code __name__="..."} matcher;
     * null when the selector picks series by labels or by a name pattern.
     */
    public String metricName() {
        return metricName;
    }

    /**
     * Whether a series of this name could match, judged by the name alone: a parse visitor's
     * {@link PrometheusText.Visitor#wants}, so labels of other metrics are never decoded.
     */
    public boolean matchesName(String name) {
        if (metricName != null && !metricName.equals(name)) {
            return false;
        }
        for (Matcher matcher : matchers) {
            if (matcher.label.equals(NAME_LABEL) && !matcher.test(name)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the series {@code name} with {@code labels} is selected. */
    public boolean matches(String name, Labels labels) {
        if (metricName != null && !metricName.equals(name)) {
            return false;
        }
        for (Matcher matcher : matchers) {
            String value = matcher.label.equals(NAME_LABEL) ? name : labels.get(matcher.label);
            if (!matcher.test(value == null ? "" : value)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The selector in one normal form, which parses back to an equal selector: the metric name before the
     * braces, values in double quotes, no spaces, matchers in the order written; e.g.
     * {@code x{job!="a"}} for {@code { __name__ = 'x', job != "a" }}.
     */
    @Override
    public String toString() {
        return normalized;
    }

    /** Selectors are equal when their normal forms are. */
    @Override
    public boolean equals(Object other) {
        return other instanceof SeriesSelector selector && normalized.equals(selector.normalized);
    }

    @Override
    public int hashCode() {
        return normalized.hashCode();
    }

    private static String normalize(String metricName, List<Matcher> matchers) {
        StringBuilder text = new StringBuilder();
        if (metricName != null) {
            text.append(metricName);
        }
        if (!matchers.isEmpty()) {
            text.append('{');
            for (int i = 0; i < matchers.size(); i++) {
                Matcher matcher = matchers.get(i);
                if (i > 0) {
                    text.append(',');
                }
                text.append(matcher.label).append(matcher.operator.symbol);
                appendQuoted(text, matcher.value);
            }
            text.append('}');
        }
        return text.toString();
    }

    private static void appendQuoted(StringBuilder text, String value) {
        text.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> text.append("\\\\");
                case '"' -> text.append("\\\"");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\t' -> text.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        text.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        text.append(c);
                    }
                }
            }
        }
        text.append('"');
    }

    private enum Operator {
        EQUAL("="),
        NOT_EQUAL("!="),
        REGEX("=~"),
        NOT_REGEX("!~");

        final String symbol;

        Operator(String symbol) {
            this.symbol = symbol;
        }
    }

    /** One {@code label op "value"}; {@code test} is the value's predicate, negation already applied. */
    private record Matcher(String label, Operator operator, String value, Predicate<String> test) {
        boolean test(String labelValue) {
            return test.test(labelValue);
        }

        static Matcher of(String label, Operator operator, String value, Predicate<String> regex) {
            Predicate<String> test = switch (operator) {
                case EQUAL -> value::equals;
                case NOT_EQUAL -> v -> !value.equals(v);
                case REGEX -> regex;
                case NOT_REGEX -> regex.negate();
            };
            return new Matcher(label, operator, value, test);
        }
    }

    /** Recursive descent over the selector text; positions in messages are 1-based. */
    private static final class SelectorParser {
        private final String text;
        private int pos;

        SelectorParser(String text) {
            this.text = text;
        }

        SeriesSelector selector() {
            skipSpaces();
            String name = null;
            int nameStart = pos;
            if (pos < text.length() && isMetricNameStart(text.charAt(pos))) {
                name = metricName();
            }
            skipSpaces();
            List<Matcher> matchers = new ArrayList<>();
            List<Integer> matcherPositions = new ArrayList<>();
            if (pos < text.length() && text.charAt(pos) == '{') {
                pos++;
                matchers(matchers, matcherPositions);
                skipSpaces();
                if (pos < text.length()) {
                    throw error(pos, "expected the end of the selector after '}', found " + describe(pos));
                }
            } else if (pos < text.length()) {
                throw error(pos, name == null
                        ? "expected a metric name or '{', found " + describe(pos)
                        : "expected '{' or the end of the selector after the metric name, found " + describe(pos));
            } else if (name == null) {
                throw error(pos, "expected a metric name or '{', found the end of the selector");
            }
            return build(name, nameStart, matchers, matcherPositions);
        }

        private SeriesSelector build(String name, int nameStart, List<Matcher> matchers,
                List<Integer> matcherPositions) {
            for (int i = 0; i < matchers.size(); i++) {
                Matcher matcher = matchers.get(i);
                if (name != null && matcher.label.equals(NAME_LABEL)) {
                    throw error(matcherPositions.get(i), "the metric name is already given as \"" + name
                            + "\" at position " + (nameStart + 1) + "; a selector may not set it twice");
                }
            }
            // {__name__="x",...} and x{...} are the same selector; keep one form so they compare equal. Only when
            // that is the sole __name__ matcher: x{__name__=~"..."} would not parse back.
            List<Matcher> nameMatchers = matchers.stream().filter(m -> m.label.equals(NAME_LABEL)).toList();
            if (name == null && nameMatchers.size() == 1 && nameMatchers.get(0).operator == Operator.EQUAL
                    && isMetricName(nameMatchers.get(0).value)) {
                Matcher nameMatcher = nameMatchers.get(0);
                name = nameMatcher.value;
                matchers.removeIf(m -> m == nameMatcher);
            }
            if (name == null && matchers.stream().allMatch(m -> m.test(""))) {
                throw error(0, "expected a metric name or a matcher that does not match the empty value "
                        + "(as PromQL requires): this selector would select every series");
            }
            return new SeriesSelector(name, matchers);
        }

        private void matchers(List<Matcher> matchers, List<Integer> positions) {
            while (true) {
                skipSpaces();
                if (pos < text.length() && text.charAt(pos) == '}') {
                    pos++;
                    return;
                }
                if (pos == text.length() || !isLabelNameStart(text.charAt(pos))) {
                    throw error(pos, "expected a label name or '}', found " + describe(pos));
                }
                int matcherStart = pos;
                String label = labelName();
                skipSpaces();
                Operator operator = operator(label);
                skipSpaces();
                int valueStart = pos;
                String value = quoted(label);
                Predicate<String> regex = operator == Operator.REGEX || operator == Operator.NOT_REGEX
                        ? regex(value, label, valueStart)
                        : null;
                matchers.add(Matcher.of(label, operator, value, regex));
                positions.add(matcherStart);
                skipSpaces();
                if (pos < text.length() && text.charAt(pos) == ',') {
                    pos++;
                } else if (pos == text.length() || text.charAt(pos) != '}') {
                    throw error(pos, "expected ',' or '}' after the matcher for label \"" + label + "\", found "
                            + describe(pos));
                }
            }
        }

        private Operator operator(String label) {
            char first = pos < text.length() ? text.charAt(pos) : 0;
            char second = pos + 1 < text.length() ? text.charAt(pos + 1) : 0;
            Operator operator;
            if (first == '=') {
                operator = second == '~' ? Operator.REGEX : Operator.EQUAL;
            } else if (first == '!' && second == '=') {
                operator = Operator.NOT_EQUAL;
            } else if (first == '!' && second == '~') {
                operator = Operator.NOT_REGEX;
            } else {
                throw error(pos, "expected '=', '!=', '=~' or '!~' after label name \"" + label + "\", found "
                        + describe(pos));
            }
            pos += operator.symbol.length();
            return operator;
        }

        /** A "double", 'single' or `raw` quoted value, unescaped. */
        private String quoted(String label) {
            char quote = pos < text.length() ? text.charAt(pos) : 0;
            if (quote != '"' && quote != '\'' && quote != '`') {
                throw error(pos, "expected a quoted value for label \"" + label + "\", found " + describe(pos));
            }
            int open = pos++;
            StringBuilder value = new StringBuilder();
            while (true) {
                if (pos == text.length()) {
                    throw error(pos, "expected a closing '" + quote + "' for the value that opens at position "
                            + (open + 1));
                }
                char c = text.charAt(pos);
                if (c == quote) {
                    pos++;
                    return value.toString();
                }
                if (c == '\\' && quote != '`') {
                    escape(value);
                } else if (c == '\n' && quote != '`') {
                    throw error(pos, "expected a closing '" + quote + "' before the end of the line"
                            + " for the value that opens at position " + (open + 1));
                } else {
                    value.append(c);
                    pos++;
                }
            }
        }

        /** Go's escapes, which PromQL strings use; anything else is a mistake worth naming. */
        private void escape(StringBuilder value) {
            int backslash = pos;
            if (pos + 1 == text.length()) {
                throw error(pos, "expected a character after '\\'");
            }
            char c = text.charAt(pos + 1);
            pos += 2;
            switch (c) {
                case 'a' -> value.append('\u0007');
                case 'b' -> value.append('\b');
                case 'f' -> value.append('\f');
                case 'n' -> value.append('\n');
                case 'r' -> value.append('\r');
                case 't' -> value.append('\t');
                case 'v' -> value.append('\u000b');
                case '\\', '"', '\'' -> value.append(c);
                case 'u' -> value.appendCodePoint(hex(4, backslash));
                case 'U' -> value.appendCodePoint(hex(8, backslash));
                default -> throw error(backslash, "unknown escape '\\" + c + "' (a backslash itself is written"
                        + " '\\\\', so a regex's \\" + c + " is \"\\\\" + c + "\" or `\\" + c + "`)");
            }
        }

        private int hex(int digits, int backslash) {
            if (pos + digits > text.length()) {
                throw error(backslash, "expected " + digits + " hex digits after '\\"
                        + text.charAt(backslash + 1) + "'");
            }
            int codePoint = 0;
            for (int i = 0; i < digits; i++) {
                int digit = Character.digit(text.charAt(pos + i), 16);
                if (digit < 0) {
                    throw error(pos + i, "expected a hex digit in the escape at position " + (backslash + 1)
                            + ", found " + describe(pos + i));
                }
                codePoint = codePoint * 16 + digit;
            }
            if (!Character.isValidCodePoint(codePoint) || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
                throw error(backslash, "the escape at position " + (backslash + 1) + " is not a Unicode character");
            }
            pos += digits;
            return codePoint;
        }

        /**
         * Compiles a PromQL regex. Alternations of plain words ({@code 500|502|503}, {@code api}) and
         * {@code .*} / {@code .+} are the common cases and are answered without running a regex.
         */
        private Predicate<String> regex(String regex, String label, int valueStart) {
            if (regex.equals(".*")) {
                return v -> true;
            }
            if (regex.equals(".+")) {
                return v -> !v.isEmpty();
            }
            if (isLiteralAlternation(regex)) {
                Set<String> alternatives = new HashSet<>();
                int start = 0;
                for (int bar = regex.indexOf('|'); bar >= 0; bar = regex.indexOf('|', start)) {
                    alternatives.add(regex.substring(start, bar));
                    start = bar + 1;
                }
                alternatives.add(regex.substring(start));
                return alternatives::contains;
            }
            try {
                // matches() consumes the whole value, as PromQL's ^(?:re)$ does; unlike a find() of that pattern,
                // Java's '$' cannot then match before a trailing newline.
                Pattern pattern = Pattern.compile("^(?:" + regex + ")$", Pattern.DOTALL);
                return v -> pattern.matcher(v).matches();
            } catch (PatternSyntaxException e) {
                throw error(valueStart, "the regex for label \"" + label + "\" is not valid: "
                        + e.getDescription() + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
            }
        }

        private static boolean isLiteralAlternation(String regex) {
            for (int i = 0; i < regex.length(); i++) {
                char c = regex.charAt(i);
                boolean plain = Character.isLetterOrDigit(c) && c < 0x80
                        || c == '_' || c == '-' || c == ':' || c == '/' || c == ' ' || c == ',' || c == '@'
                        || c == '=' || c == '%' || c == '|';
                if (!plain) {
                    return false;
                }
            }
            return true;
        }

        private String metricName() {
            int start = pos;
            while (pos < text.length() && isMetricNameChar(text.charAt(pos))) {
                pos++;
            }
            return text.substring(start, pos);
        }

        private String labelName() {
            int start = pos;
            while (pos < text.length() && isLabelNameChar(text.charAt(pos))) {
                pos++;
            }
            return text.substring(start, pos);
        }

        private void skipSpaces() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }

        private String describe(int at) {
            if (at >= text.length()) {
                return "the end of the selector";
            }
            char c = text.charAt(at);
            return c >= 0x20 && c != 0x7f ? "'" + c + "'" : String.format(Locale.ROOT, "U+%04X", (int) c);
        }

        private IllegalArgumentException error(int at, String expectation) {
            return new IllegalArgumentException("position " + (at + 1) + ": " + expectation);
        }
    }

    private static boolean isMetricName(String name) {
        if (name.isEmpty() || !isMetricNameStart(name.charAt(0))) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            if (!isMetricNameChar(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLabelNameStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    private static boolean isLabelNameChar(char c) {
        return isLabelNameStart(c) || (c >= '0' && c <= '9');
    }

    private static boolean isMetricNameStart(char c) {
        return isLabelNameStart(c) || c == ':';
    }

    private static boolean isMetricNameChar(char c) {
        return isLabelNameChar(c) || c == ':';
    }
}
