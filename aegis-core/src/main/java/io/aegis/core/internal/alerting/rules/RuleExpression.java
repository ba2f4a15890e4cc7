package io.aegis.core.internal.alerting.rules;

import io.aegis.api.Durations;
import io.aegis.core.ServiceState;
import io.aegis.core.internal.config.KeySuggestions;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The condition of a threshold rule: one aggregate of one of aegis' own series over a window, compared with a
 * threshold, such as {@code p95(check_latency[5m]) > 500ms}. The grammar (README "Threshold rules"):
 *
 * <pre>
 * condition  = aggregate comparison threshold
 * aggregate  = function "(" series "[" window "]" ")"
 * function   = avg | min | max | p&lt;N&gt; (0 &lt; N &lt; 100: p50, p95, p99.9)  -- over check_latency
 *            | count                                           -- over checks, failed_checks, restarts, recoveries
 *            | failure_ratio                                   -- over checks
 *            | time_in                                         -- over a state: time_in(unhealthy[1h]) &gt; 10m
 * comparison = &gt; | &gt;= | &lt; | &lt;= | == | !=
 * threshold  = a duration (500ms, 2s) for latencies and time_in; a number (3, 0.25) or a percentage (25%)
 *              otherwise
 * </pre>
 *
 * Latencies are compared as durations so that a threshold cannot silently be in the wrong unit. Immutable.
 */
public final class RuleExpression {

    /** The series aegis keeps per service, from its own events. */
    enum Series {
        /** Latency of every check attempt (retries included), from {@code CheckCompleted}. */
        CHECK_LATENCY("check_latency"),
        /** Check verdicts: the final attempt of each check cycle, from {@code CheckCompleted}. */
        CHECKS("checks"),
        /** Verdicts that did not pass (UNHEALTHY or UNKNOWN). */
        FAILED_CHECKS("failed_checks"),
        /** Restarts the restart action carried out (as {@code aegis_service_restarts_total} counts them). */
        RESTARTS("restarts"),
        /** Recovery actions started, whatever the action. */
        RECOVERIES("recoveries"),
        /** Time spent in one state ({@link RuleExpression#state()}), from {@code StateChanged}. */
        STATE("state");

        final String text;

        Series(String text) {
            this.text = text;
        }
    }

    /** What is computed over the window. */
    enum Function {
        AVG, MIN, MAX, QUANTILE, COUNT, FAILURE_RATIO, TIME_IN
    }

    /** How the value is compared with the threshold. */
    enum Comparison {
        GT(">"), GE(">="), LT("<"), LE("<="), EQ("=="), NE("!=");

        final String text;

        Comparison(String text) {
            this.text = text;
        }

        boolean test(double value, double threshold) {
            return switch (this) {
                case GT -> value > threshold;
                case GE -> value >= threshold;
                case LT -> value < threshold;
                case LE -> value <= threshold;
                case EQ -> value == threshold;
                case NE -> value != threshold;
            };
        }
    }

    /** The longest window a rule may look back over: windows are kept in memory per service. */
    static final Duration MAX_WINDOW = Duration.ofDays(1);
    /** The shortest window: below a second, a bucket of the window would be shorter than a millisecond. */
    static final Duration MIN_WINDOW = Duration.ofSeconds(1);

    private static final List<String> FUNCTIONS = List.of("avg", "min", "max", "p50", "p90", "p95", "p99", "count",
            "failure_ratio", "time_in");
    private static final List<String> SERIES = List.of("check_latency", "checks", "failed_checks", "restarts",
            "recoveries");

    private static final List<String> STATES = java.util.Arrays.stream(ServiceState.values())
            .map(state -> state.name().toLowerCase(Locale.ROOT)).toList();

    private final String text;
    private final Function function;
    /** For {@link Function#TIME_IN}: the state; null otherwise. */
    private final ServiceState state;
    /** For {@link Function#QUANTILE}: 0 &lt; q &lt; 1. */
    private final double quantile;
    private final String functionText;
    private final Series series;
    private final Duration window;
    private final Comparison comparison;
    /** Seconds for latencies, else the number itself (a percentage divided by 100). */
    private final double threshold;
    private final String thresholdText;

