package io.aegis.runtimes.process;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * The pipe that carries one process's stdout and stderr to its {@link OutputPump}.
 *
 * <p>A named pipe rather than {@link ProcessBuilder.Redirect#PIPE}, for two reasons. The JDK closes its end
 * of a {@code PIPE} as soon as the direct child exits, after copying whatever is buffered into memory, so a
 * descendant still writing would get EPIPE (or die of SIGPIPE) and a fast one could fill our heap; here the
 * pipe lives until the last writer, descendants included, closes it. And the JDK's stream cannot be
 * interrupted, while a {@link FileChannel} read ends at once when the channel is closed, so {@code close}
 * never leaves a thread behind because a grandchild keeps the pipe open.
 *
 * <p>The named pipe exists only during the launch, in the service's private state directory: it is opened
 * both ways first (so neither open blocks), handed to the process by the JDK as a file to append to, and
 * removed from the directory once the process holds it.
 *
 * <p>Creating a named pipe takes a {@code mkfifo} process (the JDK cannot), a fork and exec that cost a restart
 * several milliseconds, more on a busy machine. So the first launch makes a <em>spare</em> with the same
 * {@code mkfifo}, and {@link ServiceOutput} makes the next spare after each launch that used one: a restart after a
 * crash only opens a pipe that is already there.
 */
final class OutputPipe implements AutoCloseable {

    /** The name of the pipe while a launch uses it, in the service's state directory. */
    static final String NAME = ".output.fifo";
    /** The name of the pipe made ahead for the next launch. */
    static final String SPARE_NAME = ".output-spare.fifo";

    private final Path fifo;
    /** Keeps a writer on the pipe until the process holds its own, so that no open blocks. */
    private final FileChannel keepOpen;
    private final FileChannel source;

    private OutputPipe(Path fifo, FileChannel keepOpen, FileChannel source) {
        this.fifo = fifo;
        this.keepOpen = keepOpen;
        this.source = source;
    }

    /**
     * Creates the pipe in {@code directory}, which must be private to one service (launches of one service
     * never overlap, so the name is fixed).
     *
     * @throws IOException with a sentence saying what failed
     */
    static OutputPipe create(Path directory) throws IOException {
        return create(directory, false);
    }

    /**
     * As {@link #create(Path)}; with {@code withSpare}, the same {@code mkfifo} also makes the spare for the next
     * launch ({@link #openSpare}).
     */
    static OutputPipe create(Path directory, boolean withSpare) throws IOException {
        Path fifo = directory.resolve(NAME);
        Path spare = directory.resolve(SPARE_NAME);
        Files.deleteIfExists(fifo); // left by an engine that died during a launch
        if (withSpare) {
            Files.deleteIfExists(spare);
            mkfifo(fifo, spare);
        } else {
            mkfifo(fifo);
        }
        return open(fifo);
    }

    /**
     * The spare made by {@link #create(Path, boolean)} or {@link #makeSpare}, opened as the pipe of this launch.
     *
     * @throws IOException when it is gone or is not a named pipe (then it is removed)
     */
    static OutputPipe openSpare(Path directory) throws IOException {
        Path spare = directory.resolve(SPARE_NAME);
        if (!Files.readAttributes(spare, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
            Files.deleteIfExists(spare);
            throw new IOException(spare + " is not a named pipe");
        }
        return open(spare);
    }

    /** Makes the spare for the next launch, replacing any left there. */
    static void makeSpare(Path directory) throws IOException {
        Path spare = directory.resolve(SPARE_NAME);
        Files.deleteIfExists(spare);
        mkfifo(spare);
    }

    /** Removes the spare, if any: for a runtime that is closed. */
    static void deleteSpare(Path directory) throws IOException {
        Files.deleteIfExists(directory.resolve(SPARE_NAME));
    }

    private static OutputPipe open(Path fifo) throws IOException {
        FileChannel keepOpen = null;
        try {
            // Read-write first: on Linux and the BSDs that open never waits for the other end.
            keepOpen = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            FileChannel source = FileChannel.open(fifo, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            return new OutputPipe(fifo, keepOpen, source);
        } catch (IOException | RuntimeException e) {
            if (keepOpen != null) {
                keepOpen.close();
            }
            Files.deleteIfExists(fifo);
            throw e;
        }
    }

    /** What the process's stdout (and stderr, merged) is redirected to. */
    ProcessBuilder.Redirect redirect() {
        return ProcessBuilder.Redirect.appendTo(fifo.toFile());
    }

    /**
     * Called once the process started (or failed to): drops our writer and the name, so that the pipe ends
     * when the process and its descendants have closed it. Returns the reading end, now the caller's.
     */
    FileChannel handOver() throws IOException {
        try {
            keepOpen.close();
        } finally {
            try {
                Files.deleteIfExists(fifo);
            } catch (IOException e) {
                // A state directory gone read-only (a disk remounted after errors): the name stays, which is harmless
                // (every new pipe is made after deleting it, and a spare is reused only once made anew), while the
                // pipe works. Giving it up instead closed the reading end, and the process died of SIGPIPE.
            }
        }
        return source;
    }

    /** Closes both ends and removes the name: for a launch that failed. */
    @Override
    public void close() {
        try {
            keepOpen.close();
            source.close();
            Files.deleteIfExists(fifo);
        } catch (IOException e) {
            // Nothing was started on this pipe; what is left is an empty named pipe in a private directory.
        }
    }

    private static void mkfifo(Path... fifos) throws IOException {
        List<String> command = new ArrayList<>(List.of("mkfifo", "-m", "600"));
        for (Path fifo : fifos) {
            command.add(fifo.toString());
        }
        Path fifo = fifos[0];
        Process mkfifo = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        String said = new String(mkfifo.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        int exit;
        try {
            exit = mkfifo.waitFor();
        } catch (InterruptedException e) {
            mkfifo.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating the output pipe " + fifo, e);
        }
        if (exit != 0) {
            throw new IOException("cannot create the output pipe " + fifo + ": mkfifo exited with " + exit
                    + (said.isEmpty() ? "" : ": " + said));
        }
    }
}
