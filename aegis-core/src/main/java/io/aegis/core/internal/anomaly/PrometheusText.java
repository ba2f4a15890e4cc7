package io.aegis.core.internal.anomaly;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * A strict, streaming parser of the Prometheus text exposition format 0.0.4, as client_java's
 * {@code PrometheusTextFormatWriter} and Prometheus' own {@code /metrics} write it, that also reads OpenMetrics
 * text as client_java writes it ({@code # EOF}, {@code _created} series, exemplars, which are checked and
 * skipped).
 *
 * <p>It reads UTF-8 bytes directly: no regex, no {@code String.split}, and no object per sample unless the
 * {@link Visitor} wants that sample. A visitor first says whether it {@linkplain Visitor#wants wants} a metric
 * name; the answer is asked once per distinct name per parse, and the labels and value of a sample nobody
 * wants are checked but not turned into strings. Metric and label names are interned per parse, so a megabyte of
 * exposition allocates each distinct name once.
 *
 * <p>Strict means a line that is not well-formed is a {@link ParseException} naming the 1-based line and what
 * was expected, whether or not the visitor wants that line: a scrape that is half garbage should be reported,
 * not silently half read. Blank lines and comments other than {@code HELP}, {@code TYPE} and {@code EOF} are
 * allowed.
 *
 * <p>Deliberately not accepted: hexadecimal floats (no client writes them), quoted UTF-8 metric names
 * ({@code {"my.metric"}}, only written when a scraper negotiates {@code escaping=allow-utf-8}), and label
 * value escapes other than {@code \\}, {@code \"} and {@code \n}.
 */
public final class PrometheusText {
    /** The timestamp passed to {@link Visitor#sample} when the sample has none. */
    public static final long NO_TIMESTAMP = Long.MIN_VALUE;

    private PrometheusText() {}

    /**
     * Parses {@code data} as the Prometheus text format 0.0.4 (timestamps are integer milliseconds).
     *
     * @throws ParseException at the first line that is not well-formed; samples before it have been visited
     */
    public static void parse(byte[] data, Visitor visitor) throws ParseException {
        parse(data, 0, data.length, Format.PROMETHEUS_TEXT, visitor);
    }

    /**
     * Parses {@code length} bytes of {@code data} from {@code offset} as the Prometheus text format 0.0.4
     * (timestamps are integer milliseconds).
     *
     * @throws ParseException at the first line that is not well-formed; samples before it have been visited
     */
    public static void parse(byte[] data, int offset, int length, Visitor visitor) throws ParseException {
        parse(data, offset, length, Format.PROMETHEUS_TEXT, visitor);
    }

    /**
     * Parses {@code length} bytes of {@code data} from {@code offset} in the given format.
     *
     * @throws ParseException at the first line that is not well-formed; samples before it have been visited
     */
    public static void parse(byte[] data, int offset, int length, Format format, Visitor visitor)
            throws ParseException {
        Objects.checkFromIndexSize(offset, length, data.length);
        new Parser(data, offset, offset + length, Objects.requireNonNull(format, "format"),
                Objects.requireNonNull(visitor, "visitor")).parse();
    }

    /** The two text formats; they differ only where the format itself does. */
    public enum Format {
        /**
         * {@code text/plain; version=0.0.4}: timestamps are integer milliseconds. OpenMetrics' {@code # EOF}
         * and exemplars are accepted too, as client_java writes them.
         */
        PROMETHEUS_TEXT,
        /**
         * {@code application/openmetrics-text}: timestamps are seconds (a float), and the exposition must end
         * with {@code # EOF}, so that a truncated scrape is an error rather than fewer series.
         */
        OPENMETRICS;

        /** The format a response's {@code Content-Type} names; anything but OpenMetrics is the 0.0.4 text. */
        public static Format ofContentType(String contentType) {
            return contentType != null
                    && contentType.trim().toLowerCase(Locale.ROOT).startsWith("application/openmetrics-text")
                    ? OPENMETRICS
                    : PROMETHEUS_TEXT;
        }
    }

    /** The type a {@code # TYPE} line gives a metric family. */
    public enum MetricType {
        COUNTER("counter"),
        GAUGE("gauge"),
        HISTOGRAM("histogram"),
        /** OpenMetrics only. */
        GAUGE_HISTOGRAM("gaugehistogram"),
        SUMMARY("summary"),
        /** OpenMetrics only. */
        INFO("info"),
        /** OpenMetrics only. */
        STATESET("stateset"),
        /** {@code untyped} in the 0.0.4 format, {@code unknown} in OpenMetrics. */
        UNTYPED("untyped");

        private final String word;

        MetricType(String word) {
            this.word = word;
        }

        /** The word a {@code # TYPE} line uses for this type ({@code untyped} for {@link #UNTYPED}). */
        public String word() {
            return word;
        }
    }

    /**
     * Receives what a parse finds, in exposition order. Only {@link #sample} must be implemented, so a lambda
     * is a visitor that wants everything.
     */
    @FunctionalInterface
    public interface Visitor {
        /**
         * Whether {@link #sample} should be called for samples named {@code metricName}. Asked before the
         * labels are decoded, once per distinct name per parse (the answer is remembered), so it may be a
         * map lookup or a {@link SeriesSelector#matchesName} without costing anything per sample.
         */
        default boolean wants(String metricName) {
            return true;
        }

        /** A {@code # TYPE} line: {@code family} is the name on that line, e.g. {@code http_requests_total}. */
        default void type(String family, MetricType type) {}

        /**
         * One sample of a wanted metric.
         *
         * @param name the metric name, the same {@code String} instance for every sample of that name in this
         *     parse
         * @param labels the labels in exposition order, unescaped; {@link Labels#EMPTY} when there are none
         * @param timestampMillis the sample's timestamp in milliseconds since the epoch, or
         *     {@link #NO_TIMESTAMP}
         */
        void sample(String name, Labels labels, double value, long timestampMillis);
    }

    /** An immutable, ordered list of label name/value pairs. Small, so lookups are a linear scan. */
    public static final class Labels {
        /** No labels. */
        public static final Labels EMPTY = new Labels(new String[0]);

        private final String[] namesAndValues;

        /** Takes ownership of the array: the parser hands over a fresh copy. */
        private Labels(String[] namesAndValues) {
            this.namesAndValues = namesAndValues;
        }

        /**
         * Labels from alternating names and values, e.g. {@code of("code", "200", "method", "get")}.
         *
         * @throws IllegalArgumentException for an odd count, a null, or a name that appears twice
         */
        public static Labels of(String... namesAndValues) {
            if (namesAndValues.length % 2 != 0) {
                throw new IllegalArgumentException(
                        "labels need a value for every name, but " + namesAndValues.length + " strings were given");
            }
            String[] copy = namesAndValues.clone();
            for (int i = 0; i < copy.length; i++) {
                Objects.requireNonNull(copy[i], i % 2 == 0 ? "label name" : "label value");
                for (int j = 0; i % 2 == 0 && j < i; j += 2) {
                    if (copy[j].equals(copy[i])) {
                        throw new IllegalArgumentException("label \"" + copy[i] + "\" is given twice");
                    }
                }
            }
            return copy.length == 0 ? EMPTY : new Labels(copy);
        }

        /** The number of labels. */
        public int size() {
            return namesAndValues.length / 2;
        }

        /** The name of the label at {@code index} (0-based, exposition order). */
        public String name(int index) {
            Objects.checkIndex(index, size());
            return namesAndValues[2 * index];
        }

        /** The value of the label at {@code index} (0-based, exposition order). */
        public String value(int index) {
            Objects.checkIndex(index, size());
            return namesAndValues[2 * index + 1];
        }

        /** The value of the label called {@code name}, or null when there is no such label. */
        public String get(String name) {
            for (int i = 0; i < namesAndValues.length; i += 2) {
                if (namesAndValues[i].equals(name)) {
                    return namesAndValues[i + 1];
                }
            }
            return null;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Labels labels && Arrays.equals(namesAndValues, labels.namesAndValues);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(namesAndValues);
        }

        /** As in the exposition: {@code {code="200",path="/a\"b"}}. */
        @Override
        public String toString() {
            StringBuilder text = new StringBuilder("{");
            for (int i = 0; i < namesAndValues.length; i += 2) {
                if (i > 0) {
                    text.append(',');
                }
                text.append(namesAndValues[i]).append("=\"");
                String value = namesAndValues[i + 1];
                for (int c = 0; c < value.length(); c++) {
                    char ch = value.charAt(c);
                    switch (ch) {
                        case '\\' -> text.append("\\\\");
                        case '"' -> text.append("\\\"");
                        case '\n' -> text.append("\\n");
                        default -> text.append(ch);
                    }
                }
                text.append('"');
            }
            return text.append('}').toString();
        }
    }

    /** A line that is not well-formed. The message reads {@code line 12: expected '=' after label name "code"}. */
    public static final class ParseException extends Exception {
        private final int line;

        ParseException(int line, String expectation) {
            super("line " + line + ": " + expectation);
            this.line = line;
        }

        /** The 1-based number of the offending line. */
        public int line() {
            return line;
        }
    }

    /** One parse: the position, the line, and the per-parse name table. Not shared, so not synchronized. */
    private static final class Parser {
        private static final double[] POWERS_OF_TEN = {
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
            1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        };
        private static final MetricType[] METRIC_TYPES = MetricType.values();
        /** Any 15-digit integer is below 2^53, so it is exact as a double. */
        private static final int MAX_EXACT_DIGITS = 15;

        private static final String SAMPLE_VALUE = "the value of";
        private static final String EXEMPLAR_VALUE = "the exemplar value of";
        private static final String EXEMPLAR_TIMESTAMP = "the exemplar timestamp of";
        private static final String SAMPLE_TIMESTAMP = "the timestamp of";

        private final byte[] data;
        private final int start;
        private final int end;
        private final Format format;
        private final Visitor visitor;
        private final NameTable names = new NameTable();

        private int lineNumber;
        private int lineEnd;
        private boolean sawEof;

        /** Label names (even slots) and, when decoded, values (odd slots) of the sample being parsed. */
        private String[] labelScratch = new String[16];
        private int labelCount;
        /** Unescaped label value bytes; only used for values that contain a backslash. */
        private byte[] valueScratch = new byte[256];
        /** Created on the first non-ASCII label value: most expositions have none. */
        private CharsetDecoder strictUtf8;

        Parser(byte[] data, int start, int end, Format format, Visitor visitor) {
            this.data = data;
            this.start = start;
            this.end = end;
            this.format = format;
            this.visitor = visitor;
        }

        void parse() throws ParseException {
            int lineStart = start;
            while (lineStart < end) {
                lineNumber++;
                int newline = lineStart;
                while (newline < end && data[newline] != '\n') {
                    newline++;
                }
                lineEnd = newline;
                line(lineStart);
                lineStart = newline + 1;
            }
            if (format == Format.OPENMETRICS && !sawEof) {
                throw new ParseException(Math.max(lineNumber, 1),
                        "expected '# EOF' as the last line of an OpenMetrics exposition (was it cut short?)");
            }
        }

        private void line(int start) throws ParseException {
            int p = skipBlanks(start);
            if (p == lineEnd) {
                return;
            }
            if (sawEof) {
                throw error("expected nothing after '# EOF', found " + describe(p));
            }
            if (data[p] == '#') {
                comment(p + 1);
            } else {
                sample(p);
            }
        }

        /** {@code # HELP}, {@code # TYPE} and {@code # EOF} have a syntax; any other comment is free text. */
        private void comment(int start) throws ParseException {
            int p = skipBlanks(start);
            if (p == start) {
                return;
            }
            if (keywordAt(p, "HELP")) {
                int nameStart = skipBlanks(p + 4);
                int nameEnd = metricNameEnd(nameStart, "after '# HELP'");
                if (nameEnd < lineEnd && !isBlank(data[nameEnd])) {
                    throw error("expected a space after the metric name in '# HELP', found " + describe(nameEnd));
                }
                // The help text itself is free text: nothing here needs it, so it is not decoded.
            } else if (keywordAt(p, "TYPE")) {
                typeLine(skipBlanks(p + 4));
            } else if (p + 3 <= lineEnd && data[p] == 'E' && data[p + 1] == 'O' && data[p + 2] == 'F'
                    && skipBlanks(p + 3) == lineEnd) {
                sawEof = true;
            }
        }

        /** {@code keyword} followed by a blank: "# HELPFUL note" is a plain comment, not a HELP line. */
        private boolean keywordAt(int p, String keyword) {
            int after = p + keyword.length();
            if (after >= lineEnd || !isBlank(data[after])) {
                return false;
            }
            for (int i = 0; i < keyword.length(); i++) {
                if (data[p + i] != keyword.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        private void typeLine(int nameStart) throws ParseException {
            int nameEnd = metricNameEnd(nameStart, "after '# TYPE'");
            String family = names.intern(data, nameStart, nameEnd).string;
            int typeStart = skipBlanks(nameEnd);
            if (typeStart == nameEnd) {
                throw error(typeStart == lineEnd
                        ? "expected a type after '# TYPE " + family + "'"
                        : "expected a space after the metric name in '# TYPE', found " + describe(typeStart));
            }
            int typeEnd = tokenEnd(typeStart);
            MetricType type = metricType(typeStart, typeEnd);
            if (type == null) {
                throw error("expected counter, gauge, histogram, summary, untyped (or an OpenMetrics type)"
                        + " after '# TYPE " + family + "', found " + describeToken(typeStart, typeEnd));
            }
            int after = skipBlanks(typeEnd);
            if (after != lineEnd) {
                throw error("expected the end of the line after '# TYPE " + family + " " + type.word()
                        + "', found " + describe(after));
            }
            visitor.type(family, type);
        }

        private MetricType metricType(int start, int stop) {
            if (matches(start, stop, "unknown")) {
                return MetricType.UNTYPED;
            }
            for (MetricType type : METRIC_TYPES) {
                if (matches(start, stop, type.word())) {
                    return type;
                }
            }
            return null;
        }

        private boolean matches(int start, int stop, String ascii) {
            if (stop - start != ascii.length()) {
                return false;
            }
            for (int i = 0; i < ascii.length(); i++) {
                if (data[start + i] != ascii.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        private void sample(int nameStart) throws ParseException {
            int nameEnd = metricNameEnd(nameStart, "at the start of the line");
            Name name = names.intern(data, nameStart, nameEnd);
            if (nameEnd < lineEnd && data[nameEnd] != '{' && !isBlank(data[nameEnd])) {
                throw error("expected '{' or a space after the metric name \"" + name.string + "\", found "
                        + describe(nameEnd));
            }
            boolean wanted = name.wantedBy(visitor);
            // As in Prometheus' own lexer, blanks may separate the name from its '{'.
            int p = skipBlanks(nameEnd);
            boolean hasLabels = p < lineEnd && data[p] == '{';
            labelCount = 0;
            if (hasLabels) {
                p = labels(p + 1, wanted, name.string, "");
            }
            int valueStart = skipBlanks(p);
            if (valueStart == lineEnd) {
                throw error("expected a value after " + (hasLabels ? "the labels of" : "the metric name")
                        + " \"" + name.string + "\"");
            }
            int valueEnd = tokenEnd(valueStart);
            double value = number(valueStart, valueEnd, true, wanted, SAMPLE_VALUE, name.string);
            long timestamp = NO_TIMESTAMP;
            int q = skipBlanks(valueEnd);
            if (q < lineEnd && data[q] != '#') {
                int timestampEnd = tokenEnd(q);
                timestamp = timestamp(q, timestampEnd, name.string);
                q = skipBlanks(timestampEnd);
                if (q < lineEnd && data[q] != '#') {
                    throw error("expected the end of the line or an exemplar after the timestamp of \""
                            + name.string + "\", found " + describe(q));
                }
            }
            // Taken before the exemplar, whose labels reuse the scratch array.
            Labels labels = !wanted || labelCount == 0
                    ? Labels.EMPTY
                    : new Labels(Arrays.copyOf(labelScratch, 2 * labelCount));
            if (q < lineEnd) {
                exemplar(q + 1, name.string);
            }
            if (wanted) {
                visitor.sample(name.string, labels, value, timestamp);
            }
        }

        /** OpenMetrics' {@code # {trace_id="abc"} 0.67 1712345678.123}: checked, then dropped. */
        private void exemplar(int afterHash, String metric) throws ParseException {
            int p = skipBlanks(afterHash);
            if (p == afterHash || p == lineEnd || data[p] != '{') {
                throw error("expected ' {' to start an exemplar after the value of \"" + metric + "\", found "
                        + describe(p));
            }
            labelCount = 0;
            p = labels(p + 1, false, metric, "exemplar ");
            int valueStart = skipBlanks(p);
            if (valueStart == lineEnd) {
                throw error("expected a value after the exemplar labels of \"" + metric + "\"");
            }
            int valueEnd = tokenEnd(valueStart);
            number(valueStart, valueEnd, true, false, EXEMPLAR_VALUE, metric);
            int q = skipBlanks(valueEnd);
            if (q < lineEnd) {
                int timestampEnd = tokenEnd(q);
                number(q, timestampEnd, false, false, EXEMPLAR_TIMESTAMP, metric);
                q = skipBlanks(timestampEnd);
                if (q < lineEnd) {
                    throw error("expected the end of the line after the exemplar of \"" + metric + "\", found "
                            + describe(q));
                }
            }
        }

        /**
         * Reads {@code name="value",...}} from just after the '{'. Names always go into {@link #labelScratch}
         * (they are interned, so checking for duplicates is a reference comparison); values only when
         * {@code decode}. Returns the position after the '}'.
         */
        private int labels(int start, boolean decode, String metric, String kind) throws ParseException {
            int p = start;
            while (true) {
                p = skipBlanks(p);
                if (p < lineEnd && data[p] == '}') {
                    return p + 1;
                }
                if (p == lineEnd || !isLabelNameStart(data[p])) {
                    throw error("expected a label name or '}' in the " + kind + "labels of \"" + metric
                            + "\", found " + describe(p));
                }
                int nameStart = p;
                do {
                    p++;
                } while (p < lineEnd && isLabelNameChar(data[p]));
                String labelName = names.intern(data, nameStart, p).string;
                for (int i = 0; i < labelCount; i++) {
                    if (labelScratch[2 * i] == labelName) {
                        throw error("label \"" + labelName + "\" appears twice in the " + kind + "labels of \""
                                + metric + "\"");
                    }
                }
                p = skipBlanks(p);
                if (p == lineEnd || data[p] != '=') {
                    throw error("expected '=' after label name \"" + labelName + "\", found " + describe(p));
                }
                p = skipBlanks(p + 1);
                if (p == lineEnd || data[p] != '"') {
                    throw error("expected '\"' to open the value of label \"" + labelName + "\", found "
                            + describe(p));
                }
                p = labelValue(p + 1, decode, labelName);
                p = skipBlanks(p);
                if (p < lineEnd && data[p] == ',') {
                    p++;
                } else if (p == lineEnd || data[p] != '}') {
                    throw error("expected ',' or '}' after the value of label \"" + labelName + "\", found "
                            + describe(p));
                }
            }
        }

        /** Reads a label value from just after its opening quote; returns the position after the closing quote. */
        private int labelValue(int start, boolean decode, String labelName) throws ParseException {
            int p = start;
            boolean escaped = false;
            boolean nonAscii = false;
            while (true) {
                if (p == lineEnd) {
                    throw error("expected a closing '\"' after the value of label \"" + labelName + "\"");
                }
                byte b = data[p];
                if (b == '"') {
                    break;
                }
                if (b == '\\') {
                    if (p + 1 == lineEnd) {
                        throw error("expected a closing '\"' after the value of label \"" + labelName + "\"");
                    }
                    byte next = data[p + 1];
                    if (next != '\\' && next != '"' && next != 'n') {
                        String escape = next >= 0x20 && next < 0x7f
                                ? "'\\" + (char) next + "'"
                                : "'\\' followed by " + describe(p + 1);
                        throw error("bad escape " + escape + " in the value of label \"" + labelName
                                + "\": only \\\\, \\\" and \\n are allowed");
                    }
                    escaped = true;
                    p += 2;
                } else {
                    nonAscii |= b < 0;
                    p++;
                }
            }
            String value = null;
            if (decode || nonAscii) {
                value = decodeValue(start, p, escaped, nonAscii, labelName);
            }
            if (labelCount == labelScratch.length / 2) {
                labelScratch = Arrays.copyOf(labelScratch, labelScratch.length * 2);
            }
            labelScratch[2 * labelCount] = labelName;
            labelScratch[2 * labelCount + 1] = value;
            labelCount++;
            return p + 1;
        }

        private String decodeValue(int start, int stop, boolean escaped, boolean nonAscii, String labelName)
                throws ParseException {
            if (!escaped && !nonAscii) {
                return new String(data, start, stop - start, StandardCharsets.ISO_8859_1);
            }
            byte[] source = data;
            int from = start;
            int length = stop - start;
            if (escaped) {
                if (valueScratch.length < length) {
                    valueScratch = new byte[Math.max(length, valueScratch.length * 2)];
                }
                int n = 0;
                for (int p = start; p < stop; p++) {
                    byte b = data[p];
                    if (b == '\\') {
                        b = data[++p] == 'n' ? (byte) '\n' : data[p];
                    }
                    valueScratch[n++] = b;
                }
                source = valueScratch;
                from = 0;
                length = n;
            }
            if (!nonAscii) {
                return new String(source, from, length, StandardCharsets.ISO_8859_1);
            }
            // Prometheus refuses label values that are not UTF-8; a lenient decode would hide that behind U+FFFD.
            if (strictUtf8 == null) {
                strictUtf8 = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
            }
            try {
                CharBuffer chars = strictUtf8.reset().decode(ByteBuffer.wrap(source, from, length));
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw error("the value of label \"" + labelName + "\" is not valid UTF-8");
            }
        }

        private long timestamp(int start, int stop, String metric) throws ParseException {
            if (format == Format.OPENMETRICS) {
                double seconds = number(start, stop, false, true, SAMPLE_TIMESTAMP, metric);
                return Math.round(seconds * 1000.0);
            }
            int p = start;
            boolean negative = data[p] == '-';
            if (negative) {
                p++;
            }
            if (p == stop) {
                throw badTimestamp(start, stop, metric);
            }
            long millis = 0;
            for (; p < stop; p++) {
                int digit = data[p] - '0';
                if (digit < 0 || digit > 9) {
                    throw badTimestamp(start, stop, metric);
                }
                if (millis > (Long.MAX_VALUE - digit) / 10) {
                    throw error("the timestamp of \"" + metric + "\" is out of range: " + describeToken(start, stop));
                }
                millis = millis * 10 + digit;
            }
            return negative ? -millis : millis;
        }

        private ParseException badTimestamp(int start, int stop, String metric) {
            return error("expected an integer timestamp in milliseconds or the end of the line after the value of \""
                    + metric + "\", found " + describeToken(start, stop));
        }

        /**
         * Parses a float as Go's {@code strconv.ParseFloat} (what Prometheus uses) reads decimals: an optional
         * sign, digits with an optional fraction, an optional exponent, or Inf/Infinity/NaN in any case.
         *
         * <p>Values of up to 15 significant digits and a decimal exponent within ±22 are computed here, exactly:
         * both the digits and the power of ten are exact doubles, so one multiplication or division is
         * correctly rounded (Clinger's fast path). That covers counters, gauges and Go's {@code %g} output, and
         * saves a String per sample; anything longer goes to {@link Double#parseDouble}.
         *
         * @param compute false when the value is only checked (a sample nobody wants): the slow path is skipped
         */
        private double number(int start, int stop, boolean specialsAllowed, boolean compute, String role,
                String metric) throws ParseException {
            int p = start;
            boolean negative = false;
            if (data[p] == '+' || data[p] == '-') {
                negative = data[p] == '-';
                p++;
            }
            if (p < stop && !isDigit(data[p]) && data[p] != '.') {
                double special = special(p, stop, p > start);
                if (special == 0 || !specialsAllowed) {
                    throw badNumber(start, stop, specialsAllowed, role, metric);
                }
                return negative ? -special : special;
            }
            long mantissa = 0;
            int significantDigits = 0;
            int digits = 0;
            int fractionDigits = 0;
            boolean inFraction = false;
            for (; p < stop; p++) {
                byte b = data[p];
                if (b == '.' && !inFraction) {
                    inFraction = true;
                    continue;
                }
                if (!isDigit(b)) {
                    break;
                }
                digits++;
                if (inFraction) {
                    fractionDigits++;
                }
                // Leading zeros are not significant; digits past the 15th send the value to the slow path.
                if ((mantissa != 0 || b != '0') && ++significantDigits <= MAX_EXACT_DIGITS) {
                    mantissa = mantissa * 10 + (b - '0');
                }
            }
            if (digits == 0) {
                throw badNumber(start, stop, specialsAllowed, role, metric);
            }
            int exponent = 0;
            if (p < stop && (data[p] == 'e' || data[p] == 'E')) {
                p++;
                boolean negativeExponent = false;
                if (p < stop && (data[p] == '+' || data[p] == '-')) {
                    negativeExponent = data[p] == '-';
                    p++;
                }
                if (p == stop) {
                    throw badNumber(start, stop, specialsAllowed, role, metric);
                }
                for (; p < stop && isDigit(data[p]); p++) {
                    // Beyond this the value is 0 or infinite anyway; the cap keeps the int from overflowing.
                    exponent = Math.min(exponent * 10 + (data[p] - '0'), 100_000);
                }
                exponent = negativeExponent ? -exponent : exponent;
            }
            if (p != stop) {
                throw badNumber(start, stop, specialsAllowed, role, metric);
            }
            int decimalExponent = exponent - fractionDigits;
            if (significantDigits <= MAX_EXACT_DIGITS && decimalExponent >= -22 && decimalExponent <= 22) {
                double magnitude = decimalExponent >= 0
                        ? mantissa * POWERS_OF_TEN[decimalExponent]
                        : mantissa / POWERS_OF_TEN[-decimalExponent];
                return negative ? -magnitude : magnitude;
            }
            if (!compute) {
                return 0;
            }
            return Double.parseDouble(new String(data, start, stop - start, StandardCharsets.ISO_8859_1));
        }

        /** Inf, Infinity (any case, sign allowed) or NaN (any case, no sign); 0 when it is neither. */
        private double special(int p, int stop, boolean signed) {
            int length = stop - p;
            if ((length == 3 || length == 8) && equalsIgnoreCase(p, stop, length == 3 ? "inf" : "infinity")) {
                return Double.POSITIVE_INFINITY;
            }
            if (!signed && length == 3 && equalsIgnoreCase(p, stop, "nan")) {
                return Double.NaN;
            }
            return 0;
        }

        private boolean equalsIgnoreCase(int start, int stop, String lowerAscii) {
            for (int i = 0; i < stop - start; i++) {
                if ((data[start + i] | 0x20) != lowerAscii.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        private ParseException badNumber(int start, int stop, boolean specialsAllowed, String role, String metric) {
            return error("expected a number" + (specialsAllowed ? ", +Inf, -Inf or NaN" : "") + " as " + role
                    + " \"" + metric + "\", found " + describeToken(start, stop));
        }

        /** Returns the end of the metric name at {@code start}, which must be one. */
        private int metricNameEnd(int start, String where) throws ParseException {
            if (start == lineEnd || !isMetricNameStart(data[start])) {
                throw error("expected a metric name " + where + ", found " + describe(start));
            }
            int p = start + 1;
            while (p < lineEnd && isMetricNameChar(data[p])) {
                p++;
            }
            return p;
        }

        private int skipBlanks(int p) {
            while (p < lineEnd && isBlank(data[p])) {
                p++;
            }
            return p;
        }

        private int tokenEnd(int p) {
            while (p < lineEnd && !isBlank(data[p])) {
                p++;
            }
            return p;
        }

        private ParseException error(String expectation) {
            return new ParseException(lineNumber, expectation);
        }

        private String describe(int p) {
            if (p >= lineEnd) {
                return "the end of the line";
            }
            int b = data[p] & 0xff;
            return b >= 0x20 && b < 0x7f ? "'" + (char) b + "'" : String.format(Locale.ROOT, "byte 0x%02X", b);
        }

        private String describeToken(int start, int stop) {
            int shown = Math.min(stop - start, 40);
            String token = new String(data, start, shown, StandardCharsets.UTF_8);
            // a hostile exposition must not put terminal control sequences into aegis' log (hostile L4)
            StringBuilder printable = new StringBuilder(token.length());
            token.codePoints().forEach(c -> {
                if (Character.isISOControl(c)) {
                    printable.append(String.format(Locale.ROOT, "\\x%02X", c));
                } else {
                    printable.appendCodePoint(c);
                }
            });
            return "\"" + printable + (shown < stop - start ? "…" : "") + "\"";
        }

        private static boolean isBlank(byte b) {
            return b == ' ' || b == '\t';
        }

        private static boolean isDigit(byte b) {
            return b >= '0' && b <= '9';
        }

        private static boolean isLabelNameStart(byte b) {
            return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_';
        }

        private static boolean isLabelNameChar(byte b) {
            return isLabelNameStart(b) || isDigit(b);
        }

        private static boolean isMetricNameStart(byte b) {
            return isLabelNameStart(b) || b == ':';
        }

        private static boolean isMetricNameChar(byte b) {
            return isLabelNameChar(b) || b == ':';
        }
    }

    /** A metric or label name seen in this parse, and (for metric names) whether the visitor wants it. */
    private static final class Name {
        private static final byte UNASKED = 0;
        private static final byte WANTED = 1;
        private static final byte UNWANTED = 2;

        final byte[] bytes;
        final int hash;
        final String string;
        private byte wanted = UNASKED;

        Name(byte[] bytes, int hash) {
            this.bytes = bytes;
            this.hash = hash;
            this.string = new String(bytes, StandardCharsets.ISO_8859_1);
        }

        boolean wantedBy(Visitor visitor) {
            if (wanted == UNASKED) {
                wanted = visitor.wants(string) ? WANTED : UNWANTED;
            }
            return wanted == WANTED;
        }
    }

    /**
     * Interns names by their bytes, so a name seen before costs a hash and a comparison instead of a String.
     * Open addressing with linear probing; names are ASCII (the grammar allows nothing else), so their bytes
     * are their characters.
     */
    private static final class NameTable {
        private Name[] slots = new Name[256];
        private int size;

        Name intern(byte[] data, int start, int stop) {
            int hash = 1;
            for (int p = start; p < stop; p++) {
                hash = 31 * hash + data[p];
            }
            hash ^= hash >>> 16;
            int mask = slots.length - 1;
            for (int i = hash & mask; ; i = (i + 1) & mask) {
                Name name = slots[i];
                if (name == null) {
                    break;
                }
                if (name.hash == hash && Arrays.equals(name.bytes, 0, name.bytes.length, data, start, stop)) {
                    return name;
                }
            }
            Name name = new Name(Arrays.copyOfRange(data, start, stop), hash);
            if (++size * 2 > slots.length) {
                grow();
            }
            insert(slots, name);
            return name;
        }

        private void grow() {
            Name[] bigger = new Name[slots.length * 2];
            for (Name name : slots) {
                if (name != null) {
                    insert(bigger, name);
                }
            }
            slots = bigger;
        }

        private static void insert(Name[] table, Name name) {
            int mask = table.length - 1;
            int i = name.hash & mask;
            while (table[i] != null) {
                i = (i + 1) & mask;
            }
            table[i] = name;
        }
    }
}
