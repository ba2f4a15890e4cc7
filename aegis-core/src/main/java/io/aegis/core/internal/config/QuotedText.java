package io.aegis.core.internal.config;

/**
 * Text from a configuration, quoted for a message so that nothing in it can change what the message looks like:
 * a name holding a line break must not start a forged log line, nor an escape sequence recolour a terminal.
 */
public final class QuotedText {
    private static final int MAX_CODE_POINTS = 80;

    private QuotedText() {
    }

    /**
     * {@code text} in double quotes, with line breaks, tabs, control, format and other invisible characters
     * escaped ({@code \n}, {@code \u001b}) and anything past 80 characters cut to {@code ...}.
     */
    public static String of(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        text.codePoints().limit(MAX_CODE_POINTS).forEach(c -> {
            if (c == '"' || c == '\\') {
                quoted.append('\\').appendCodePoint(c);
            } else if (c == '\n') {
                quoted.append("\\n");
            } else if (c == '\r') {
                quoted.append("\\r");
            } else if (c == '\t') {
                quoted.append("\\t");
            } else if (Character.isISOControl(c) || !Character.isDefined(c) || Character.getType(c) == Character.FORMAT
                    || Character.getType(c) == Character.LINE_SEPARATOR
                    || Character.getType(c) == Character.PARAGRAPH_SEPARATOR) {
                quoted.append(String.format("\\u%04x", c));
            } else {
                quoted.appendCodePoint(c);
            }
        });
        boolean cut = text.codePointCount(0, text.length()) > MAX_CODE_POINTS;
        return quoted.append(cut ? "...\"" : "\"").toString();
    }
}
