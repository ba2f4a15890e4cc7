package io.aegis.runtimes.process;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * A log file that rotates by size, the supervisord way: before a write would take {@code file} past
 * {@code maxSize} bytes it is renamed to {@code file.1}, {@code file.1} to {@code file.2} and so on up to
 * {@code file.<backups>}, whose old content is dropped, and a new {@code file} is started. So no file ever
 * exceeds {@code maxSize} and the whole takes at most {@code (backups + 1) × maxSize} bytes. With
 * {@code backups == 0} the file is truncated in place; with {@code maxSize == 0} it is never rotated.
 *
 * <p>Links are never followed: the file is opened with {@link LinkOption#NOFOLLOW_LINKS} (a symbolic link
 * planted at its path makes the open fail instead of redirecting the output), and renames move or replace
 * links themselves, never what they point to.
 *
 * <p>Writing never throws: output that cannot be written (disk full, the file's directory gone, a directory
 * in the way) is dropped and counted, and the problem is logged once per episode, not once per write, with the
 * number of bytes lost when writing works again. Thread-safe; {@link #reopen()} may be called from any thread,
 * for instance after logrotate renamed the file.
 */
final class RotatingFile implements AutoCloseable {

    private static final OpenOption[] APPEND = {StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS};

    /**
     * After a failed write, output is dropped without trying for this long: a disk stays full for a while, and
     * a fast writer would otherwise cost an open, a failed write and an exception per read.
     */
    static final long RETRY_PAUSE_NANOS = 100_000_000L;

    private final String serviceName;
    private final Path file;
    private final long maxSize;
    private final int backups;
    private final Logger log;
    /** Output can hold secrets: a new file is readable by its owner only. Empty where POSIX is unknown. */
    private final FileAttribute<?>[] ownerOnly;
    private final LongSupplier nanoTime;

    /** The open file, or null when it must be (re)opened before the next write. Guarded by this. */
    private FileChannel channel;
    /** The size of the open file as far as we wrote it. Guarded by this. */
    private long size;
    /** Guarded by this. */
    private boolean closed;
    /** Bytes dropped since the current write problem began; -1 when writing works. Guarded by this. */
    private long droppedInEpisode = -1;
    /** Why the last write of the current episode failed. Guarded by this. */
    private String episodeReason;
    /** Guarded by this. */
    private long droppedTotal;
    /** When, in {@link #nanoTime} units, writing is tried again after a failure. Guarded by this. */
    private long retryAt;
    /** Backups that could not be kept; each reported once. Guarded by this. */
    private final Set<Path> reportedBackups = new HashSet<>();

    RotatingFile(String serviceName, Path file, long maxSize, int backups, Logger log) {
        this(serviceName, file, maxSize, backups, log, System::nanoTime);
    }

    /** With the clock that times the pause after a failure ({@link System#nanoTime} outside tests). */
    RotatingFile(String serviceName, Path file, long maxSize, int backups, Logger log, LongSupplier nanoTime) {
        if (maxSize < 0 || backups < 0) {
            throw new IllegalArgumentException("maxSize and backups must not be negative");
        }
        this.serviceName = serviceName;
        this.file = file;
        this.maxSize = maxSize;
        this.backups = backups;
        this.log = log;
        this.nanoTime = nanoTime;
        this.ownerOnly = file.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
    }

    Path path() {
        return file;
    }

    /**
     * Writes all of {@code bytes} (consuming them), rotating as needed; drops them if they cannot be written.
     * A chunk that fits in an empty file is never split across two files; a larger one is.
     */
    synchronized void write(ByteBuffer bytes) {
        if (closed) {
            bytes.position(bytes.limit());
            return;
        }
        if (droppedInEpisode >= 0 && nanoTime.getAsLong() - retryAt < 0) {
            drop(bytes, null);
            return;
        }
        try {
            if (channel == null) {
                open();
            }
            if (maxSize > 0 && size > 0 && size + bytes.remaining() > maxSize) {
                rotate();
            }
            while (bytes.hasRemaining()) {
                if (maxSize > 0 && size >= maxSize) {
                    rotate();
                }
                int limit = bytes.limit();
                // size < maxSize unless someone else filled the new file: then at least this write goes through.
                if (maxSize > 0 && size < maxSize) {
                    bytes.limit(bytes.position() + (int) Math.min(bytes.remaining(), maxSize - size));
                }
                try {
                    while (bytes.hasRemaining()) {
                        size += channel.write(bytes);
                    }
                } finally {
                    bytes.limit(limit);
                }
            }
            if (droppedInEpisode >= 0) {
                log.log(Level.INFO, "{0}: writing its output to {1} again; {2} bytes were lost meanwhile",
                        serviceName, file, Long.toString(droppedInEpisode));
                droppedInEpisode = -1;
            }
        } catch (IOException | RuntimeException e) {
            drop(bytes, e);
        }
    }

    /**
     * Closes the file so that the next write opens {@code file} again, creating it if it is gone: what
     * logrotate expects after it renamed the file.
     */
    synchronized void reopen() {
        closeChannel();
    }

    /** How many bytes were dropped because they could not be written. */
    synchronized long droppedBytes() {
        return droppedTotal;
    }

    /** Closes the file; later writes are ignored. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        closeChannel();
    }

    private void open() throws IOException {
        try {
            channel = FileChannel.open(file, Set.of(APPEND), ownerOnly);
        } catch (IOException e) {
            // Asked after the fact: the JDK reports a link only as "Too many levels of symbolic links".
            if (Files.isSymbolicLink(file)) {
                throw new IOException(file + " is a symbolic link, which aegis does not follow for a log file"
                        + " (a planted link could make it write elsewhere); remove the link", e);
            }
            if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(file + " is a directory; move it away", e);
            }
            throw e;
        }
        size = channel.size();
    }

    /** Shifts the backups by one and starts a new, empty file. */
    private void rotate() throws IOException {
        closeChannel();
        for (int i = backups - 1; i >= 0; i--) {
            shift(i == 0 ? file : backup(i), backup(i + 1));
        }
        open();
        if (backups == 0) {
            channel.truncate(0);
            size = 0;
        }
    }

    /**
     * Renames {@code from} to {@code to}, replacing it. Anything but a regular file (a directory, a link, a
     * pipe) is left where it is: it is not ours. A file that cannot move on is deleted, so that the bound
     * on the total size holds even when a backup is stuck.
     */
    private void shift(Path from, Path to) throws IOException {
        BasicFileAttributes source;
        try {
            source = Files.readAttributes(from, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return; // a gap in the backups (deleted by a person, or not there yet): nothing moves
        }
        if (!source.isRegularFile()) {
            reportOnce(from, "it is not a regular file, so aegis leaves it alone; move it away");
            return;
        }
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            reportedBackups.remove(to);
        } catch (IOException e) {
            reportOnce(to, "cannot replace it (" + IoErrors.describe(e) + "), so the older output in " + from
                    + " is deleted instead");
            Files.deleteIfExists(from);
        }
    }

    private Path backup(int number) {
        return file.resolveSibling(file.getFileName() + "." + number);
    }

    private void reportOnce(Path path, String problem) {
        if (reportedBackups.add(path)) {
            log.log(Level.WARNING, "{0}: cannot rotate its output through {1}: {2}", serviceName, path, problem);
        }
    }

    private void drop(ByteBuffer bytes, Exception e) {
        int lost = bytes.remaining();
        bytes.position(bytes.limit());
        droppedTotal += lost;
        if (e == null) { // pausing after a failure
            droppedInEpisode += lost;
            return;
        }
        retryAt = nanoTime.getAsLong() + RETRY_PAUSE_NANOS;
        String why = IoErrors.describe(e);
        if (droppedInEpisode < 0) {
            droppedInEpisode = 0;
            log.log(Level.WARNING, "{0}: cannot write its output to {1} ({2}); dropping output, without stopping"
                    + " the service, until writing works again", serviceName, file, why);
        } else if (!why.equals(episodeReason)) {
            // A new cause in the same episode (the disk was full; now the path is a link someone planted): the
            // operator must hear of it, or what they fixed looks like it did not help.
            log.log(Level.WARNING, "{0}: still cannot write its output to {1}, now because: {2}", serviceName, file,
                    why);
        }
        episodeReason = why;
        droppedInEpisode += lost;
        // Opened afresh on the next write: the problem may have been the file itself (deleted, replaced).
        closeChannel();
    }

    private void closeChannel() {
        FileChannel open = channel;
        channel = null;
        if (open != null) {
            try {
                open.close();
            } catch (IOException e) {
                // Closing after a failed write may fail again; nothing more is lost by ignoring it.
            }
        }
    }
}
