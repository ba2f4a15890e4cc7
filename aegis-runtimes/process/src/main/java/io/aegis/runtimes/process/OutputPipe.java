package io.aegis.runtimes.process;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
 */
final class OutputPipe implements AutoCloseable {

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
        Path fifo = directory.resolve(".output.fifo");
        Files.deleteIfExists(fifo); // left by an engine that died during a launch
        mkfifo(fifo);
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
            Files.deleteIfExists(fifo);
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

    private static void mkfifo(Path fifo) throws IOException {
        Process mkfifo = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString())
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
