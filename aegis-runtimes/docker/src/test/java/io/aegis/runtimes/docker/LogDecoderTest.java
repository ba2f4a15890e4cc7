package io.aegis.runtimes.docker;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.LogSink;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decoding of the Engine API's log stream, from bytes built as dockerd sends them (the frames of a stream
 * without a TTY, the raw bytes with one, the 16 KB parts of a long line sharing one timestamp), fed in every split a
 * socket read can make; and the position that drops what a reopened stream replays.
 */
class LogDecoderTest {
    private static final String[] ORIGINS = {"container app stdout", "container app stderr"};
    private static final long T0 = 1_796_000_000_123_456_789L;

    @Test
    void linesOfBothStreamsComeWholeInOrderWithTheirOriginsWhereverTheReadsSplitTheFrames() {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        frame(stream, 1, T0, "first out\n");
        frame(stream, 2, T0 + 1, "first err\r\n");
        frame(stream, 1, T0 + 2, "second out\n");
        frame(stream, 1, T0 + 3, "\n");
        byte[] bytes = stream.toByteArray();
        List<String> expected = List.of("stdout 1 first out", "stderr 1 first err", "stdout 2 second out",
                "stdout 3 ");
        for (int chunk = 1; chunk <= bytes.length; chunk++) {
            Recorder sink = new Recorder();
            LogDecoder decoder = decoder(true, 1000, sink, new LogPosition());
            for (int i = 0; i < bytes.length; i += chunk) {
                decoder.feed(bytes, i, Math.min(chunk, bytes.length - i));
            }
            assertThat(sink.lines).as("fed %d bytes at a time", chunk).isEqualTo(expected);
            assertThat(sink.bytes).isEqualTo("first out\nfirst err\r\nsecond out\n\n".length());
        }
    }

    @Test
    void thePartsOfALongLineAreJoinedAcrossTheOtherStreamsFrames() {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        String part = "x".repeat(16_384);
        frame(stream, 1, T0, part);
        frame(stream, 2, T0 + 5, "in between\n");
        frame(stream, 1, T0, part);
        frame(stream, 1, T0, "end\n");
        Recorder sink = new Recorder();
        decoder(true, 64 * 1024, sink, new LogPosition()).feed(stream.toByteArray(), 0, stream.size());
        assertThat(sink.lines).containsExactly("stderr 1 in between", "stdout 1 " + part + part + "end");
    }

    @Test
    void aLineLongerThanTheLimitIsCutWhetherItIsHeldOrWholeInTheBuffer() {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        frame(stream, 1, T0, "0123456789abcdef\n"); // whole in one read
        frame(stream, 1, T0 + 1, "0123456");
        frame(stream, 1, T0 + 1, "789abcdef\n"); // held across two frames
        frame(stream, 1, T0 + 2, "short\n");
        Recorder sink = new Recorder();
        decoder(true, 10, sink, new LogPosition()).feed(stream.toByteArray(), 0, stream.size());
        assertThat(sink.lines).containsExactly("stdout 1 0123456789 (cut)", "stdout 2 0123456789 (cut)",
                "stdout 3 short");
    }

    @Test
    void aRawStreamOfATtyHasATimestampAtEachLine() {
        byte[] bytes = (stamp(T0) + " one\r\n" + stamp(T0 + 1) + " two\r\n" + stamp(T0 + 2) + " thr")
                .getBytes(StandardCharsets.UTF_8);
        Recorder sink = new Recorder();
        LogDecoder decoder = decoder(false, 100, sink, new LogPosition());
        for (byte b : bytes) {
            decoder.feed(new byte[] {b}, 0, 1);
        }
        assertThat(sink.lines).containsExactly("stdout 1 one", "stdout 2 two");
        decoder.feed("ee\r\n".getBytes(StandardCharsets.UTF_8), 0, 4);
        assertThat(sink.lines).endsWith("stdout 3 three");
    }

