package io.aegis.core.internal.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.Test;

/** The literal pre-filter never changes a result: a pattern set finds exactly what each plain regex finds. */
class PatternSetTest {
    /** Realistic log patterns and ones built to trip a pre-filter (case, classes, alternations, Unicode, anchors). */
    private static final List<String> REGEXES = List.of(
            "(?i)(out of memory|java\\.lang\\.OutOfMemoryError)",
            "^\\s+at [\\w$.]+\\(",
            "\" 5\\d\\d ",
            "(?i)connection refused",
            "^panic: |goroutine \\d+ \\[running\\]",
            "Traceback \\(most recent call last\\)",
            "\\b(FATAL|CRITICAL)\\b",
            "^[ \\t]+at [A-Za-z0-9_$.]+\\(",
            "[\\d\\p{L}x]yz|[\\p{Lu}]Q",
            "(?i)too many open files",
            "[Ee]rror:? [0-9]{3}",
            "time(d out|out)",
            "ab+c",
            "x?yz*",
            "(?i:FoO)bar",
            "k[a-c]{2,}",
            "é+|ü",
            "\\Q.*\\E",
            "(a|b)(c|d)(e|f)(g|h)(i|j)",
            "(?=abc)ab",
            "(?<!x)ab",
            "(\\w)\\1",
            "(?i)ß|straße",
            "\\x41\\u0042C",
            "(?iu)kelvin",
            "(?x) a b # comment",
            "[^a]bc",
            ".",
            "\ufffd",
            "a{0}b",
            "(ab){1}c",
            "(?s)a.b",
            "x|",
            "\\tq",
            "(?i)q",
            "[#@]",
            "(?i)[k-m]x?",
            // stacked quantifiers, which Java accepts with rules of its own (review M2), and other rarer constructs
            "a{1}{2}", "x{1}{0}y", "(foo){1}{0}bar", "a*{2}b", "a+{2}c", "a{2}{1}", "(ab){1}{0,1}c", "b{2}+", "b{2}?",
            "(\\Qa)b\\E)c", "(?i:abc)D", "(?i)a(?-i)B", "\\x41", "\\u0041", "\\0101", "\\cA", "(?<n>ab)\\k<n>",
            "[[a-z]&&[^b]]x", "(?x)a b #c", "(?x:a b)c", "\\N{LATIN SMALL LETTER A}Q", "\\x{41}x", "[\\x41]y");

