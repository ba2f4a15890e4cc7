package io.aegis.checkers.tcp;

import io.aegis.api.CheckerSpec;
import io.aegis.api.Settings;
import io.aegis.plugin.support.ConfigProblems;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The validated settings of one TCP check.
 *
 * @param target where to connect
 * @param send the bytes to write after connecting, or null to write nothing
 * @param expectedBody the pattern the answer must contain, or null to read nothing
 */
record TcpCheckConfig(HostPort target, byte[] send, Pattern expectedBody) {

    /**
     * Validates {@code spec}.
     *
     * @throws io.aegis.api.ConfigException naming every invalid key
     */
    static TcpCheckConfig from(CheckerSpec spec) {
        Settings settings = spec.settings();
        ConfigProblems problems = new ConfigProblems();
        HostPort target = null;
        try {
            target = HostPort.parse(spec.endpoint());
        } catch (IllegalArgumentException e) {
            problems.add(settings.keyPath("endpoint"), e.getMessage());
        }
        byte[] send = null;
        String text = problems.read(() -> settings.string("send").orElse(null)).orElse(null);
        if (text != null) {
            try {
                send = unescape(text).getBytes(StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                problems.add(settings.keyPath("send"), e.getMessage() + ", found \"" + text + "\"");
            }
        }
        Settings expect = problems.read(() -> settings.section("expect").orElse(null))
                .orElse(Settings.empty(settings.keyPath("expect")));
        Pattern expectedBody = problems.regex(expect, "body").orElse(null);
        problems.throwIfAny();
        return new TcpCheckConfig(target, send, expectedBody);
    }

    /**
     * Turns {@code \n}, {@code \r}, {@code \t}, {@code \0} and {@code \\} into the characters they name.
     *
     * <p>YAML already does this inside double quotes, but not in plain or single-quoted scalars, where a
     * person writing {@code send: PING\r\n} means the same thing.
     */
    static String unescape(String text) {
        if (text.indexOf('\\') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (i + 1 == text.length()) {
                throw new IllegalArgumentException("expected an escape after the final \\ (use \\\\ for a backslash)");
            }
            char escaped = text.charAt(++i);
            switch (escaped) {
                case 'n':
                    out.append('\n');
                    break;
                case 'r':
                    out.append('\r');
                    break;
                case 't':
                    out.append('\t');
                    break;
                case '0':
                    out.append('\0');
                    break;
                case '\\':
                    out.append('\\');
                    break;
                default:
                    throw new IllegalArgumentException("expected only the escapes \\n, \\r, \\t, \\0 and \\\\, but \\"
                            + escaped + " is not one of them");
            }
        }
        return out.toString();
    }
}