    @Test
    void aReopenedStreamDeliversOnlyWhatCameAfterTheLastWholeLineEvenAtTheSameTimestamp(@TempDir Path state)
            throws Exception {
        LogPosition position = new LogPosition();
        position.reset("c1", 0);
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        frame(first, 1, T0, "a\n");
        frame(first, 1, T0 + 1, "b\n");
        frame(first, 1, T0 + 1, "c\n"); // the same nanosecond as b
        frame(first, 2, T0 + 1, "e1\n");
        frame(first, 1, T0 + 1, "half of d"); // a part: not a whole line yet when the stream breaks
        Recorder sink = new Recorder();
        decoder(true, 100, sink, position).feed(first.toByteArray(), 0, first.size());
        assertThat(sink.lines).containsExactly("stdout 1 a", "stdout 2 b", "stdout 3 c", "stderr 1 e1");
        position.write(state);

        // the next aegis run: the engine replays from a second before the last message, a little more than is new
        LogPosition read = LogPosition.read(state).orElseThrow();
        assertThat(read.containerId()).isEqualTo("c1");
        assertThat(read.since()).isEqualTo(((T0 + 1 - 1_000_000_000L) / 1_000_000_000L) + "."
                + String.format("%09d", (T0 + 1 - 1_000_000_000L) % 1_000_000_000L));
        ByteArrayOutputStream replay = new ByteArrayOutputStream();
        frame(replay, 1, T0, "a\n");
        frame(replay, 1, T0 + 1, "b\n");
        frame(replay, 2, T0 + 1, "e1\n");
        frame(replay, 1, T0 + 1, "c\n");
        frame(replay, 1, T0 + 1, "half of d");
        frame(replay, 1, T0 + 1, ", the rest\n");
        frame(replay, 2, T0 + 1, "e2\n"); // stderr at the same nanosecond, new
        frame(replay, 1, T0 + 2, "f\n");
        Recorder next = new Recorder();
        decoder(true, 100, next, read).feed(replay.toByteArray(), 0, replay.size());
        assertThat(next.lines).containsExactly("stdout 1 half of d, the rest", "stderr 1 e2", "stdout 2 f");
    }

