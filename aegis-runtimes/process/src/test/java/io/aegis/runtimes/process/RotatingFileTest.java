package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.testkit.RecordingLogger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingFileTest {

    @TempDir
    Path dir;

    private final RecordingLogger log = new RecordingLogger();
    private final AtomicLong clock = new AtomicLong();
    private RotatingFile file;

    @AfterEach
    void close() {
        if (file != null) {
            file.close();
        }
    }

    @Test
    void rotatesBeforeAWriteWouldPassTheMaxSizeKeepingTheNewestBackups() {
        file = rotating(100, 3);

        // 50 chunks of 10 bytes: 5 files' worth, of which the current file and 3 backups are kept.
        IntStream.range(0, 50).forEach(i -> write(String.format("chunk %03d\n", i)));

        assertThat(read("out.log")).isEqualTo(chunks(40, 50));
        assertThat(read("out.log.1")).isEqualTo(chunks(30, 40));
        assertThat(read("out.log.2")).isEqualTo(chunks(20, 30));
        assertThat(read("out.log.3")).isEqualTo(chunks(10, 20));
        assertThat(dir.resolve("out.log.4")).doesNotExist();
        assertThat(file.droppedBytes()).isZero();
    }

    @Test
    void aChunkThatDoesNotFitStartsANewFileInsteadOfBeingSplit() {
        file = rotating(100, 2);
        write("a".repeat(95));

        write("b".repeat(10));

        assertThat(read("out.log")).isEqualTo("b".repeat(10));
        assertThat(read("out.log.1")).isEqualTo("a".repeat(95));
    }

    @Test
    void aChunkLargerThanTheMaxSizeIsSplitSoThatNoFileExceedsIt() {
        file = rotating(100, 5);

        write("a".repeat(100) + "b".repeat(100) + "c".repeat(50));

        assertThat(read("out.log")).isEqualTo("c".repeat(50));
        assertThat(read("out.log.1")).isEqualTo("b".repeat(100));
        assertThat(read("out.log.2")).isEqualTo("a".repeat(100));
    }

    @Test
    void anExistingFileIsAppendedToAndCountsTowardsTheMaxSize() throws IOException {
        Files.writeString(dir.resolve("out.log"), "x".repeat(95));
        file = rotating(100, 1);

        write("y".repeat(10));

        assertThat(read("out.log")).isEqualTo("y".repeat(10));
        assertThat(read("out.log.1")).isEqualTo("x".repeat(95));
    }

    @Test
    void withNoBackupsTheFileIsTruncatedInPlace() {
        file = rotating(100, 0);
        write("a".repeat(95));

        write("b".repeat(10));

        assertThat(read("out.log")).isEqualTo("b".repeat(10));
        assertThat(dir.resolve("out.log.1")).doesNotExist();
    }

    @Test
    void withMaxSizeZeroTheFileIsNeverRotated() {
        file = rotating(0, 3);

        IntStream.range(0, 100).forEach(i -> write("0123456789"));

        assertThat(read("out.log")).hasSize(1000);
        assertThat(dir.resolve("out.log.1")).doesNotExist();
    }

    @Test
    void reopenAfterAnExternalRenameWritesToANewFileAtThePath() throws IOException {
        file = rotating(1000, 3);
        write("before\n");
        Files.move(dir.resolve("out.log"), dir.resolve("out.log-20260101")); // what logrotate does
        write("still to the renamed file\n");

        file.reopen();
        write("after\n");

        assertThat(read("out.log-20260101")).isEqualTo("before\nstill to the renamed file\n");
        assertThat(read("out.log")).isEqualTo("after\n");
    }

    @Test
    void aGapInTheBackupsIsSkipped() throws IOException {
        file = rotating(10, 3);
        write("1".repeat(10));
        write("2".repeat(10));
        write("3".repeat(10));
        Files.delete(dir.resolve("out.log.1")); // a person cleaning up

        write("4".repeat(10));

        assertThat(read("out.log")).isEqualTo("4".repeat(10));
        assertThat(read("out.log.1")).isEqualTo("3".repeat(10));
        assertThat(dir.resolve("out.log.2")).doesNotExist();
        assertThat(read("out.log.3")).isEqualTo("1".repeat(10));
        assertThat(log.lines()).isEmpty();
    }

    @Test
    void aDirectoryInTheWayOfABackupIsLeftAloneAndTheTotalStaysBounded() throws IOException {
        Path inTheWay = Files.createDirectory(dir.resolve("out.log.2"));
        Files.writeString(inTheWay.resolve("not ours"), "keep me");
        file = rotating(10, 3);

        IntStream.range(0, 20).forEach(i -> write(Integer.toString(i % 10).repeat(10)));

        assertThat(read("out.log")).isEqualTo("9".repeat(10));
        assertThat(read("out.log.1")).isEqualTo("8".repeat(10));
        assertThat(Files.readString(inTheWay.resolve("not ours"))).isEqualTo("keep me");
        assertThat(dir.resolve("out.log.3")).doesNotExist();
        assertThat(log.lines()).hasSize(1).first().asString()
                .isEqualTo("WARNING web: cannot rotate its output through " + inTheWay
                        + ": it is not a regular file, so aegis leaves it alone; move it away");
    }

    @Test
    void aBackupThatCannotBeReplacedDropsTheOlderOutputInsteadOfGrowingTheFile() throws IOException {
        Path inTheWay = Files.createDirectory(dir.resolve("out.log.1"));
        Files.writeString(inTheWay.resolve("not ours"), "keep me");
        file = rotating(10, 3);

        IntStream.range(0, 5).forEach(i -> write(Integer.toString(i).repeat(10)));

        assertThat(read("out.log")).isEqualTo("4".repeat(10));
        assertThat(Files.readString(inTheWay.resolve("not ours"))).isEqualTo("keep me");
        assertThat(dir.resolve("out.log.2")).doesNotExist();
        // One warning per thing in the way, though it is met twice per rotation (not moved, not replaced).
        assertThat(log.lines()).singleElement().asString().isEqualTo("WARNING web: cannot rotate its output through "
                + inTheWay + ": it is not a regular file, so aegis leaves it alone; move it away");
    }

    @Test
    void reopeningWhileAnotherThreadWritesLosesAndDuplicatesNothing() throws Exception {
        file = rotating(0, 0);
        int chunks = 20_000;
        Thread writer = new Thread(() -> IntStream.range(0, chunks).forEach(i -> write("0123456789".repeat(10))));
        writer.start();

        for (int i = 0; writer.isAlive(); i++) {
            if (Files.exists(dir.resolve("out.log"))) {
                Files.move(dir.resolve("out.log"), dir.resolve("renamed-" + i));
            }
            file.reopen();
        }
        writer.join();

        long total;
        try (var files = Files.list(dir)) {
            total = files.mapToLong(path -> path.toFile().length()).sum();
        }
        assertThat(total).isEqualTo(chunks * 100L);
        assertThat(file.droppedBytes()).isZero();
    }

    @Test
    void aSymbolicLinkAtThePathIsNeverFollowed() throws IOException {
        Path target = Files.writeString(dir.resolve("precious"), "precious\n");
        Files.createSymbolicLink(dir.resolve("out.log"), target);
        file = rotating(100, 3);

        write("planted\n");

        assertThat(Files.readString(target)).isEqualTo("precious\n");
        assertThat(file.droppedBytes()).isEqualTo(8);
        assertThat(log.lines()).singleElement().asString().contains("is a symbolic link, which aegis does not follow");
    }

    @Test
    void aRotationNeverFollowsALinkPlantedAtABackup() throws IOException {
        Path target = Files.writeString(dir.resolve("precious"), "precious\n");
        Files.createSymbolicLink(dir.resolve("out.log.1"), target);
        file = rotating(10, 3);

        write("a".repeat(10));
        write("b".repeat(10));

        assertThat(Files.readString(target)).isEqualTo("precious\n");
        assertThat(Files.isSymbolicLink(dir.resolve("out.log.1"))).isFalse();
        assertThat(read("out.log.1")).isEqualTo("a".repeat(10));
    }

    @Test
    void writeErrorsDropTheOutputAndAreLoggedOncePerEpisode() throws IOException {
        Path blocked = Files.createDirectory(dir.resolve("out.log"));
        file = new RotatingFile("web", blocked, 100, 3, log, clock::get);

        IntStream.range(0, 5).forEach(i -> write("lost\n"));
        Files.delete(blocked);
        write("also lost: writing is tried again only after a pause\n");
        clock.addAndGet(RotatingFile.RETRY_PAUSE_NANOS);
        write("back\n");
        write("more\n");

        assertThat(file.droppedBytes()).isEqualTo(25 + 53);
        assertThat(read("out.log")).isEqualTo("back\nmore\n");
        assertThat(log.lines()).hasSize(2);
        assertThat(log.lines().get(0)).startsWith("WARNING web: cannot write its output to " + blocked)
                .contains("is a directory");
        assertThat(log.lines().get(1))
                .isEqualTo("INFO web: writing its output to " + blocked + " again; 78 bytes were lost meanwhile");
    }

    @Test
    void aNewCauseWithinAnEpisodeIsWarnedOfToo() throws IOException {
        Path path = Files.createDirectory(dir.resolve("out.log"));
        file = new RotatingFile("web", path, 100, 3, log, clock::get);
        write("lost: a directory is in the way\n");
        Files.delete(path);
        Files.createSymbolicLink(path, Files.createFile(dir.resolve("elsewhere")));
        clock.addAndGet(RotatingFile.RETRY_PAUSE_NANOS);

        // The folder was removed, but a link is there now (SIGUSR1 after someone planted it): said, not silent.
        write("lost: a link is in the way\n");
        clock.addAndGet(RotatingFile.RETRY_PAUSE_NANOS);
        write("lost again, for the same reason\n");

        assertThat(log.lines()).hasSize(2);
        assertThat(log.lines().get(0)).contains("is a directory");
        assertThat(log.lines().get(1)).startsWith("WARNING web: still cannot write its output to " + path
                + ", now because: " + path + " is a symbolic link");
        assertThat(read("elsewhere")).isEmpty();
    }

    @Test
    void aFullDiskDropsTheOutputWithOneWarning() {
        Path full = Path.of("/dev/full");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(full), "/dev/full (Linux) is needed");
        file = new RotatingFile("web", full, 100, 3, log);

        IntStream.range(0, 1000).forEach(i -> write("0123456789"));

        assertThat(file.droppedBytes()).isEqualTo(10_000);
        assertThat(log.lines()).singleElement().asString().contains("No space left on device");
    }

    @Test
    void aNewFileIsReadableByItsOwnerOnly() throws IOException {
        file = rotating(100, 3);

        write("secret\n");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("out.log"))))
                .isEqualTo("rw-------");
    }

    private RotatingFile rotating(long maxSize, int backups) {
        return new RotatingFile("web", dir.resolve("out.log"), maxSize, backups, log);
    }

    private void write(String text) {
        ByteBuffer bytes = ByteBuffer.allocateDirect(text.length());
        bytes.put(text.getBytes(StandardCharsets.UTF_8)).flip();
        file.write(bytes);
        assertThat(bytes.hasRemaining()).as("consumed").isFalse();
    }

    private String read(String name) {
        try {
            return Files.readString(dir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String chunks(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> String.format("chunk %03d\n", i)).collect(Collectors.joining());
    }
}
