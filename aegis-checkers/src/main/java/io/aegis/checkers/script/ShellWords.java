package io.aegis.checkers.script;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits {@code metadata.args} into words the way a POSIX shell would, without running one: so that
 * {@code -Service "Example Service" --name='a b'} gives three words, and no {@code $VAR}, {@code `cmd`},
 * {@code *} or {@code ;} is ever interpreted. That keeps a config value from becoming a command injection.
 *
 * <p>Rules (those of {@code sh}, minus expansions): unquoted whitespace separates words; inside single quotes
 * every character is literal; inside double quotes a backslash escapes only {@code "}, {@code \}, {@code $}
 * and {@code `} and is kept literally before anything else; outside quotes a backslash makes the next
 * character literal. Adjacent quoted and unquoted parts join into one word; {@code ''} is an empty word.
 */
final class ShellWords {

    private ShellWords() {
    }

    /**
     * Splits {@code text}.
     *
     * @throws IllegalArgumentException saying which quote is unterminated or that a backslash ends the text
     */
    static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        // true once the current word has any part, even an empty quoted one, so '' yields an empty word
        boolean inWord = false;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '\'') {
                int end = text.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("the single quote at position " + (i + 1) + " is not closed");
                }
                word.append(text, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i = doubleQuoted(text, i, word);
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 == text.length()) {
                    throw new IllegalArgumentException("a backslash ends the text; write \\\\ for a backslash");
                }
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

    /** Appends the double-quoted part starting at {@code open} and returns the index after its closing quote. */
    private static int doubleQuoted(String text, int open, StringBuilder word) {
        int i = open + 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\' && i + 1 < text.length() && "\"\\$`".indexOf(text.charAt(i + 1)) >= 0) {
                word.append(text.charAt(i + 1));
                i += 2;
            } else {
                word.append(c);
                i++;
            }
        }
        throw new IllegalArgumentException("the double quote at position " + (open + 1) + " is not closed");
    }
}
