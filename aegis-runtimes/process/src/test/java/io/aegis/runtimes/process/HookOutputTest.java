package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.testkit.RecordingLogger;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A hook's output is logged within bounds, however much it prints. */
class HookOutputTest {

    private final RecordingLogger log = new RecordingLogger();

    @Test
    void eachLineIsLoggedServiceNameFirstAndTheLastNonBlankLineIsReturned() {
        String last = HookOutput.drain(stream("draining\r\nlast words\n\n  \n"), log, "web", "isolate hook");

        assertThat(log.lines()).containsExactly("INFO web: isolate hook: draining", "INFO web: isolate hook: last words",
                "INFO web: isolate hook: ", "INFO web: isolate hook:   ");
        assertThat(last).isEqualTo("last words");
    }

    @Test
    void aLastLineWithoutLineBreakIsLoggedAndReturned() {
        assertThat(HookOutput.drain(stream("one\ntwo"), log, "web", "isolate hook")).isEqualTo("two");
        assertThat(log.lines()).containsExactly("INFO web: isolate hook: one", "INFO web: isolate hook: two");
    }

    @Test
    void manyLinesAreCountedNotLoggedPastTheLimit() {
        String output = "line\n".repeat(50_000) + "the end\n";

        String last = HookOutput.drain(stream(output), log, "web", "isolate hook");

        assertThat(log.lines()).hasSize(HookOutput.MAX_LOGGED_LINES + 1);
        assertThat(log.lines().get(log.lines().size() - 1)).isEqualTo("WARNING web: isolate hook: "
                + (50_001 - HookOutput.MAX_LOGGED_LINES) + " more lines of output not logged (only the first "
                + HookOutput.MAX_LOGGED_LINES + " are)");
        assertThat(last).as("still the last line, read to the end").isEqualTo("the end");
    }

    @Test
    void anEndlessLineIsCutNotKeptWhole() {
        int size = 20 * 1024 * 1024;
        InputStream endless = new InputStream() {
            private int left = size;

            @Override
            public int read() {
                return left-- > 0 ? 'a' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = Math.min(len, left);
                java.util.Arrays.fill(b, off, off + n, (byte) 'a');
                left -= n;
                return n;
            }
        };

        String last = HookOutput.drain(endless, log, "web", "isolate hook");

        String cut = "a".repeat(HookOutput.MAX_LINE_CHARS) + "... (line cut at " + HookOutput.MAX_LINE_CHARS
                + " characters)";
        assertThat(log.lines()).containsExactly("INFO web: isolate hook: " + cut);
        assertThat(last).isEqualTo(cut);
    }

    private static InputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }
}
