package io.aegis.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

/**
 * The {@code aegis} command's stderr: every line passes the configuration's redactor before it is written, so a
 * value that came from {@code ${VAR}} (or a URL credential) never reaches the terminal or a log file, whoever
 * printed it — the engine, a plugin logging its own command line, or the JDK.
 *
 * <p>Bytes are held until the end of their line (or 64 KiB, so a line without an end cannot grow without
 * bound); {@link PrintStream} calls arrive under its lock, so one line is never interleaved with another.
 */
final class RedactingOutputStream extends OutputStream {
    private static final int MAX_LINE = 64 * 1024;

    private final OutputStream target;
    private final UnaryOperator<String> redactor;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

    RedactingOutputStream(OutputStream target, UnaryOperator<String> redactor) {
        this.target = target;
        this.redactor = redactor;
    }

    /** Replaces {@link System#err} with a stream that masks what {@code redactor} masks. */
    static void installOnStandardError(UnaryOperator<String> redactor) {
        PrintStream original = System.err;
        System.setErr(new PrintStream(new RedactingOutputStream(original, redactor), true, StandardCharsets.UTF_8));
    }

    @Override
    public synchronized void write(int b) throws IOException {
        line.write(b);
        if (b == '\n' || line.size() >= MAX_LINE) {
            flushLine();
        }
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
        int start = offset;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            if (bytes[i] == '\n') {
                line.write(bytes, start, i + 1 - start);
                flushLine();
                start = i + 1;
            } else if (line.size() + (i + 1 - start) >= MAX_LINE) {
                line.write(bytes, start, i + 1 - start);
                flushLine();
                start = i + 1;
            }
        }
        line.write(bytes, start, end - start);
    }

    /**
     * Keeps a line without its end back: {@link PrintStream} flushes after every write, and a secret printed in
     * two pieces must still be seen whole. Every line aegis writes ends with a line break.
     */
    @Override
    public synchronized void flush() throws IOException {
        target.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        if (line.size() > 0) {
            flushLine();
        }
        target.flush();
    }

    private void flushLine() throws IOException {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        target.write(redactor.apply(text).getBytes(StandardCharsets.UTF_8));
        target.flush();
    }
}