    @Test
    void aPositionFileCutShortIsNotTrustedInPart(@TempDir Path state) throws Exception {
        LogPosition position = new LogPosition();
        position.reset("c1", T0);
        position.write(state);
        Path file = state.resolve(LogPosition.FILE);
        List<String> whole = java.nio.file.Files.readAllLines(file);
        assertThat(LogPosition.read(state)).isPresent();

        // Whatever line a crash of the machine cut it at (even an empty file): read as half a position, the lost
        // stream would have been delivered again from its first line (every old error alerting again).
        for (int keep = 0; keep < whole.size(); keep++) {
            java.nio.file.Files.write(file, whole.subList(0, keep));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> LogPosition.read(state))
                    .as("the first %d lines", keep).isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("is cut short or damaged (it has no ");
        }
    }

    @Test
    void theFirstStartWithoutFromBeginningSkipsWhatCameBeforeItsFloor() {
        LogPosition position = new LogPosition();
        position.reset("c1", T0 + 10);
        assertThat(position.since()).isEqualTo((T0 + 10) / 1_000_000_000L + "."
                + String.format("%09d", (T0 + 10) % 1_000_000_000L));
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        frame(stream, 1, T0 + 9, "old\n");
        frame(stream, 1, T0 + 10, "new\n");
        Recorder sink = new Recorder();
        decoder(true, 100, sink, position).feed(stream.toByteArray(), 0, stream.size());
        assertThat(sink.lines).containsExactly("stdout 1 new");

        LogPosition fresh = new LogPosition();
        fresh.reset("c2", 0);
        assertThat(fresh.since()).as("a new container: its whole log").isNull();
    }

    @Test
    void aLineNotDeliveredBecauseTheSourceClosedIsNotCountedAsDelivered() {
        LogPosition position = new LogPosition();
        position.reset("c1", 0);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        frame(stream, 1, T0, "delivered\n");
        frame(stream, 1, T0 + 1, "after close\n");
        Recorder sink = new Recorder();
        boolean[] open = {true};
        LogDecoder decoder = new LogDecoder(true, 100, sink, ORIGINS, new long[2], position, message -> { },
                () -> open[0]);
        byte[] bytes = stream.toByteArray();
        int firstFrame = 8 + stamp(T0).length() + 1 + "delivered\n".length();
        decoder.feed(bytes, 0, firstFrame);
        open[0] = false;
        decoder.feed(bytes, firstFrame, bytes.length - firstFrame);
        assertThat(sink.lines).containsExactly("stdout 1 delivered");
        position.reconnected();
        assertThat(position.accept(LogPosition.STDOUT, T0 + 1)).as("read again next time").isTrue();
    }

    @Test
    void anErrorTheDaemonWritesIntoTheStreamIsAProblemNotALine() {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        byte[] message = "error from daemon in stream: log file is damaged".getBytes(StandardCharsets.UTF_8);
        stream.write(new byte[] {3, 0, 0, 0, 0, 0, 0, (byte) message.length}, 0, 8);
        stream.write(message, 0, message.length);
        Recorder sink = new Recorder();
        List<String> problems = new ArrayList<>();
        new LogDecoder(true, 100, sink, ORIGINS, new long[2], new LogPosition(), problems::add, () -> true)
                .feed(stream.toByteArray(), 0, stream.size());
        assertThat(sink.lines).isEmpty();
        assertThat(problems).containsExactly("error from daemon in stream: log file is damaged");
    }

    @Test
    void dockersTimestampsAreReadWithoutAllocatingAsInstantReadsThem() {
        for (String text : List.of("2026-12-01T06:33:18.919412972Z", "1970-01-01T00:00:00.000000000Z",
                "2000-02-29T23:59:59.999999999Z", "2100-03-01T00:00:00.000000001Z")) {
            byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
            Instant instant = Instant.parse(text);
            assertThat(LogDecoder.parseTimestamp(bytes, bytes.length)).as(text)
                    .isEqualTo(instant.getEpochSecond() * 1_000_000_000L + instant.getNano());
        }
        byte[] other = "2026-12-01T06:33:18.9Z".getBytes(StandardCharsets.US_ASCII);
        assertThat(LogDecoder.parseTimestamp(other, other.length)).isEqualTo(
                Instant.parse("2026-12-01T06:33:18.9Z").toEpochMilli() * 1_000_000L);
        byte[] none = "hello".getBytes(StandardCharsets.US_ASCII);
        assertThat(LogDecoder.parseTimestamp(none, none.length)).isEqualTo(-1);
    }

    // --------------------------------------------------------------------------------------------- helpers

    private static LogDecoder decoder(boolean multiplexed, int max, LogSink sink, LogPosition position) {
        return new LogDecoder(multiplexed, max, sink, ORIGINS, new long[2], position, message -> { }, () -> true);
    }

    /** One message as dockerd frames it: the header, then the timestamp, a space and the content. */
    private static void frame(ByteArrayOutputStream out, int stream, long nanos, String content) {
        byte[] payload = (stamp(nanos) + " " + content).getBytes(StandardCharsets.UTF_8);
        int n = payload.length;
        out.write(new byte[] {(byte) stream, 0, 0, 0, (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8),
            (byte) n}, 0, 8);
        out.write(payload, 0, n);
    }

    /** Docker's RFC3339NanoFixed. */
    private static String stamp(long nanos) {
        Instant instant = Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L);
        String text = instant.toString(); // trims trailing zeros of the fraction: pad to nine digits
        String seconds = text.substring(0, 19);
        return seconds + "." + String.format("%09d", instant.getNano()) + "Z";
    }

    private static final class Recorder implements LogSink {
        final List<String> lines = new ArrayList<>();
        long bytes;

        @Override
        public void line(String origin, long lineNumber, byte[] b, int offset, int length, boolean cut) {
            String stream = origin.substring(origin.lastIndexOf(' ') + 1);
            lines.add(stream + " " + lineNumber + " " + new String(b, offset, length, StandardCharsets.UTF_8)
                    + (cut ? " (cut)" : ""));
        }

        @Override
        public void bytesRead(long count) {
            bytes += count;
        }

        @Override
        public void problem(String sentence) {
            lines.add("problem: " + sentence);
        }
    }
}
