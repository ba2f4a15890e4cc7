package io.aegis.plugin.support;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command or argument string from a config file into words the way a POSIX shell would, without running
 * one: {@code -Service "Example Service" --name='a b'} gives three words, and no {@code $VAR}, {@code `cmd`},
 * {@code *}, {@code |} or {@code ;} is ever interpreted, so a config value cannot become a command injection (a
 * plugin that wants a shell runs {@code sh -c} explicitly, quoting extra words with {@link #quote}).
 *
 * <p>The rules are those of {@code sh} minus its expansions:
 * <ul>
 *   <li>unquoted whitespace separates words; adjacent quoted and unquoted parts join into one word, and
 *       {@code ''} or {@code ""} is an empty word;</li>
 *   <li>inside single quotes every character is literal;</li>
 *   <li>inside double quotes a backslash escapes {@code "}, {@code \}, {@code $} and {@code `}, and is kept as
 *       written before anything else ({@code "C:\dir"} stays {@code C:\dir});</li>
 *   <li>outside quotes a backslash makes the next character literal when that character means something to a
 *       shell: whitespace, a quote, {@code \ | & ; < > ( ) $ ` * ? [ # ~ = %} ({@code two\ words},
 *       {@code -exec rm {} \;}); before any other character, and at the end of the text, the backslash is an
 *       ordinary character, so that {@code C:\apps\run.exe} survives, as it always did in a {@code command};</li>
 *   <li>a backslash before a line break joins the lines (POSIX line continuation), inside double quotes too.</li>
 * </ul>
 * The only error is a quote that is not closed.
 */
public final class ShellWords {

    /**
     * What a backslash outside quotes escapes: the characters POSIX (XCU 2.2) says must or may need quoting to
     * stand for themselves. Before others it is kept, because Windows paths were accepted unquoted before this rule.
     */
    private static final String ESCAPABLE = " \t\n\r\f\u000B'\"\\|&;<>()$`*?[#~=%";

    /** What a backslash escapes inside double quotes (XCU 2.2.3). */
    private static final String ESCAPABLE_IN_DOUBLE_QUOTES = "\"\\$`";

    private ShellWords() {
    }

    /**
     * Splits {@code text} into words.
     *
     * @param text the string as written in the config
     * @return the words, in order; empty for blank text
     * @throws IllegalArgumentException when a quote is not closed: {@code the single quote at position 3 is not
     *     closed} (1-based), for the caller to prefix with where it was found and what to do
     */
    public static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        // true once the current word has any part, even an empty quoted one, so '' yields an empty word
        boolean inWord = false;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                i += 2; // line continuation: neither a character nor a word break
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '\'') {
                int end = text.indexOf('\'', i + 1);
                if (end < 0) {
                    throw unclosed("single", i);
                }
                word.append(text, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i = doubleQuoted(text, i, word);
                inWord = true;
            } else if (c == '\\' && i + 1 < text.length() && ESCAPABLE.indexOf(text.charAt(i + 1)) >= 0) {
                word.append(text.charAt(i + 1));
                inWord = true;
                i += 2;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return List.copyOf(words);
    }

    /**
     * Quotes {@code word} for {@code /bin/sh} so that it reaches the program as one word, unchanged: in single
     * quotes, each {@code '} inside written as {@code '\''}. {@link #split} gives the word back too.
     *
     * @param word any text, empty included
     * @return the quoted word, e.g. {@code 'it'\''s'} for {@code it's}
     */
    public static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** Appends the double-quoted part starting at {@code open} and returns the index after its closing quote. */
    private static int doubleQuoted(String text, int open, StringBuilder word) {
        int i = open + 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            char next = i + 1 < text.length() ? text.charAt(i + 1) : 0;
            if (c == '\\' && next == '\n') {
                i += 2;
            } else if (c == '\\' && next != 0 && ESCAPABLE_IN_DOUBLE_QUOTES.indexOf(next) >= 0) {
                word.append(next);
                i += 2;
            } else {
                word.append(c);
                i++;
            }
        }
        throw unclosed("double", open);
    }

    private static IllegalArgumentException unclosed(String quote, int index) {
        return new IllegalArgumentException("the " + quote + " quote at position " + (index + 1) + " is not closed");
    }
}
