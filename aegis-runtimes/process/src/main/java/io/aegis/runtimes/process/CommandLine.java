package io.aegis.runtimes.process;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command written as one string into the words a program receives, the way a person expects from a
 * shell but without running one: words are separated by whitespace, {@code '...'} keeps everything inside
 * as written, and {@code "..."} does too except that {@code \"} and {@code \\} stand for {@code "} and
 * {@code \}. Nothing else is interpreted: no variables, globs, pipes or redirections (use {@code shell: true}
 * for those). A backslash outside quotes is an ordinary character, so Windows paths survive.
 */
final class CommandLine {

    private CommandLine() {
    }

    /**
     * Splits {@code text} into words.
     *
     * @throws IllegalArgumentException with a sentence naming the unclosed quote
     */
    static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        // Tracked apart from word.length() so that '' yields an empty argument, as in a shell.
        boolean inWord = false;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\'') {
                int end = text.indexOf('\'', i + 1);
                if (end < 0) {
                    throw unclosed('\'', text);
                }
                word.append(text, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i = appendDoubleQuoted(text, i + 1, word);
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
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

    /** Quotes {@code word} for {@code /bin/sh} so that it reaches the program unchanged. */
    static String shellQuote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** Appends the inside of a double-quoted part starting at {@code start}; returns the index after its end. */
    private static int appendDoubleQuoted(String text, int start, StringBuilder word) {
        int i = start;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\' && i + 1 < text.length() && (text.charAt(i + 1) == '"' || text.charAt(i + 1) == '\\')) {
                word.append(text.charAt(i + 1));
                i += 2;
            } else {
                word.append(c);
                i++;
            }
        }
        throw unclosed('"', text);
    }

    private static IllegalArgumentException unclosed(char quote, String text) {
        return new IllegalArgumentException(
                "the closing " + quote + " quote is missing in \"" + text + "\"; close it, or write the command as a list");
    }
}
