package io.aegis.checkers.script;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The output of one script run: the first {@link #LIMIT} bytes are kept, the rest is read and dropped.
 *
 * <p>Reading on after the limit matters: a script that writes more than the pipe holds (64 KiB on Linux)
 * would otherwise block in its write and never exit. Consul and Docker keep 4 KiB of check output too.
 */
final class OutputCapture {
    /** The most bytes of output kept. */
    static final int LIMIT = 4096;
    private static final int CHUNK = 8192;

    private final byte[] kept = new byte[LIMIT];
    private int length; // guarded by this
    private long total; // guarded by this

    /** Reads {@code in} to its end (blocking), keeping the first {@link #LIMIT} bytes; never throws. */
    void drain(InputStream in) {
        byte[] chunk = new byte[CHUNK];
        try (in) {
            int count;
            while ((count = in.read(chunk)) >= 0) {
                append(chunk, count);
            }
        } catch (IOException e) {
            // the stream was closed under us: what was read so far is the output
        }
    }

    private synchronized void append(byte[] chunk, int count) {
        int room = LIMIT - length;
        if (room > 0) {
            System.arraycopy(chunk, 0, kept, length, Math.min(room, count));
            length += Math.min(room, count);
        }
        total += count;
    }

    /** The kept output as text (UTF-8; a character cut at the limit becomes a replacement character). */
    synchronized String text() {
        return new String(kept, 0, length, StandardCharsets.UTF_8);
    }

    /** The first line of output without its line end, stripped of surrounding blanks; empty if there is none. */
    String firstLine() {
        String text = text();
        int end = text.indexOf('\n');
        return (end < 0 ? text : text.substring(0, end)).strip();
    }

    /** How many bytes the script wrote so far, kept or not. */
    synchronized long total() {
        return total;
    }
}
