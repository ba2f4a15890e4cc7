package io.aegis.core.internal.logs;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log patterns to look for, matched against lines given as bytes. A line that cannot match (most of them) is
 * rejected on its bytes, without being decoded: the literals each regex requires ({@link RequiredLiterals}) are looked
 * for first, in one pass over the line for all patterns, and only a line holding one of a pattern's literals is
 * decoded (invalid UTF-8 replaced, as {@code new String(bytes, UTF_8)} does) and given to that pattern's {@link
 * Matcher#find()}. The result is exactly that of {@code Pattern.compile(regex).matcher(line).find()} on the decoded
 * line; a regex without a literal it surely requires runs on every line.
 *
 * <p>The pass looks up each pair of adjacent bytes of the line in a table of "anchor" pairs: for each literal, its pair
 * least frequent in log text (in both cases where it is case-insensitive). Only where an anchor pair occurs is a
 * literal compared. Immutable and safe to share between threads (the
 * decoding buffer and the matchers are per thread); nothing is allocated per line.
 *
 * <p>Each regex evaluation has a time budget ({@link #BUDGET_MILLIS} per line and pattern): a regex that backtracks
 * catastrophically ({@code (a+)+b} on a long line of a's) would otherwise hold the one thread that reads every log
 * file of the engine for hours. The text given to the matcher counts the characters the regex reads and looks at the
 * clock every few thousand; past the budget the evaluation is abandoned, the line counts as not matching that
 * pattern, and the pattern's {@link #timeouts(int) time-out count} goes up (with one WARN naming the pattern).
 */
public final class PatternSet {
    /** How long one regex may run on one line before the line counts as not matching it. */
    static final long BUDGET_MILLIS = 100;
    private static final Logger log = LoggerFactory.getLogger(PatternSet.class);
    /** How common a byte is in log text, most common first; bytes not listed are taken as rare. */
    private static final String COMMON = " etaoinsrlcdhupmfg0123456789.:-/ybwvk,=_[]\"TESAIRONLCDPMU()'kx>j<FGBHWV";

    private final List<String> names;
    private final List<Pattern> patterns;
    private final int size;
    /** Patterns that run on every line (no literal required), as a bit set. */
    private final long[] always;
    /**
     * Whether the byte pair {@code (b1 << 8) | b2} is some literal's anchor; a literal of one byte is anchored on the
     * pairs it ends (any first byte), and one at the very start of a line on the pair (256, b) checked separately.
     */
    private final boolean[] anchor = new boolean[1 << 16];
    /** Entries of anchor pair p: [entryStart[p], entryStart[p + 1]). */
    private final int[] entryStart = new int[(1 << 16) + 1];
    /** Literals of one byte, by that byte: they are checked at a line's first byte, where no pair ends. */
    private final boolean[] firstByte = new boolean[256];
    private final int[] entryLiteral;
    private final int[] entryOffset;
    private final byte[][] literals;
    private final boolean[] literalFolded;
    private final int[] literalPattern;
    private final ThreadLocal<Decoding> decoding;
    private final long budgetNanos;
    private final LongAdder[] timeouts;
    private final AtomicBoolean[] timeoutLogged;
    private static final byte[] FOLD = new byte[256];

    static {
        for (int b = 0; b < 256; b++) {
            FOLD[b] = (byte) (b >= 'A' && b <= 'Z' ? b + 32 : b);
        }
    }

    private PatternSet(List<String> names, List<Pattern> patterns, long budgetNanos) {
        this.budgetNanos = budgetNanos;
        this.timeouts = new LongAdder[patterns.size()];
        this.timeoutLogged = new AtomicBoolean[patterns.size()];
        for (int i = 0; i < timeouts.length; i++) {
            timeouts[i] = new LongAdder();
            timeoutLogged[i] = new AtomicBoolean();
        }
        this.names = List.copyOf(names);
        this.patterns = List.copyOf(patterns);
        this.size = patterns.size();
        this.always = new long[(size + 63) >>> 6];
        List<byte[]> literalBytes = new ArrayList<>();
        List<Boolean> folded = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            RequiredLiterals.Requirement requirement = RequiredLiterals.of(patterns.get(i).pattern());
            if (requirement.literals().isEmpty()) {
                always[i >>> 6] |= 1L << i;
                continue;
            }
            for (String literal : requirement.literals()) {
                literalBytes.add(literal.getBytes(StandardCharsets.UTF_8));
                folded.add(requirement.caseInsensitive());
                owner.add(i);
            }
        }
        int count = literalBytes.size();
        literals = literalBytes.toArray(new byte[0][]);
        literalFolded = new boolean[count];
        literalPattern = new int[count];
        // Each literal's anchor: its rarest pair of adjacent bytes, in every case the literal allows.
        List<int[]> anchors = new ArrayList<>(); // {pair, literal, offset of the pair's first byte}
        for (int l = 0; l < count; l++) {
            literalFolded[l] = folded.get(l);
            literalPattern[l] = owner.get(l);
            byte[] bytes = literals[l];
            if (bytes.length == 1) {
                int b = bytes[0] & 0xFF;
                for (int v : variants(b, literalFolded[l])) {
                    firstByte[v] = true;
                    for (int before = 0; before < 256; before++) {
                        anchors.add(new int[] {(before << 8) | v, l, -1});
                    }
                }
                continue;
            }
            int best = 0;
            int bestRank = Integer.MIN_VALUE;
            for (int k = 0; k + 1 < bytes.length; k++) {
                int rank = rarity(bytes[k] & 0xFF, literalFolded[l]) + rarity(bytes[k + 1] & 0xFF, literalFolded[l]);
                if (rank > bestRank) {
                    bestRank = rank;
                    best = k;
                }
            }
            for (int first : variants(bytes[best] & 0xFF, literalFolded[l])) {
                for (int second : variants(bytes[best + 1] & 0xFF, literalFolded[l])) {
                    anchors.add(new int[] {(first << 8) | second, l, best});
                }
            }
        }
        entryLiteral = new int[anchors.size()];
        entryOffset = new int[anchors.size()];
        int[] perPair = new int[(1 << 16) + 1];
        for (int[] entry : anchors) {
            perPair[entry[0] + 1]++;
        }
        for (int p = 0; p < (1 << 16); p++) {
            entryStart[p + 1] = entryStart[p] + perPair[p + 1];
            anchor[p] = perPair[p + 1] > 0;
        }
        int[] next = Arrays.copyOf(entryStart, 1 << 16);
        for (int[] entry : anchors) {
            entryLiteral[next[entry[0]]] = entry[1];
            entryOffset[next[entry[0]]] = entry[2];
            next[entry[0]]++;
        }
        this.decoding = ThreadLocal.withInitial(() -> new Decoding(this.patterns, always.length));
    }

    /** The bytes a literal's byte {@code b} matches: itself, and its upper case when folded. */
    private static int[] variants(int b, boolean folded) {
        return folded && b >= 'a' && b <= 'z' ? new int[] {b, b - 32} : new int[] {b};
    }

    /** How rare byte {@code b} is in log text: higher is rarer; a folded letter counts as its commoner case. */
    private static int rarity(int b, boolean folded) {
        int rank = rank(b);
        if (folded && b >= 'a' && b <= 'z') {
            rank = Math.min(rank, rank(b - 32));
        }
        return rank;
    }

    private static int rank(int b) {
        int common = COMMON.indexOf((char) b);
        return common < 0 ? COMMON.length() + 1 : common;
    }

    /** Starts a set; patterns are added in order and are then known by their index. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Compiles {@code regex} as a pattern of this set is compiled.
     *
     * @throws PatternSyntaxException with the position ({@link PatternSyntaxException#getIndex()}) and a description
     */
    public static Pattern compile(String regex) {
        return Pattern.compile(regex);
    }

    /**
     * Why {@code regex} is not a valid pattern, and where ({@code "Unclosed group near index 7"}), for the
     * configuration's error message; {@code null} when it compiles.
     */
    public static String problem(String regex) {
        try {
            compile(regex);
            return null;
        } catch (PatternSyntaxException e) {
            return e.getDescription() + (e.getIndex() >= 0 ? " near index " + e.getIndex() : "");
        }
    }

    /** How many patterns the set holds. */
    public int size() {
        return size;
    }

    /** The name of pattern {@code index}. */
    public String name(int index) {
        return names.get(index);
    }

    /** The compiled pattern {@code index}. */
    public Pattern pattern(int index) {
        return patterns.get(index);
    }

    /** How many lines pattern {@code index} was abandoned on because it ran past its time budget. */
    public long timeouts(int index) {
        return timeouts[index].sum();
    }

    /** Whether pattern {@code index} has required literals (else its regex runs on every line). */
    boolean prefiltered(int index) {
        return (always[index >>> 6] & (1L << index)) == 0;
    }

    /**
     * Calls {@code matched} with the index of every pattern found in the line {@code bytes[offset, offset+length)}, in
     * index order, while the bytes are still valid.
     *
     * @return how many patterns matched
     */
    public int forEachMatch(byte[] bytes, int offset, int length, IntConsumer matched) {
        return scan(bytes, offset, length, null, 0, null, Objects.requireNonNull(matched, "matched"));
    }

    /** Told each pattern found in a line, with the line's context handed through (no capturing lambda per line). */
    public interface Visitor {
        /** Pattern {@code pattern} was found in the line {@code bytes[offset, offset+length)}, valid during the call. */
        void matched(int pattern, String origin, long lineNumber, byte[] bytes, int offset, int length);
    }

    /**
     * As {@link #forEachMatch(byte[], int, int, IntConsumer)}, handing {@code origin} and {@code lineNumber} through to
     * {@code visitor}, so a caller can pass one reused visitor instead of a lambda capturing the line.
     *
     * @return how many patterns matched
     */
    public int forEachMatch(byte[] bytes, int offset, int length, String origin, long lineNumber, Visitor visitor) {
        return scan(bytes, offset, length, origin, lineNumber, Objects.requireNonNull(visitor, "visitor"), null);
    }

    private int scan(byte[] bytes, int offset, int length, String origin, long lineNumber, Visitor visitor,
            IntConsumer matched) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        Decoding decoded = null;
        long[] candidates = null;
        if (size > 64) {
            // a per-thread scratch set, not a clone per line
            decoded = decoding.get();
            candidates = decoded.candidates;
            System.arraycopy(always, 0, candidates, 0, always.length);
        }
        long small = size <= 64 && size > 0 ? always[0] : 0;
        long all = size >= 64 ? -1L : (1L << size) - 1;
        int end = offset + length;
        boolean[] anchors = anchor;
        if (length > 0 && firstByte[bytes[offset] & 0xFF]) {
            // a one-byte literal at the line's first byte, where no pair ends
            for (int l = 0; l < literals.length; l++) {
                if (literals[l].length == 1 && equal(bytes, offset, literals[l], literalFolded[l])) {
                    int pattern = literalPattern[l];
                    if (candidates == null) {
                        small |= 1L << pattern;
                    } else {
                        candidates[pattern >>> 6] |= 1L << pattern;
                    }
                }
            }
        }
        for (int i = nextAnchor(bytes, offset + 1, end, anchors); i < end; i = nextAnchor(bytes, i + 1, end, anchors)) {
            int pair = ((bytes[i - 1] & 0xFF) << 8) | (bytes[i] & 0xFF);
            for (int e = entryStart[pair], last = entryStart[pair + 1]; e < last; e++) {
                int literal = entryLiteral[e];
                int pattern = literalPattern[literal];
                if (candidates == null ? (small & (1L << pattern)) != 0
                        : (candidates[pattern >>> 6] & (1L << pattern)) != 0) {
                    continue;
                }
                // the pair ends at i; a one-byte literal (offset -1) is the pair's second byte
                int start = i - 1 - entryOffset[e];
                byte[] text = literals[literal];
                if (start < offset || start + text.length > end || !equal(bytes, start, text, literalFolded[literal])) {
                    continue;
                }
                if (candidates == null) {
                    small |= 1L << pattern;
                } else {
                    candidates[pattern >>> 6] |= 1L << pattern;
                }
            }
            if (candidates == null && small == all) {
                break;
            }
        }
        if (candidates == null ? small == 0 : isEmpty(candidates)) {
            return 0;
        }
        if (decoded == null) {
            decoded = decoding.get();
        }
        decoded.decode(bytes, offset, length);
        int count = 0;
        for (int p = 0; p < size; p++) {
            boolean candidate = candidates == null ? (small & (1L << p)) != 0 : (candidates[p >>> 6] & (1L << p)) != 0;
            if (candidate && find(decoded, p)) {
                count++;
                if (visitor != null) {
                    visitor.matched(p, origin, lineNumber, bytes, offset, length);
                } else {
                    matched.accept(p);
                }
            }
        }
        return count;
    }

    private boolean find(Decoding decoded, int pattern) {
        try {
            return decoded.find(pattern, budgetNanos);
        } catch (OverBudget e) {
            timeouts[pattern].increment();
            if (timeoutLogged[pattern].compareAndSet(false, true)) {
                log.warn("log pattern {}: its regular expression ran over {} ms on a line of {} characters and was"
                        + " stopped; such lines count as not matching it."
                        + " It backtracks: write nested repetitions such as (a+)+ or (.*,)* without the nesting",
                        names.get(pattern), TimeUnit.NANOSECONDS.toMillis(budgetNanos), decoded.text.length());
            } else {
                log.debug("log pattern {}: stopped after {} ms on a line", names.get(pattern),
                        TimeUnit.NANOSECONDS.toMillis(budgetNanos));
            }
            return false;
        }
    }

    /**
     * The first index from {@code i} on where the byte pair ending there is an anchor, else {@code end}: the loop every
     * byte of every line goes through. Kept a small method of its own so the JIT compiles it on its own profile,
     * always the same (it nearly never finds one); inside the large loop that handles the anchors too, the same bytes
     * were scanned at about 300 or about 600 MB/s depending on how that loop happened to be compiled.
     */
    private static int nextAnchor(byte[] bytes, int i, int end, boolean[] anchors) {
        for (; i < end; i++) {
            if (anchors[((bytes[i - 1] & 0xFF) << 8) | (bytes[i] & 0xFF)]) {
                return i;
            }
        }
        return end;
    }

    /** Whether any pattern is found in the line. */
    public boolean anyMatch(byte[] bytes, int offset, int length) {
        return forEachMatch(bytes, offset, length, p -> { }) > 0;
    }

    private static boolean isEmpty(long[] bits) {
        for (long word : bits) {
            if (word != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean equal(byte[] bytes, int start, byte[] literal, boolean folded) {
        if (folded) {
            for (int k = 0; k < literal.length; k++) {
                if (FOLD[bytes[start + k] & 0xFF] != literal[k]) {
                    return false;
                }
            }
        } else {
            for (int k = 0; k < literal.length; k++) {
                if (bytes[start + k] != literal[k]) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A thread's decoding buffer and matchers, reused line after line. */
    private static final class Decoding {
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        private final Matcher[] matchers;
        /** Scratch candidate set for more than 64 patterns. */
        final long[] candidates;
        final BudgetedText text = new BudgetedText();
        private CharBuffer chars = CharBuffer.allocate(1024);
        private ByteBuffer in;

        Decoding(List<Pattern> patterns, int words) {
            matchers = new Matcher[patterns.size()];
            for (int i = 0; i < matchers.length; i++) {
                matchers[i] = patterns.get(i).matcher("");
            }
            candidates = new long[words];
        }

        void decode(byte[] bytes, int offset, int length) {
            if (chars.capacity() < length) {
                chars = CharBuffer.allocate(Math.max(length, chars.capacity() * 2));
            }
            chars.clear();
            decoder.reset();
            // one ByteBuffer per source array (the tailer's is reused line after line), not one per line
            if (in == null || in.array() != bytes) {
                in = ByteBuffer.wrap(bytes);
            }
            in.clear();
            in.limit(offset + length);
            in.position(offset);
            decoder.decode(in, chars, true);
            decoder.flush(chars);
            chars.flip();
            text.set(chars.array(), chars.limit());
            for (Matcher matcher : matchers) {
                matcher.reset(text);
            }
        }

        boolean find(int pattern, long budgetNanos) {
            text.start(budgetNanos);
            return matchers[pattern].find(0);
        }
    }

    /** Thrown out of a regex evaluation that ran over its budget; preallocated, without a stack trace. */
    private static final class OverBudget extends RuntimeException {
        static final OverBudget INSTANCE = new OverBudget();

        private OverBudget() {
            super(null, null, false, false);
        }
    }

    /**
     * The decoded line as the matchers read it: a char array whose {@link #charAt} counts down and, every {@link
     * #CHECK_EVERY} characters read, looks at the clock. The clock is first read only after that many characters, so a
     * regex on an ordinary line never reads it at all; the budget then starts there, which changes it by microseconds.
     */
    static final class BudgetedText implements CharSequence {
        static final int CHECK_EVERY = 1 << 14;
        private char[] chars = new char[0];
        private int length;
        private int countdown;
        private long budgetNanos;
        private long deadline;
        private boolean clockStarted;

        void set(char[] chars, int length) {
            this.chars = chars;
            this.length = length;
        }

        void start(long budgetNanos) {
            this.budgetNanos = budgetNanos;
            countdown = CHECK_EVERY;
            clockStarted = false;
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public char charAt(int index) {
            if (--countdown < 0) {
                checkBudget();
            }
            if (index >= length) {
                throw new IndexOutOfBoundsException(index);
            }
            return chars[index];
        }

        private void checkBudget() {
            countdown = CHECK_EVERY;
            long now = System.nanoTime();
            if (!clockStarted) {
                clockStarted = true;
                deadline = now + budgetNanos;
            } else if (now - deadline > 0) {
                throw OverBudget.INSTANCE;
            }
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            Objects.checkFromToIndex(start, end, length);
            return new String(chars, start, end - start);
        }

        @Override
        public String toString() {
            return new String(chars, 0, length);
        }
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
            return new PatternSet(names, patterns, TimeUnit.MILLISECONDS.toNanos(BUDGET_MILLIS));
        }

        /** The set with another time budget per regex evaluation, for tests. */
        PatternSet build(long budgetNanos) {
            return new PatternSet(names, patterns, budgetNanos);
        }
    }
}
