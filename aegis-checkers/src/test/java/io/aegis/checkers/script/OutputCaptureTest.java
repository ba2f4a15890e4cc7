package io.aegis.checkers.script;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** What is kept of a script's output. */
class OutputCaptureTest {

    @Test
    void keepsTheFirstFourKibibytesAndReadsTheRest() {
        byte[] megabyte = new byte[1024 * 1024];
        Arrays.fill(megabyte, (byte) 'x');
        OutputCapture output = new OutputCapture();

        output.drain(new ByteArrayInputStream(megabyte));

        assertThat(output.text()).hasSize(4096);
        assertThat(output.total()).isEqualTo(megabyte.length);
    }

    @Test
    void takesTheFirstLineWithoutItsLineEnd() {
        OutputCapture output = new OutputCapture();

        output.drain(new ByteArrayInputStream("OK - 3 jobs\r\nsecond\n".getBytes(StandardCharsets.UTF_8)));

        assertThat(output.firstLine()).isEqualTo("OK - 3 jobs");
    }
}