    private RuleExpression(String text, Function function, ServiceState state, double quantile, String functionText,
            Series series, Duration window, Comparison comparison, double threshold, String thresholdText) {
        this.text = text;
        this.function = function;
        this.state = state;
        this.quantile = quantile;
        this.functionText = functionText;
        this.series = series;
        this.window = window;
        this.comparison = comparison;
        this.threshold = threshold;
        this.thresholdText = thresholdText;
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException with a sentence that says what is wrong, where in the expression, and what
     *     was expected
     */
    public static RuleExpression parse(String text) {
        return new Parser(text).parse();
    }

    /** The expression as written (trimmed). */
    public String text() {
        return text;
    }

    Function function() {
        return function;
    }

    double quantile() {
        return quantile;
    }

    Series series() {
        return series;
    }

    /** The state of {@code time_in}; null for other functions. */
    ServiceState state() {
        return state;
    }

    /** Whether the value needs time spent per state. */
    boolean needsStates() {
        return function == Function.TIME_IN;
    }

    /** Whether the value is a duration (in seconds), compared with and shown as one. */
    private boolean isDuration() {
        return function == Function.TIME_IN || (series == Series.CHECK_LATENCY && function != Function.COUNT);
    }

    /** How far back the expression looks. */
    public Duration window() {
        return window;
    }

    /** Whether the value needs a latency histogram (a quantile). */
    boolean needsHistogram() {
        return function == Function.QUANTILE;
    }

    /** The threshold as written, such as {@code 500ms} or {@code 25%}. */
    String thresholdText() {
        return thresholdText;
    }

    /** Whether {@code value} (as {@link #value} gives it) meets the condition. */
    boolean holds(double value) {
        return comparison.test(value, threshold);
    }

    /**
     * The aggregate over {@code window}: seconds for latencies, a count or a ratio otherwise; empty when the
     * window holds no sample for an average, extreme, quantile or ratio (no checks: nothing to judge, as an absent
     * series in Prometheus). Counts are never empty: no event is a count of 0.
     */
    OptionalDouble value(WindowAggregate data) {
        return switch (function) {
            case COUNT -> OptionalDouble.of(switch (series) {
                case CHECKS -> data.checks();
                case FAILED_CHECKS -> data.failedChecks();
                case RESTARTS -> data.restarts();
                case RECOVERIES -> data.recoveries();
                case CHECK_LATENCY, STATE -> data.latencyCount();
            });
            case TIME_IN -> OptionalDouble.of(data.millisIn(state) / 1e3);
            case FAILURE_RATIO -> data.checks() == 0 ? OptionalDouble.empty()
                    : OptionalDouble.of((double) data.failedChecks() / data.checks());
            case AVG -> data.latencyCount() == 0 ? OptionalDouble.empty()
                    : OptionalDouble.of(data.latencySumNanos() / 1e9 / data.latencyCount());
            case MIN -> data.latencyCount() == 0 ? OptionalDouble.empty() : OptionalDouble.of(data.latencyMinNanos() / 1e9);
            case MAX -> data.latencyCount() == 0 ? OptionalDouble.empty() : OptionalDouble.of(data.latencyMaxNanos() / 1e9);
            case QUANTILE -> data.latencyCount() == 0 ? OptionalDouble.empty()
                    : OptionalDouble.of(data.latencyQuantileNanos(quantile) / 1e9);
        };
    }

    /** {@code value} for people: {@code 612ms} for a latency, {@code 25%} for a ratio, {@code 3} for a count. */
    String format(double value) {
        if (isDuration()) {
            Duration duration = Duration.ofNanos(Math.round(value * 1e9));
            // to the millisecond above one: "1s250ms", not "1s250ms312us412ns"
            if (duration.compareTo(Duration.ofMillis(1)) >= 0) {
                duration = Duration.ofMillis(duration.toMillis());
            } else if (duration.compareTo(Duration.ofNanos(1000)) >= 0) {
                duration = Duration.ofNanos(duration.toNanos() / 1000 * 1000);
            }
            return Durations.format(duration);
        }
        if (function == Function.FAILURE_RATIO) {
            return new BigDecimal(value * 100).setScale(1, java.math.RoundingMode.HALF_UP).stripTrailingZeros()
                    .toPlainString() + "%";
        }
        return new BigDecimal(value).setScale(3, java.math.RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }

    /** The aggregate part, such as {@code p95(check_latency[5m])}. */
    String aggregateText() {
        String seriesText = state != null ? state.name().toLowerCase(Locale.ROOT) : series.text;
        return functionText + "(" + seriesText + "[" + Durations.format(window) + "])";
    }

    @Override
    public String toString() {
        return aggregateText() + " " + comparison.text + " " + thresholdText;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RuleExpression other && toString().equals(other.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** A hand-written recursive-descent parser: the grammar is four tokens long, and errors must point at a column. */
    private static final class Parser {
        private final String text;
        private int position;

        Parser(String text) {
            this.text = text == null ? "" : text.strip();
        }

        RuleExpression parse() {
            if (text.isEmpty()) {
                throw new IllegalArgumentException("the expression is empty; expected a condition such as"
                        + " p95(check_latency[5m]) > 500ms");
            }
            int functionAt = skipSpaces();
            String functionText = word();
            if (functionText.isEmpty()) {
                throw error(functionAt, "a function (" + String.join(", ", FUNCTIONS) + ")");
            }
            Function function;
            double quantile = Double.NaN;
            String lower = functionText.toLowerCase(Locale.ROOT);
            switch (lower) {
                case "avg" -> function = Function.AVG;
                case "min" -> function = Function.MIN;
                case "max" -> function = Function.MAX;
                case "count" -> function = Function.COUNT;
                case "failure_ratio" -> function = Function.FAILURE_RATIO;
                case "time_in" -> function = Function.TIME_IN;
                default -> {
                    Optional<Double> percentile = percentile(lower);
                    if (percentile.isEmpty()) {
                        throw unknown(functionAt, "function", functionText, FUNCTIONS,
                                " (p<N> is any percentile between 0 and 100, such as p99.9)");
                    }
                    function = Function.QUANTILE;
                    quantile = new BigDecimal(lower.substring(1)).movePointLeft(2).doubleValue(); // 0.999, exactly
                }
            }
            expect('(');
            int seriesAt = skipSpaces();
            String seriesText = word();
            Series series = null;
            ServiceState state = null;
            if (function == Function.TIME_IN) {
                if (!STATES.contains(seriesText.toLowerCase(Locale.ROOT))) {
                    if (seriesText.isEmpty()) {
                        throw error(seriesAt, "a state (" + String.join(", ", STATES) + ")");
                    }
                    throw unknown(seriesAt, "state", seriesText, STATES, "");
                }
                state = ServiceState.valueOf(seriesText.toUpperCase(Locale.ROOT));
                series = Series.STATE;
            }
            for (Series candidate : Series.values()) {
                if (candidate != Series.STATE && candidate.text.equalsIgnoreCase(seriesText)) {
                    series = candidate;
                }
            }
            if (series == null) {
                if (seriesText.isEmpty()) {
                    throw error(seriesAt, "a series (" + String.join(", ", SERIES) + ")");
                }
                throw unknown(seriesAt, "series", seriesText, SERIES, "");
            }
            checkCombination(functionAt, functionText, function, series);
            expect('[');
            int windowAt = skipSpaces();
            String windowText = until(']');
            Duration window;
            try {
                window = Durations.parse(windowText);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad window at column " + (windowAt + 1) + " of \"" + text + "\": "
                        + e.getMessage());
            }
            if (window.compareTo(MIN_WINDOW) < 0 || window.compareTo(MAX_WINDOW) > 0) {
                throw new IllegalArgumentException("the window " + windowText.strip() + " at column " + (windowAt + 1)
                        + " of \"" + text + "\" is out of range: expected from " + Durations.format(MIN_WINDOW)
                        + " to " + Durations.format(MAX_WINDOW) + " (windows are kept in memory for every service)");
            }
            expect(']');
            expect(')');
            int comparisonAt = skipSpaces();
            Comparison comparison = comparison();
            if (comparison == null) {
                throw error(comparisonAt, "a comparison (>, >=, <, <=, == or !=)");
            }
            int thresholdAt = skipSpaces();
            String thresholdText = text.substring(thresholdAt).strip();
            if (thresholdText.isEmpty()) {
                throw error(thresholdAt, "a threshold " + thresholdExample(function, series));
            }
            double threshold = threshold(thresholdAt, thresholdText, function, series);
            return new RuleExpression(text, function, state, quantile, lower, series, window, comparison, threshold,
                    thresholdText);
        }

        private void checkCombination(int functionAt, String functionText, Function function, Series series) {
            boolean latency = series == Series.CHECK_LATENCY;
            boolean ok = switch (function) {
                case AVG, MIN, MAX, QUANTILE -> latency;
                case COUNT -> !latency && series != Series.STATE;
                case FAILURE_RATIO -> series == Series.CHECKS;
                case TIME_IN -> series == Series.STATE;
            };
            if (ok) {
                return;
            }
            String fits = switch (function) {
                case AVG, MIN, MAX, QUANTILE -> "check_latency";
                case COUNT -> "checks, failed_checks, restarts or recoveries";
                case FAILURE_RATIO -> "checks (failure_ratio(checks[5m]) is failed checks / checks)";
                case TIME_IN -> "a state";
            };
            throw new IllegalArgumentException(functionText + "() at column " + (functionAt + 1) + " of \"" + text
                    + "\" does not apply to " + series.text + ": it applies to " + fits);
        }

        private double threshold(int at, String found, Function function, Series series) {
            String where = " at column " + (at + 1) + " of \"" + text + "\"";
            if (function == Function.TIME_IN || (series == Series.CHECK_LATENCY && function != Function.COUNT)) {
                try {
                    if (!found.equals("0") && found.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
                        throw new IllegalArgumentException("a latency needs a unit");
                    }
                    return Durations.parse(found).toNanos() / 1e9;
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(function == Function.TIME_IN
                            ? "expected a duration such as 10m" + where + " (time in a state compares with durations),"
                                    + " found \"" + found + "\""
                            : "expected a duration such as 500ms or 2s" + where + " (latencies compare with durations),"
                                    + " found \"" + found + "\"");
                }
            }
            boolean percent = found.endsWith("%");
            String number = percent ? found.substring(0, found.length() - 1).strip() : found;
            double value;
            try {
                if (!number.matches("[0-9]+(\\.[0-9]+)?|\\.[0-9]+")) {
                    throw new NumberFormatException();
                }
                value = Double.parseDouble(number);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected " + thresholdExample(function, series) + where
                        + ", found \"" + found + "\"");
            }
            if (percent && function != Function.FAILURE_RATIO) {
                throw new IllegalArgumentException("a percentage" + where + " only compares with failure_ratio; "
                        + "count() is a number of events, such as 3");
            }
            if (percent) {
                value /= 100;
            }
            if (function == Function.FAILURE_RATIO && value > 1) {
                throw new IllegalArgumentException("the failure ratio threshold " + found + where + " is above 1"
                        + " (100%); write a ratio such as 0.25 or a percentage such as 25%");
            }
            return value;
        }

        private static String thresholdExample(Function function, Series series) {
            if (function == Function.FAILURE_RATIO) {
                return "a ratio such as 0.25 or a percentage such as 25%";
            }
            if (function == Function.COUNT) {
                return "a number such as 3";
            }
            return function == Function.TIME_IN ? "a duration such as 10m" : "a duration such as 500ms";
        }

        /** {@code p95} gives 95; empty when {@code word} is not p&lt;N&gt; with 0 &lt; N &lt; 100. */
        private static Optional<Double> percentile(String word) {
            if (!word.matches("p[0-9]+(\\.[0-9]+)?")) {
                return Optional.empty();
            }
            double n = Double.parseDouble(word.substring(1));
            return n > 0 && n < 100 ? Optional.of(n) : Optional.empty();
        }

        private Comparison comparison() {
            for (String op : new String[] {">=", "<=", "==", "!=", ">", "<"}) {
                if (text.startsWith(op, position)) {
                    position += op.length();
                    for (Comparison c : Comparison.values()) {
                        if (c.text.equals(op)) {
                            return c;
                        }
                    }
                }
            }
            return null;
        }

        private int skipSpaces() {
            while (position < text.length() && Character.isWhitespace(text.charAt(position))) {
                position++;
            }
            return position;
        }

        private String word() {
            int start = position;
            while (position < text.length() && (Character.isLetterOrDigit(text.charAt(position))
                    || text.charAt(position) == '_' || text.charAt(position) == '.')) {
                position++;
            }
            return text.substring(start, position);
        }

        private String until(char end) {
            int start = position;
            while (position < text.length() && text.charAt(position) != end && text.charAt(position) != ')') {
                position++;
            }
            return text.substring(start, position);
        }

        private void expect(char c) {
            int at = skipSpaces();
            if (at >= text.length() || text.charAt(at) != c) {
                throw error(at, "\"" + c + "\"");
            }
            position++;
        }

        private IllegalArgumentException error(int at, String expected) {
            String found = at >= text.length() ? "the end of the expression"
                    : "\"" + text.substring(at, Math.min(text.length(), at + 12)) + "\"";
            return new IllegalArgumentException("expected " + expected + " at column " + (at + 1) + " of \"" + text
                    + "\", found " + found + "; a condition looks like p95(check_latency[5m]) > 500ms");
        }

        private IllegalArgumentException unknown(int at, String what, String found, List<String> known, String more) {
            List<String> candidates = new ArrayList<>(known);
            String suggestion = KeySuggestions.closest(found, candidates).map(s -> "did you mean \"" + s + "\"? ")
                    .orElse("");
            return new IllegalArgumentException("unknown " + what + " \"" + found + "\" at column " + (at + 1) + " of \""
                    + text + "\"; " + suggestion + "known " + what + (what.equals("series") ? "" : "s") + ": "
                    + String.join(", ", known) + more);
        }
    }
}
