package io.aegis.core.internal.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.aegis.api.ConfigException;
import io.aegis.api.LogSourceSpec;
import io.aegis.api.Settings;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file log source against real files in a temporary directory, written by another thread while the tailer reads,
 * the way a service and logrotate change them.
 */
class FileLogSourceTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration FAST_SCAN = Duration.ofMillis(50);

    @TempDir
    Path dir;

    private final List<FileLogSourceFactory> factories = new ArrayList<>();

    @AfterEach
    void closeFactories() {
        factories.forEach(FileLogSourceFactory::close);
    }

    @Test
    void linesAppendedWhileFollowingAreDeliveredExactlyOnceInOrderAcrossManyScans() throws Exception {
        Path log = dir.resolve("app.log");
        Files.writeString(log, "written before the start\nand a line begun before");
        RecordingSink sink = start(spec(log, FAST_SCAN));
        List<String> expected = RecordingSink.numbered("line ", 1, 3000);

        // Chunks of random size split lines anywhere, so lines are often completed by a later read.
        CompletableFuture<Void> writer = inBackground(() -> {
            byte[] all = (" that is not new\n" + String.join("\n", expected) + "\n").getBytes(StandardCharsets.UTF_8);
            Random random = new Random(7);
            try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
                for (int at = 0; at < all.length; ) {
                    int length = Math.min(all.length - at, 1 + random.nextInt(300));
                    out.write(all, at, length);
                    out.flush();
                    at += length;
                }
            }
        });
        writer.get(30, TimeUnit.SECONDS);
        append(log, "end\n");

        await().atMost(WAIT).until(() -> sink.endsWith("end"));
        List<String> all = new ArrayList<>(expected);
        all.add("end");
        assertThat(sink.texts()).containsExactlyElementsOf(all);
        assertThat(sink.lines()).extracting(RecordingSink.Line::lineNumber).startsWith(1L, 2L, 3L);
        assertThat(sink.lines()).allSatisfy(line -> assertThat(line.origin()).isEqualTo(log.toString()));
    }

    @Test
    void aFileSystemEventWakesTheTailerLongBeforeItsScanInterval() throws Exception {
        Path log = dir.resolve("app.log");
        Files.createFile(log);
        RecordingSink sink = start(spec(log, Duration.ofHours(1)));

        append(log, "noticed through the watch service\n");

        await().atMost(WAIT).until(() -> sink.endsWith("noticed through the watch service"));
    }

    @Test
    void aSourceThatKeepsNoPositionsSleepsBetweenItsReadsInsteadOfSpinning() throws Exception {
        Path log = dir.resolve("app.log");
        Files.createFile(log);
        RecordingSink sink = start(spec(log, Duration.ofHours(1))); // no state directory, as an embedded engine's
        append(log, "a line that changes its position\n");
        await().atMost(WAIT).until(() -> sink.endsWith("a line that changes its position"));

        // Its positions stayed "to be saved" for good, and the reading thread woke at once every time to save them:
        // 100% of a core while a followed file grew, RUNNABLE for good.
        Thread reader = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("aegis-logs")).findFirst().orElseThrow();
        await().atMost(WAIT).until(() -> reader.getState() == Thread.State.TIMED_WAITING
                || reader.getState() == Thread.State.WAITING);
    }

    @Test
    void aRestartedTailerNeitherReplaysNorSkipsLines() throws Exception {
        Path log = dir.resolve("app.log");
        Path state = dir.resolve("state");
        Files.writeString(log, "old\n");
        FileLogSourceFactory first = factory();
        RecordingSink before = new RecordingSink();
        first.create(spec(log, FAST_SCAN, false, 65_536, state)).start(before);
        append(log, String.join("\n", RecordingSink.numbered("a", 1, 100)) + "\nhalf of a li");
        await().atMost(WAIT).until(() -> before.endsWith("a100"));
        first.close();

        append(log, "ne\n" + String.join("\n", RecordingSink.numbered("b", 1, 50)) + "\n");
        RecordingSink after = start(spec(log, FAST_SCAN, false, 65_536, state));
        append(log, "c1\n");

        await().atMost(WAIT).until(() -> after.endsWith("c1"));
        assertThat(before.texts()).containsExactlyElementsOf(RecordingSink.numbered("a", 1, 100));
        List<String> expected = new ArrayList<>(List.of("half of a line"));
        expected.addAll(RecordingSink.numbered("b", 1, 50));
        expected.add("c1");
        assertThat(after.texts()).containsExactlyElementsOf(expected);
        assertThat(after.lines().get(0).lineNumber()).as("line numbers go on").isEqualTo(101);
    }

    @Test
    void aPositionsFileCutShortOrEmptiedIsNotTrustedAndEveryFileStartsAtItsEndInsteadOfItsFirstByte()
            throws Exception {
        // A power cut after the rename can leave it empty or cut short (review M1): trusting what is left read the
        // files it no longer named from byte 0, replaying every old error in them.
        Path log = dir.resolve("app.log");
        Path other = dir.resolve("other.log");
        Path state = dir.resolve("state");
        Files.writeString(log, "old\n");
        Files.writeString(other, "old other\n");
        FileLogSourceFactory first = factory();
        RecordingSink before = new RecordingSink();
        first.create(spec(dir.resolve("*.log"), FAST_SCAN, false, 65_536, state)).start(before);
        append(log, "a1\n");
        await().atMost(WAIT).until(() -> before.endsWith("a1"));
        first.close();
        Path positions = state.resolve(FileTailer.STATE_FILE);
        List<String> saved = Files.readAllLines(positions);
        assertThat(saved).last().isEqualTo(FileTailer.STATE_END);
        // cut short: the header and the first file's line only
        Files.writeString(positions, saved.get(0) + "\n" + saved.get(1) + "\n");

        RecordingSink after = start(spec(dir.resolve("*.log"), FAST_SCAN, false, 65_536, state));
        append(log, "b1\n");
        append(other, "b2\n");

        await().atMost(WAIT).until(() -> after.texts().containsAll(List.of("b1", "b2")));
        assertThat(after.texts()).containsExactlyInAnyOrder("b1", "b2");
        assertThat(after.problems()).singleElement().asString().contains("is damaged (it is cut short)");
    }

    @Test
    void aFileRotatedWhileAegisWasDownIsReadToItsEndAndTheNewOneFromItsStart() throws Exception {
        Path log = dir.resolve("app.log");
        Path state = dir.resolve("state");
        Files.createFile(log);
        FileLogSourceFactory first = factory();
        RecordingSink before = new RecordingSink();
        first.create(spec(log, FAST_SCAN, false, 65_536, state)).start(before);
        append(log, "a1\n");
        await().atMost(WAIT).until(() -> before.endsWith("a1"));
        first.close();

        append(log, "a2\n");
        Files.move(log, dir.resolve("app.log.1"));
        append(log, "b1\n");
        RecordingSink after = start(spec(log, FAST_SCAN, false, 65_536, state));

        await().atMost(WAIT).until(() -> after.endsWith("b1"));
        assertThat(after.texts()).containsExactly("a2", "b1");
    }

    @Test
    void rotationByRenameLosesAndDuplicatesNoLineWrittenToEitherFileAroundIt() throws Exception {
        Path log = dir.resolve("app.log");
        Files.createFile(log);
        RecordingSink sink = start(spec(log, FAST_SCAN));

        CompletableFuture<Void> writer = inBackground(() -> {
            for (int round = 0; round < 5; round++) {
                try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND)) {
                    for (int i = 1; i <= 400; i++) {
                        out.write(("r" + round + " " + i + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        if (i == 200) {
                            // A file lives longer than the tailer takes to notice it (tail -F needs that too).
                            String first = "r" + round + " 1";
                            await().atMost(WAIT).until(() -> sink.texts().contains(first));
                        }
                    }
                    Files.move(log, dir.resolve("app.log." + round)); // logrotate's rename
                    for (int i = 401; i <= 420; i++) { // the service writes on before it reopens
                        out.write(("r" + round + " " + i + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                }
            }
            append(log, "end\n");
        });
        writer.get(30, TimeUnit.SECONDS);

        await().atMost(WAIT).until(() -> sink.texts().contains("end"));
        List<String> expected = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            expected.addAll(RecordingSink.numbered("r" + round + " ", 1, 420));
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(sink.texts()).hasSize(expected.size() + 1));
        assertThat(sink.texts()).containsExactlyInAnyOrderElementsOf(concat(expected, "end"));
        for (int round = 0; round < 5; round++) {
            String prefix = "r" + round + " ";
            assertThat(sink.texts().stream().filter(text -> text.startsWith(prefix)).toList())
                    .as("each file's lines in order").containsExactlyElementsOf(RecordingSink.numbered(prefix, 1, 420));
        }
    }

    @Test
    void aFileTruncatedInPlaceIsReadAgainFromItsStart() throws Exception {
        Path log = dir.resolve("app.log");
        Files.createFile(log);
        RecordingSink sink = start(spec(log, FAST_SCAN));
        append(log, String.join("\n", RecordingSink.numbered("before copy ", 1, 100)) + "\n");
        await().atMost(WAIT).until(() -> sink.endsWith("before copy 100"));

        inBackground(() -> {
            Files.copy(log, dir.resolve("app.log.1")); // logrotate's copytruncate
            try (FileChannel channel = FileChannel.open(log, StandardOpenOption.WRITE)) {
                channel.truncate(0);
            }
            append(log, "after truncate 1\nafter truncate 2\n");
        }).get(30, TimeUnit.SECONDS);

        await().atMost(WAIT).until(() -> sink.endsWith("after truncate 2"));
        assertThat(sink.texts()).containsExactlyElementsOf(concat(RecordingSink.numbered("before copy ", 1, 100),
                "after truncate 1", "after truncate 2"));
        assertThat(sink.lines().get(100).lineNumber()).as("counted from the new start").isEqualTo(1);
    }

    @Test
    void aDeletedFileIsFollowedAgainWhenItIsCreatedAgain() throws Exception {
        Path log = dir.resolve("app.log");
        Files.createFile(log);
        RecordingSink sink = start(spec(log, FAST_SCAN));
        append(log, "first life\n");
        await().atMost(WAIT).until(() -> sink.endsWith("first life"));

        inBackground(() -> {
            Files.delete(log);
            append(log, "second life 1\nsecond life 2\n");
        }).get(30, TimeUnit.SECONDS);

        await().atMost(WAIT).until(() -> sink.endsWith("second life 2"));
        assertThat(sink.texts()).containsExactly("first life", "second life 1", "second life 2");
    }

    @Test
    void aFileThatAppearsLaterInADirectoryThatAppearsLaterIsReadFromItsStart() throws Exception {
        Path log = dir.resolve("later/logs/app.log");
        RecordingSink sink = start(spec(log, FAST_SCAN));

        inBackground(() -> {
            Files.createDirectories(log.getParent());
            append(log, "born\nlate\n");
        }).get(30, TimeUnit.SECONDS);

        await().atMost(WAIT).until(() -> sink.endsWith("late"));
        assertThat(sink.texts()).containsExactly("born", "late");
    }

    @Test
    void aPartialLastLineIsHeldUntilItsNewlineComes() throws Exception {
        Path log = dir.resolve("app.log");
        Files.createFile(log);
        RecordingSink sink = start(spec(log, FAST_SCAN));

        append(log, "whole\npart"); // one write: the tailer sees both at once
        await().atMost(WAIT).until(() -> sink.endsWith("whole"));
        assertThat(sink.texts()).containsExactly("whole");

        append(log, "ial\r\n");
        await().atMost(WAIT).until(() -> sink.endsWith("partial"));
        assertThat(sink.lines()).extracting(RecordingSink.Line::cut).containsExactly(false, false);
    }

    @Test
    void aOneMegabyteLineIsCutToTheLimitCountedAndTheNextLineIsWhole() throws Exception {
        Path log = dir.resolve("app.log");
        Files.createFile(log);
        RecordingSink sink = start(spec(log, FAST_SCAN, false, 65_536, null));
        byte[] big = new byte[1 << 20];
        Arrays.fill(big, (byte) 'x');

        inBackground(() -> {
            try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
                for (int at = 0; at < big.length; at += 100_000) {
                    out.write(big, at, Math.min(100_000, big.length - at));
                    out.flush();
                }
                out.write("\nnext\n".getBytes(StandardCharsets.UTF_8));
            }
        }).get(30, TimeUnit.SECONDS);

        await().atMost(WAIT).until(() -> sink.endsWith("next"));
        List<RecordingSink.Line> lines = sink.lines();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).bytes()).hasSize(65_536).containsOnly((byte) 'x');
        assertThat(lines.get(0).cut()).isTrue();
        assertThat(lines.get(1).cut()).isFalse();
        assertThat(lines.get(1).lineNumber()).isEqualTo(2);
        assertThat(sink.bytesRead()).isEqualTo(big.length + 6);
    }

    @Test
    void binaryGarbageIsDeliveredAsItsBytesSplitAtNewlines() throws Exception {
        Path log = dir.resolve("app.log");
        Files.createFile(log);
        int max = 1000;
        RecordingSink sink = start(spec(log, FAST_SCAN, false, max, null));
        byte[] garbage = new byte[1 << 20];
        new Random(42).nextBytes(garbage);

        inBackground(() -> {
            try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
                for (int at = 0; at < garbage.length; at += 4099) {
                    out.write(garbage, at, Math.min(4099, garbage.length - at));
                    out.flush();
                }
                out.write("\nend\n".getBytes(StandardCharsets.UTF_8));
            }
        }).get(30, TimeUnit.SECONDS);

        await().atMost(WAIT).until(() -> sink.endsWith("end"));
        List<byte[]> expected = new ArrayList<>();
        List<Boolean> cut = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= garbage.length; i++) {
            if (i == garbage.length || garbage[i] == '\n') {
                int end = i > start && garbage[i - 1] == '\r' ? i - 1 : i;
                expected.add(Arrays.copyOfRange(garbage, start, Math.min(end, start + max)));
                cut.add(end - start > max);
                start = i + 1;
            }
        }
        List<RecordingSink.Line> lines = sink.lines();
        assertThat(lines).hasSize(expected.size() + 1);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(lines.get(i).bytes()).as("line %d", i + 1).isEqualTo(expected.get(i));
            assertThat(lines.get(i).cut()).as("line %d cut", i + 1).isEqualTo(cut.get(i));
        }
    }

    @Test
    void aGlobPicksUpNewMatchingFilesAndIgnoresTheOthers() throws Exception {
        Files.createDirectories(dir.resolve("logs"));
        Files.writeString(dir.resolve("logs/a.log"), "old a\n");
        RecordingSink sink = start(spec(dir + "/logs/*.log", FAST_SCAN, false, 65_536, null));

        inBackground(() -> {
            append(dir.resolve("logs/a.log"), "new a\n");
            append(dir.resolve("logs/b.txt"), "not a log\n");
            append(dir.resolve("logs/b.log"), "new b\n");
        }).get(30, TimeUnit.SECONDS);

        await().atMost(WAIT).untilAsserted(() -> assertThat(sink.texts()).containsExactlyInAnyOrder("new a", "new b"));
        assertThat(sink.lines()).extracting(RecordingSink.Line::origin)
                .containsExactlyInAnyOrder(dir.resolve("logs/a.log").toString(), dir.resolve("logs/b.log").toString());
    }

    @Test
    void fromBeginningReadsWhatIsThereAndARuntimesFilesAreFollowedByPath() throws Exception {
        Path out = dir.resolve("out.log");
        Path err = dir.resolve("err.log");
        Files.writeString(out, "o1\n");
        FileLogSourceFactory factory = factory();
        RecordingSink sink = new RecordingSink();
        factory.following(List.of(out, err), spec(out, FAST_SCAN, true, 65_536, null)).start(sink);

        append(err, "e1\n");

        await().atMost(WAIT).untilAsserted(() -> assertThat(sink.texts()).containsExactlyInAnyOrder("o1", "e1"));
    }

    @Test
    void noLineIsDeliveredAfterCloseAndTheThreadEnds() throws Exception {
        Path log = dir.resolve("app.log");
        Files.createFile(log);
        FileLogSourceFactory factory = factory();
        RecordingSink sink = new RecordingSink();
        FileLogSource source = factory.create(spec(log, FAST_SCAN, false, 65_536, null));
        source.start(sink);
        append(log, "one\n");
        await().atMost(WAIT).until(() -> sink.endsWith("one"));

        source.close();
        append(log, "two\n");
        RecordingSink other = new RecordingSink();
        factory.create(spec(log, FAST_SCAN, true, 65_536, null)).start(other);
        await().atMost(WAIT).until(() -> other.endsWith("two"));
        factory.close();

        assertThat(sink.texts()).containsExactly("one");
        assertThat(factory.tailerThreadAlive()).isFalse();
    }

    @Test
    void aSourceWithoutPathIsAConfigErrorNamingTheKey() {
        LogSourceSpec spec = new LogSourceSpec("api", Settings.of("logs.files[2]", Map.of()), false, 100,
                FAST_SCAN, Optional.empty(), Runnable::run);
        assertThatThrownBy(() -> factory().create(spec)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("logs.files[2].path");
    }

    private RecordingSink start(LogSourceSpec spec) {
        RecordingSink sink = new RecordingSink();
        factory().create(spec).start(sink);
        return sink;
    }

    private FileLogSourceFactory factory() {
        FileLogSourceFactory factory = new FileLogSourceFactory();
        factories.add(factory);
        return factory;
    }

    private static LogSourceSpec spec(Path path, Duration scanInterval) {
        return spec(path, scanInterval, false, 65_536, null);
    }

    private static LogSourceSpec spec(Path path, Duration scanInterval, boolean fromBeginning, int max, Path state) {
        return spec(path.toString(), scanInterval, fromBeginning, max, state);
    }

    private static LogSourceSpec spec(String path, Duration scanInterval, boolean fromBeginning, int max, Path state) {
        return new LogSourceSpec("api", Settings.of("logs.files[0]", Map.of("path", path)), fromBeginning, max,
                scanInterval, Optional.ofNullable(state), Runnable::run);
    }

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static List<String> concat(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }

    interface IoWork {
        void run() throws IOException;
    }

    /** Runs {@code work} on a thread of its own, as a service writing its log would. */
    private static CompletableFuture<Void> inBackground(IoWork work) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                work.run();
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e instanceof IOException io ? new UncheckedIOException(io) : e);
            }
        }, "test-log-writer");
        thread.start();
        return done;
    }
}
