package io.aegis.runtimes.docker;

import io.aegis.api.LogSink;
import java.util.Arrays;

/**
 * Turns the bytes of one {@code /containers/{id}/logs?timestamps=1} response into whole lines for a {@link LogSink}.
 *
 * <p>Without a TTY the stream is multiplexed: each message is a frame, an 8-byte header (the stream: 1 stdout, 2
 * stderr, 3 an error of the daemon; three zero bytes; the payload's length, big-endian) and the payload. With a TTY
 * it is the raw bytes of stdout. Either way each message starts with its RFC 3339 timestamp and a space, and is one
 * line, or a part of a line longer than 16 KB (which Docker's log drivers split; the parts share one timestamp and
 * only the last ends with a newline). In a raw stream a message ends only at a newline, so there the parts of a
 * long line cannot be told apart from its content: their timestamps stay inside the line (the {@code docker logs}
 * command shows the same).
 *
 * <p>Lines are handed over without their {@code \n} or {@code \r\n}, straight from the read buffer when a line lies
 * whole in it, else from a buffer per stream that is reused and grows to at most {@code maxLineLength}; a longer
 * line is cut to that. Replayed messages ({@link LogPosition#accept}) are dropped. Not thread-safe: one decoder per
 * connection, fed by its reader thread.
 */
final class LogDecoder {
    private static final int MAX_TIMESTAMP = 40;

    /** Told of what is not a line: an error the daemon wrote into the stream. */
    interface Problems {
        void daemonError(String message);
    }

    private final boolean multiplexed;
    private final int maxLineLength;
    private final LogSink sink;
    private final String[] origins;
    private final long[] lineNumbers;
    private final LogPosition position;
    private final Problems problems;
    private final java.util.function.BooleanSupplier open;
    /** The source closed while decoding: nothing more is delivered, and nothing more counts as delivered. */
    private boolean halted;

    // frame header (multiplexed)
    private final byte[] header = new byte[8];
    private int headerFill;
    private long frameLeft;
    private int frameType;
    // message start: the timestamp, possibly split across reads
    private boolean atMessageStart = true;
    private final byte[] timestamp = new byte[MAX_TIMESTAMP];
    private int timestampFill;
    /** Whether the current message is a replay being dropped. */
    private boolean dropping;
    /** Bytes of an error message of the daemon (frame type 3). */
    private byte[] error;
    private int errorFill;
    // the line being put together, per stream
    private final byte[][] held = new byte[2][];
    private final int[] heldLength = new int[2];
    private final boolean[] heldCut = new boolean[2];
    private final boolean[] holding = new boolean[2];
    private long bytes;

    LogDecoder(boolean multiplexed, int maxLineLength, LogSink sink, String[] origins, long[] lineNumbers,
            LogPosition position, Problems problems, java.util.function.BooleanSupplier open) {
        this.multiplexed = multiplexed;
        this.maxLineLength = maxLineLength;
        this.sink = sink;
        this.origins = origins;
        this.lineNumbers = lineNumbers;
        this.position = position;
        this.problems = problems;
        this.open = open;
    }

