package io.aegis.api;

/**
 * Checks a configured HTTP header value before an HTTP client sees it. A CR or LF would end the header and start
 * another one (header injection); clients reject them, but their messages quote the value, and a header value is
 * often a secret ({@code Authorization: Bearer ${TOKEN}}). So the problem is described here, never quoting the
 * value. Plugins that send configured headers (the http checker, the webhook notifier) report what this returns
 * as a {@link ConfigException} at the header's key.
 */
public final class HeaderValues {
    /** The problem of a value an HTTP client rejects for another reason, without the value. */
    public static final String INVALID = "expected a header value of printable ISO-8859-1 characters (the value is"
            + " not shown as it may be a secret)";

    private HeaderValues() {
    }

    /**
     * What is wrong with {@code value}, without quoting it.
     *
     * @param value a header value, or a part of one
     * @return a sentence naming the kind of character found and what to check, or null when {@code value} has
     *     no control character (a tab is allowed)
     */
    public static String controlCharacterProblem(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n') {
                return "expected a header value on one line, found a line break (CR or LF) in it, which would end"
                        + " the header and start another; check the text or the environment variable it comes from"
                        + " (the value is not shown as it may be a secret)";
            }
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                return "expected a header value without control characters, found U+" + String.format("%04X", (int) c)
                        + " in it; check the text or the environment variable it comes from (the value is not shown"
                        + " as it may be a secret)";
            }
        }
        return null;
    }
}
