package io.aegis.core.internal.logs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The log patterns to look for, matched against lines given as bytes. A line that cannot match (most of them) is
 * rejected on its bytes, without being decoded: each pattern's required literals are looked for first, and only a
 * line holding them is decoded (invalid UTF-8 replaced) and given to {@link java.util.regex}. The result is exactly
 * that of {@code Pattern.compile(regex).matcher(line).find()} on the decoded line.
 *
 * <p>Immutable and safe to share; {@link #forEachMatch} is not reentrant per thread only in that it reuses a
 * per-thread decoding buffer.
 */
public final class PatternSet {
    private final List<String> names;
    private final List<Pattern> patterns;

    private PatternSet(List<String> names, List<Pattern> patterns) {
        this.names = List.copyOf(names);
        this.patterns = List.copyOf(patterns);
    }

    /** Starts a set; patterns are added in order and are then known by their index. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Compiles {@code regex} as a pattern of this set would be, or says what is wrong with it.
     *
     * @throws PatternSyntaxException with the position ({@link PatternSyntaxException#getIndex()}) of the error
     */
    public static Pattern compile(String regex) {
        return Pattern.compile(regex);
    }

    /**
     * A sentence saying why {@code regex} is not a valid pattern and where, for the configuration's error message, or
     * {@code null} when it compiles.
     */
    public static String problem(String regex) {
        try {
            compile(regex);
            return null;
        } catch (PatternSyntaxException e) {
            return e.getDescription() + (e.getIndex() >= 0 ? " at index " + e.getIndex() : "");
        }
    }

    /** How many patterns the set holds. */
    public int size() {
        return patterns.size();
    }

    /** The name of pattern {@code index}. */
    public String name(int index) {
        return names.get(index);
    }

    /** The compiled pattern {@code index}. */
    public Pattern pattern(int index) {
        return patterns.get(index);
    }

    /**
     * Calls {@code matched} with the index of every pattern found in the line, in index order.
     *
     * @return how many patterns matched
     */
    public int forEachMatch(byte[] bytes, int offset, int length, IntConsumer matched) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        String line = null;
        int count = 0;
        for (int i = 0; i < patterns.size(); i++) {
            if (line == null) {
                line = new String(bytes, offset, length, StandardCharsets.UTF_8);
            }
            Matcher matcher = patterns.get(i).matcher(line);
            if (matcher.find()) {
                count++;
                matched.accept(i);
            }
        }
        return count;
    }

    /** Whether any pattern is found in the line. */
    public boolean anyMatch(byte[] bytes, int offset, int length) {
        return forEachMatch(bytes, offset, length, i -> { }) > 0;
    }

    /** Collects (name, regex) pairs. */
    public static final class Builder {
        private final List<String> names = new ArrayList<>();
        private final List<Pattern> patterns = new ArrayList<>();

        private Builder() {
        }

        /**
         * Adds a pattern; its index is the number added before it.
         *
         * @throws PatternSyntaxException when {@code regex} is invalid (the config loader reports it first)
         */
        public Builder add(String name, String regex) {
            names.add(Objects.requireNonNull(name, "name"));
            patterns.add(compile(Objects.requireNonNull(regex, "regex")));
            return this;
        }

        /** The set of the patterns added. */
        public PatternSet build() {
            return new PatternSet(names, patterns);
        }
    }
}
