package io.aegis.core.internal.config;

import io.aegis.core.internal.Redactor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks what a configuration file's text holds of secrets before it is shown: the values of keys named like a
 * secret, and the defaults of {@code ${VAR:-default}} references (URL credentials and values from the environment
 * are the {@link Redactor}'s). Line by line, on the YAML as written: block and flow mappings, quoted and plain
 * values, and block scalars ({@code password: |}) whose more indented lines are masked whole.
 */
public final class SecretMasking {
    private static final String SECRET_KEY = "[A-Za-z0-9_.-]*(?i:token|password|passwd|secret|api[_-]?key|credentials?)"
            + "[A-Za-z0-9_.-]*";
    /** A key named like a secret, then its value: quoted, or plain up to a comment, a comma or a closing brace. */
    private static final Pattern SECRET_VALUE = Pattern.compile("(^|[\\s{,\\-])([\"']?" + SECRET_KEY
            + "[\"']?\\s*:[ \\t]+)(\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^']|'')*'|[^\\s,}#][^,}#]*?)(?=\\s*(?:[,}]|#|$))");
    /** A block scalar under a secret key: {@code password: |} or {@code >-}. */
    private static final Pattern SECRET_BLOCK = Pattern.compile("^(\\s*(?:-\\s+)?)[\"']?" + SECRET_KEY
            + "[\"']?\\s*:\\s*[|>][-+0-9]*\\s*(?:#.*)?$");
    private static final Pattern DEFAULT = Pattern.compile("(\\$\\{[A-Za-z_][A-Za-z0-9_]*:-)([^}]*)(})");

    private SecretMasking() {
    }

    /** {@code text} with secret values and {@code ${VAR:-default}} defaults masked as {@code ***}. */
    public static String mask(String text) {
        StringBuilder out = new StringBuilder(text.length());
        String[] lines = text.split("\n", -1);
        int blockIndent = -1;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (blockIndent >= 0) {
                int indent = indentOf(line);
                if (line.isBlank() || indent > blockIndent) {
                    out.append(line.isBlank() ? line : " ".repeat(indent) + Redactor.MASK);
                    appendNewline(out, i, lines.length);
                    continue;
                }
                blockIndent = -1;
            }
            if (SECRET_BLOCK.matcher(line).matches()) {
                blockIndent = indentOf(line);
            }
            line = DEFAULT.matcher(line).replaceAll(match -> Matcher.quoteReplacement(match.group(1) + Redactor.MASK
                    + match.group(3)));
            line = SECRET_VALUE.matcher(line).replaceAll(match -> Matcher.quoteReplacement(match.group(1)
                    + match.group(2) + (match.group(3).startsWith("|") || match.group(3).startsWith(">")
                            ? match.group(3) : Redactor.MASK)));
            out.append(line);
            appendNewline(out, i, lines.length);
        }
        return out.toString();
    }

    private static void appendNewline(StringBuilder out, int index, int count) {
        if (index < count - 1) {
            out.append('\n');
        }
    }

    private static int indentOf(String line) {
        int indent = 0;
        while (indent < line.length() && line.charAt(indent) == ' ') {
            indent++;
        }
        return indent;
    }
}
