package io.aegis.checkers.http;

/**
 * Checks a configured request header value before the HTTP client sees it. A CR or LF would end the header
 * and start another one (header injection); the client rejects them, but its message quotes the value, and a
 * header value is often a secret ({@code Authorization: Bearer ${TOKEN}}). So the problem is described here,
 * never quoting the value. (The webhook notifier has its own copy: plugins share no module but aegis-api.)
 */
final class HeaderValues {
    /** The problem of a value the HTTP client rejects for another reason, without the value. */
    static final String INVALID = "expected a header value of printable ISO-8859-1 characters (the value is not"
            + " shown as it may be a secret)";

    private HeaderValues() {
    }

    /** What is wrong with {@code value}, without quoting it; null when it has no control character. */
    static String controlCharacterProblem(String value) {
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