    @Test
    void everyLineGetsExactlyThePlainRegexResultWithThePreFilter() {
        PatternSet.Builder builder = PatternSet.builder();
        List<Pattern> plain = new ArrayList<>();
        for (int i = 0; i < REGEXES.size(); i++) {
            builder.add("p" + i, REGEXES.get(i));
            plain.add(Pattern.compile(REGEXES.get(i)));
        }
        PatternSet set = builder.build();
        Random random = new Random(12345);
        String[] fragments = {"out of memory", "OUT OF MEMORY", "java.lang.OutOfMemoryError", "   at com.x.Y.z(",
            "\tat a(", "\" 500 ", "\" 200 ", "\" 5xx ", "Connection Refused", "connection refused", "panic: ",
            "goroutine 12 [running]", "Traceback (most recent call last)", "FATAL", "xFATALx", "CRITICAL ",
            "TOO many OPEN files", "Error: 404", "error 500", "timed out", "timeout", "abbbc", "ac", "yzz", "y",
            "fOobar", "FOObar", "foobar", "kab", "kcc", "ka", "é", "éé", "ü", "Ü", ".*", "ABC", "abc", "xab", "aa",
            "ß", "STRASSE", "straße", "STRAßE", "\u212Aelvin", "KELVIN", "ab", "acegi", "bdfhj", "\ufffd", "b", "a\nb",
            "\tq", "k", "s", "\u017F", " ", "-", "[", "]", "(", ")", "\\", "|", "\r", "#", "@", "Q", "q", "M",
            "xy", "a)bc", "ABCD", "Ab", "\u0001", "aQ", "Ax", "Ay", "bb", "ax"};
        byte[][] garbage = {{(byte) 0xC3}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x9F}, {(byte) 0xFF},
            {(byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD}, {0}};
        int matchedLines = 0;
        for (int n = 0; n < 200_000; n++) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int parts = random.nextInt(8);
            for (int p = 0; p < parts; p++) {
                int kind = random.nextInt(10);
                if (kind < 5) {
                    line.writeBytes(fragments[random.nextInt(fragments.length)].getBytes(StandardCharsets.UTF_8));
                } else if (kind < 7) {
                    line.writeBytes(garbage[random.nextInt(garbage.length)]);
                } else if (kind < 9) {
                    for (int c = random.nextInt(12); c > 0; c--) {
                        line.write(32 + random.nextInt(95));
                    }
                } else {
                    line.write(random.nextInt(256));
                }
            }
            byte[] bytes = line.toByteArray();
            // the line sits inside a larger buffer, as the tailer hands it over
            byte[] buffer = new byte[bytes.length + 20];
            System.arraycopy(bytes, 0, buffer, 10, bytes.length);
            for (int i = 0; i < 10; i++) {
                buffer[i] = 'a';
                buffer[buffer.length - 1 - i] = 'c';
            }
            String text = new String(bytes, StandardCharsets.UTF_8);
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < plain.size(); i++) {
                if (plain.get(i).matcher(text).find()) {
                    expected.add(i);
                }
            }
            List<Integer> actual = new ArrayList<>();
            int count = set.forEachMatch(buffer, 10, bytes.length, actual::add);
            assertThat(actual).as("line %s", text).isEqualTo(expected);
            assertThat(count).isEqualTo(expected.size());
            matchedLines += expected.isEmpty() ? 0 : 1;
        }
        assertThat(matchedLines).as("the lines exercise the patterns").isGreaterThan(10_000);
    }

    @Test
    void realisticPatternsAreAllPreFilteredAndTheUnmodelledOnesAreNot() {
        PatternSet set = PatternSet.builder()
                .add("oom", "(?i)(out of memory|java\\.lang\\.OutOfMemoryError)")
                .add("refused", "(?i)connection refused")
                .add("5xx", "\" 5[0-9][0-9] ")
                .add("fatal", "\\b(FATAL|CRITICAL)\\b")
                .add("trace", "^[ \\t]+at [A-Za-z0-9_$.]+\\(")
                .add("any", "(\\w)\\1")
                .add("comments", "(?x) a b")
                .add("unicode case", "(?iu)kelvin")
                .build();
        assertThat(List.of(0, 1, 2, 3, 4)).allSatisfy(i -> assertThat(set.prefiltered(i)).as(set.name(i)).isTrue());
        assertThat(List.of(5, 6, 7)).allSatisfy(i -> assertThat(set.prefiltered(i)).as(set.name(i)).isFalse());
    }

    @Test
    void aCatastrophicallyBacktrackingRegexIsStoppedAtItsBudgetAndTheNextLineStillMatches() {
        PatternSet set = PatternSet.builder().add("nested", "(a+)+b").add("plain", "ERROR").build();
        byte[] line = "a".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        List<Integer> found = new ArrayList<>();

        long start = System.nanoTime();
        set.forEachMatch(line, 0, line.length, found::add); // unbounded, this runs for longer than the universe
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(took).isLessThan(Duration.ofSeconds(1));
        assertThat(found).as("the line counts as not matching").isEmpty();
        assertThat(set.timeouts(0)).isEqualTo(1);
        byte[] next = "aab ERROR".getBytes(StandardCharsets.US_ASCII);
        assertThat(set.forEachMatch(next, 0, next.length, found::add)).isEqualTo(2);
        assertThat(found).containsExactly(0, 1);
        assertThat(set.timeouts(0)).as("an ordinary line is not stopped").isEqualTo(1);
        assertThat(set.timeouts(1)).isZero();
    }

    @Test
    void anInvalidRegexIsDescribedWithItsPosition() {
        assertThat(PatternSet.problem("(?i)(out of memory")).contains("Unclosed group").contains("index 18");
        assertThat(PatternSet.problem("a+")).isNull();
        assertThatThrownBy(() -> PatternSet.builder().add("bad", "[a-")).isInstanceOf(PatternSyntaxException.class);
    }
}