    /** Decodes the next {@code length} bytes of the response; delivers every line they complete. */
    void feed(byte[] b, int offset, int length) {
        int end = offset + length;
        int i = offset;
        if (!multiplexed) {
            while (i < end) {
                i = message(LogPosition.STDOUT, b, i, end);
            }
        } else {
            while (i < end) {
                if (frameLeft == 0) {
                    int n = Math.min(8 - headerFill, end - i);
                    System.arraycopy(b, i, header, headerFill, n);
                    headerFill += n;
                    i += n;
                    if (headerFill == 8) {
                        headerFill = 0;
                        frameType = header[0];
                        frameLeft = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16)
                                | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
                        atMessageStart = true;
                        timestampFill = 0;
                        dropping = false;
                        errorFill = 0;
                    }
                    continue;
                }
                int n = (int) Math.min(frameLeft, end - i);
                frameLeft -= n;
                if (frameType == 1 || frameType == 2) {
                    int stream = frameType == 1 ? LogPosition.STDOUT : LogPosition.STDERR;
                    int at = i;
                    while (at < i + n) {
                        at = message(stream, b, at, i + n);
                    }
                    if (frameLeft == 0) {
                        messageEnded(stream);
                    }
                } else if (frameType == 3) {
                    daemonError(b, i, n);
                }
                i += n;
            }
        }
        if (bytes > 0) {
            sink.bytesRead(bytes);
            bytes = 0;
        }
    }

    /**
     * Decodes part of one message of {@code stream} in {@code b[i, end)} (within one frame when multiplexed);
     * returns where it stopped: at {@code end}, or after a newline that ended a message of a raw stream.
     */
    private int message(int stream, byte[] b, int i, int end) {
        if (atMessageStart) {
            while (i < end) {
                byte c = b[i++];
                if (c == ' ') {
                    long nanos = parseTimestamp(timestamp, timestampFill);
                    atMessageStart = false;
                    dropping = !position.accept(stream, nanos);
                    if (nanos < 0) {
                        content(stream, timestamp, 0, timestampFill, false); // not a timestamp: it is the line's
                        content(stream, new byte[] {' '}, 0, 1, false);
                    }
                    timestampFill = 0;
                    break;
                }
                if (timestampFill == MAX_TIMESTAMP) { // no timestamp: the line as it is
                    atMessageStart = false;
                    dropping = !position.accept(stream, -1);
                    content(stream, timestamp, 0, timestampFill, false);
                    timestampFill = 0;
                    i--;
                    break;
                }
                timestamp[timestampFill++] = c;
            }
            if (atMessageStart) {
                return end;
            }
        }
        if (multiplexed) {
            if (!dropping) {
                content(stream, b, i, end - i, true);
            }
            return end;
        }
        int newline = indexOf(b, i, end);
        int to = newline < 0 ? end : newline + 1;
        if (!dropping) {
            content(stream, b, i, to - i, true);
        }
        if (newline >= 0) {
            messageEnded(stream);
        }
        return to;
    }

    private void messageEnded(int stream) {
        atMessageStart = true;
        timestampFill = 0;
        if (!dropping && !holding[stream] && !halted) {
            position.commit(stream);
        }
        dropping = false;
    }

    /** The service's own bytes of {@code stream}: splits them into lines. */
    private void content(int stream, byte[] b, int i, int length, boolean counted) {
        if (counted) {
            bytes += length;
        }
        int end = i + length;
        while (i < end) {
            int newline = indexOf(b, i, end);
            if (newline < 0) {
                hold(stream, b, i, end - i);
                return;
            }
            if (!holding[stream]) {
                int lineEnd = newline > i && b[newline - 1] == '\r' ? newline - 1 : newline;
                int lineLength = lineEnd - i;
                deliver(stream, b, i, Math.min(lineLength, maxLineLength), lineLength > maxLineLength);
            } else {
                hold(stream, b, i, newline - i);
                byte[] line = held[stream];
                int lineLength = heldLength[stream];
                if (!heldCut[stream] && lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength--;
                }
                holding[stream] = false;
                heldLength[stream] = 0;
                boolean cut = heldCut[stream];
                heldCut[stream] = false;
                deliver(stream, line, 0, lineLength, cut);
            }
            i = newline + 1;
        }
    }

    /** Keeps part of a line until its newline comes; what goes past {@code maxLineLength} is skipped. */
    private void hold(int stream, byte[] b, int i, int length) {
        holding[stream] = true;
        int room = maxLineLength - heldLength[stream];
        if (length > room) {
            heldCut[stream] = true;
            length = room;
        }
        if (length <= 0) {
            return;
        }
        byte[] buffer = held[stream];
        int needed = heldLength[stream] + length;
        if (buffer == null || buffer.length < needed) {
            int size = Math.max(needed, buffer == null ? Math.min(maxLineLength, 8192) : buffer.length * 2);
            buffer = buffer == null ? new byte[Math.min(size, maxLineLength)]
                    : Arrays.copyOf(buffer, Math.min(size, maxLineLength));
            held[stream] = buffer;
        }
        System.arraycopy(b, i, buffer, heldLength[stream], length);
        heldLength[stream] += length;
    }

    private void deliver(int stream, byte[] b, int offset, int length, boolean cut) {
        if (halted || !open.getAsBoolean()) {
            halted = true; // not delivered, so not committed: the next run reads it again
            return;
        }
        try {
            sink.line(origins[stream], ++lineNumbers[stream], b, offset, length, cut);
        } catch (RuntimeException e) {
            // the sink must not throw; a line it failed on is not worth losing the stream
        }
    }

    private void daemonError(byte[] b, int i, int n) {
        if (error == null) {
            error = new byte[512];
        }
        int keep = Math.min(n, error.length - errorFill);
        System.arraycopy(b, i, error, errorFill, keep);
        errorFill += keep;
        if (frameLeft == 0) {
            problems.daemonError(new String(error, 0, errorFill, java.nio.charset.StandardCharsets.UTF_8).trim());
            errorFill = 0;
        }
    }

    private static int indexOf(byte[] b, int from, int end) {
        for (int i = from; i < end; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /**
     * Docker's {@code 2006-01-02T15:04:05.000000000Z} (RFC 3339, UTC, nanoseconds padded to nine digits) as epoch
     * nanoseconds, without allocating; another form goes through {@link java.time.Instant#parse}; -1 when it is no
     * timestamp.
     */
    static long parseTimestamp(byte[] t, int length) {
        if (length == 30 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' && t[16] == ':'
                && t[19] == '.' && t[29] == 'Z') {
            int year = digits(t, 0, 4);
            int month = digits(t, 5, 2);
            int day = digits(t, 8, 2);
            int hour = digits(t, 11, 2);
            int minute = digits(t, 14, 2);
            int second = digits(t, 17, 2);
            int nanos = digits(t, 20, 9);
            if (year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour < 24
                    && minute >= 0 && minute < 60 && second >= 0 && second < 61 && nanos >= 0) {
                long days = epochDay(year, month, day);
                return ((days * 24 + hour) * 60 + minute) * 60_000_000_000L + second * 1_000_000_000L + nanos;
            }
            return -1;
        }
        if (length < 20 || t[4] != '-' || t[10] != 'T') {
            return -1;
        }
        try {
            java.time.Instant instant = java.time.OffsetDateTime.parse(new String(t, 0, length,
                    java.nio.charset.StandardCharsets.US_ASCII)).toInstant();
            return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
        } catch (java.time.DateTimeException e) {
            return -1;
        }
    }

    /** Days since 1970-01-01 of a date in the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
    static long epochDay(int year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = (y >= 0 ? y : y - 399) / 400;
        long yearOfEra = y - era * 400;
        long dayOfYear = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097 + dayOfEra - 719_468;
    }

    private static int digits(byte[] t, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            int d = t[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            value = value * 10 + d;
        }
        return value;
    }
}
