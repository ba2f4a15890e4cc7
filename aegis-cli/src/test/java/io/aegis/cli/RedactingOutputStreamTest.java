package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RedactingOutputStreamTest {
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();
    private final PrintStream stream = new PrintStream(
            new RedactingOutputStream(written, text -> text.replace("hunter2", "***")), true, StandardCharsets.UTF_8);

    private String written() {
        return written.toString(StandardCharsets.UTF_8);
    }

    @Test
    void masksEveryLine() {
        stream.println("started pid 1 (app --password=hunter2)");
        stream.println("second hunter2 line");

        assertThat(written()).isEqualTo("started pid 1 (app --password=***)\nsecond *** line\n");
    }

    @Test
    void aSecretPrintedInTwoPiecesIsStillMasked() {
        stream.print("password=hun");
        stream.print("ter2");
        assertThat(written()).as("nothing of an unfinished line is written").isEmpty();

        stream.println();

        assertThat(written()).isEqualTo("password=***\n");
    }

    @Test
    void closeWritesAnUnfinishedLine() {
        stream.print("last words hunter2");
        stream.close();

        assertThat(written()).isEqualTo("last words ***");
    }

    @Test
    void aLineWithoutAnEndIsWrittenInPiecesOfBoundedSize() {
        stream.print("x".repeat(200_000));

        assertThat(written()).hasSizeGreaterThanOrEqualTo(3 * 64 * 1024).hasSizeLessThan(200_000);
    }

    @Test
    void keepsMultiByteCharactersWhole() {
        stream.println("naïve µs hunter2 ✓");

        assertThat(written()).isEqualTo("naïve µs *** ✓\n");
    }
}
