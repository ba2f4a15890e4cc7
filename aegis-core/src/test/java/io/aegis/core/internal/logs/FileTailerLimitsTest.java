package io.aegis.core.internal.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.LogSourceSpec;
import io.aegis.api.Settings;
import io.aegis.core.testing.LogCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tailer's limits: how many files it keeps open, a directory deleted and created again, files rotated away while
 * aegis was down.
 */
class FileTailerLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int FILES = 600;
    private static final int MAX_OPEN = 50;
    /** Descriptors beyond the open log files: the watch service, a fingerprint or listing opened for a moment. */
    private static final int MARGIN = 10;

    @TempDir
    Path dir;

    private final List<FileLogSourceFactory> factories = new ArrayList<>();
    private ScheduledExecutorService sampler;

    @AfterEach
    void close() {
        factories.forEach(FileLogSourceFactory::close);
        if (sampler != null) {
            sampler.shutdownNow();
        }
    }

    @Test
    void aGlobOverManyMoreFilesThanTheLimitKeepsFewOpenAndDeliversEveryLineOnceAlsoAcrossARestart() throws Exception {
        Path many = Files.createDirectories(dir.resolve("many"));
        Path state = dir.resolve("state");
        for (int f = 0; f < FILES; f++) {
            Files.writeString(many.resolve("f" + f + ".log"), "old " + f + "\n");
        }
        long baseline = openDescriptors();
        AtomicLong most = new AtomicLong();
        sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> most.accumulateAndGet(openDescriptors(), Math::max), 0, 2,
                TimeUnit.MILLISECONDS);

        FileLogSourceFactory first = factory();
        RecordingSink before = new RecordingSink();
        first.create(spec(many + "/*.log", state)).start(before);
        List<String> expectedBefore = new ArrayList<>();
        for (int round = 1; round <= 2; round++) {
            expectedBefore.addAll(appendToAll(many, round));
        }
        await().atMost(WAIT).until(() -> before.size() >= expectedBefore.size());
        assertThat(first.openFileCount()).isLessThanOrEqualTo(MAX_OPEN);
        first.close();

        List<String> expectedAfter = new ArrayList<>(appendToAll(many, 3)); // while aegis is down
        FileLogSourceFactory second = factory();
        RecordingSink after = new RecordingSink();
        second.create(spec(many + "/*.log", state)).start(after);
        expectedAfter.addAll(appendToAll(many, 4));
        await().atMost(WAIT).until(() -> after.size() >= expectedAfter.size());
        sampler.shutdownNow();
        sampler.awaitTermination(5, TimeUnit.SECONDS);

        assertThat(before.texts()).as("each line once, no old line").containsExactlyInAnyOrderElementsOf(expectedBefore);
        assertThat(after.texts()).as("each line once after the restart")
                .containsExactlyInAnyOrderElementsOf(expectedAfter);
        assertThat(second.openFileCount()).isLessThanOrEqualTo(MAX_OPEN);
        assertThat(most.get() - baseline).as("descriptors the tailer held at most").isLessThanOrEqualTo(MAX_OPEN + MARGIN);
        assertThat(before.problems()).isEmpty();
        assertThat(after.problems()).isEmpty();
    }

    @Test
    void aDeletedDirectoryCreatedAgainIsWatchedAtOnceAndItsFilesReadLongBeforeTheNextScan() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path log = logs.resolve("app.log");
        Files.createFile(log);
        FileLogSourceFactory factory = factory();
        RecordingSink sink = new RecordingSink();
        factory.create(spec(log.toString(), null, Duration.ofHours(1))).start(sink);
        append(log, "first life\n");
        await().atMost(WAIT).until(() -> sink.endsWith("first life"));

        Files.delete(log);
        Files.delete(logs);
        // the tailer waits for the directory to come back by watching its parent
        await().atMost(WAIT).until(() -> factory.watching(dir));
        Files.createDirectories(logs);
        append(log, "second life\n");

        await().atMost(Duration.ofSeconds(10)).until(() -> sink.endsWith("second life"));
        assertThat(sink.texts()).containsExactly("first life", "second life");
    }

    @Test
    void aFileCreatedAndRotatedAwayWhileAegisWasDownIsNamedInOneInfoLine() throws Exception {
        Path log = dir.resolve("app.log");
        Path state = dir.resolve("state");
        Files.createFile(log);
        FileLogSourceFactory first = factory();
        RecordingSink before = new RecordingSink();
        first.create(spec(log.toString(), state)).start(before);
        append(log, "a1\n");
        await().atMost(WAIT).until(() -> before.endsWith("a1"));
        first.close();

        append(log, "old\n");
        Files.move(log, dir.resolve("app.log.1"));
        append(log, "mid\n");
        Files.move(log, dir.resolve("app.log.2"));
        append(log, "new\n");
        Files.writeString(dir.resolve("app.log.3.gz"), "compressed, not named\n");
        RecordingSink after = new RecordingSink();
        String logged = LogCapture.stderrDuring(() -> factory().create(spec(log.toString(), state)).start(after));

        await().atMost(WAIT).until(() -> after.endsWith("new"));
        assertThat(after.texts()).containsExactly("old", "new");
        assertThat(logged).contains("INFO").contains("api: a file written while aegis was down is not read: app.log.2")
                .doesNotContain("app.log.1,").doesNotContain("app.log.3.gz");
    }

    @Test
    void filesAGlobNoLongerMatchesRotatedAwayWhileAegisWasDownAreNamedToo() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path log = logs.resolve("app.log");
        Path state = dir.resolve("state");
        Files.createFile(log);
        String glob = logs.resolve("*.log").toString();
        FileLogSourceFactory first = factory();
        RecordingSink before = new RecordingSink();
        first.create(spec(glob, state)).start(before);
        append(log, "a1\n");
        await().atMost(WAIT).until(() -> before.endsWith("a1"));
        first.close(); // as a kill -9 in the middle of a burst of rotations to names the glob does not match

        append(log, "old\n");
        Files.move(log, logs.resolve("app.1.log.old"));
        append(log, "mid\n");
        Files.move(log, logs.resolve("app.2.log.old"));
        append(log, "new\n");
        // written meanwhile too, but no rotated app.log: another program's files
        append(logs.resolve("syslog"), "not ours\n");
        append(logs.resolve("app-worker.txt"), "not ours either\n");
        RecordingSink after = new RecordingSink();
        String logged = LogCapture.stderrDuring(() -> factory().create(spec(glob, state)).start(after));

        await().atMost(WAIT).until(() -> after.endsWith("new"));
        // the file read last is read to its end wherever it went; the one made and rotated away meanwhile is named
        assertThat(after.texts()).containsExactly("old", "new");
        assertThat(logged).contains("INFO").contains("api: a file written while aegis was down is not read:"
                + " app.2.log.old").doesNotContain("app.1.log.old").doesNotContain("syslog")
                .doesNotContain("app-worker.txt");
    }

    @Test
    void positionsAreSavedWithinAFewHundredMillisecondsOfNewLinesSoAKillReplaysLittle() throws Exception {
        Path log = dir.resolve("app.log");
        Path state = dir.resolve("state");
        Files.createFile(log);
        RecordingSink sink = new RecordingSink();
        factory().create(spec(log.toString(), state)).start(sink);
        append(log, "a\n");
        // the moment a save has just happened: the next one is as far away as it can be
        await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(() -> savedOffset(state) == Files.size(log));

        append(log, "b\n");
        long size = Files.size(log);

        await().atMost(Duration.ofMillis(700)).pollInterval(Duration.ofMillis(5))
                .until(() -> savedOffset(state) == size);
        assertThat(sink.texts()).containsExactly("a", "b");
    }

    /** The offset saved for the one followed file, -1 before any. */
    private static long savedOffset(Path state) throws IOException {
        Path positions = state.resolve(FileTailer.STATE_FILE);
        if (!Files.exists(positions)) {
            return -1;
        }
        return Files.readAllLines(positions).stream().filter(line -> !line.startsWith("#") && !line.isBlank())
                .mapToLong(line -> Long.parseLong(line.split("\t")[1])).findFirst().orElse(-1);
    }

    private static List<String> appendToAll(Path many, int round) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int f = 0; f < FILES; f++) {
            String line = "f" + f + " round " + round;
            append(many.resolve("f" + f + ".log"), line + "\n");
            lines.add(line);
        }
        return lines;
    }

    private static long openDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count() - 1; // the listing's own
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private FileLogSourceFactory factory() {
        FileLogSourceFactory factory = new FileLogSourceFactory(MAX_OPEN);
        factories.add(factory);
        return factory;
    }

    private static LogSourceSpec spec(String path, Path state) {
        return spec(path, state, Duration.ofMillis(50));
    }

    private static LogSourceSpec spec(String path, Path state, Duration scanInterval) {
        return new LogSourceSpec("api", Settings.of("logs.files[0]", Map.of("path", path)), false, 65_536,
                scanInterval, Optional.ofNullable(state), Runnable::run);
    }

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
