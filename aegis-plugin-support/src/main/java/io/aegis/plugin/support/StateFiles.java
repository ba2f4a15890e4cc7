package io.aegis.plugin.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Properties;

/**
 * Small records a runtime keeps in its service's state directory ({@link io.aegis.api.RuntimeSpec#stateDirectory()})
 * so that the next run of aegis finds them: what it started, the version last seen healthy. Written so that a reader
 * (or a crash) never sees half a file, owner-only, and never through a link someone planted.
 */
public final class StateFiles {

    private StateFiles() {
    }

    /**
     * Writes {@code properties} to {@code directory/fileName} atomically, replacing any earlier file: a temporary
     * file (owner-only on POSIX) moved over the old one.
     *
     * @param directory the directory, which exists
     * @param fileName the file's name inside it
     * @param properties what to write
     * @param comment the first line of the file, saying who wrote it
     * @throws IOException when the directory cannot be written
     */
    public static void writeProperties(Path directory, String fileName, Properties properties, String comment)
            throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        properties.store(bytes, comment);
        write(directory, fileName, bytes.toByteArray());
    }

    /**
     * Writes {@code content} to {@code directory/fileName} atomically, replacing any earlier file: a temporary file
     * (owner-only on POSIX, never through a link), forced to disk, moved over the old one, so a reader, a crash or a
     * power cut sees the old file or the new one, never half of one.
     *
     * @param directory the directory, which exists
     * @param fileName the file's name inside it
     * @param content the whole content of the file
     * @throws IOException when the directory cannot be written
     */
    public static void write(Path directory, String fileName, byte[] content) throws IOException {
        write(directory, fileName, content, true);
    }

    /**
     * As {@link #write(Path, String, byte[])}; without {@code force}, the content is not forced to disk before the
     * rename: a reader or a crash of the process still sees a whole file, but a power cut may leave an empty or
     * partial one. For files written often from a thread that must not wait on the disk, whose reader can tell a
     * partial file (an end marker) and loses nothing it cannot do without.
     *
     * @param directory the directory, which exists
     * @param fileName the file's name inside it
     * @param content the whole content of the file
     * @param force whether to force the content to disk before the rename
     * @throws IOException when the directory cannot be written
     */
    public static void write(Path directory, String fileName, byte[] content, boolean force) throws IOException {
        Path temporary = directory.resolve(fileName + ".tmp");
        Files.deleteIfExists(temporary);
        try {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            // Not POSIX (Windows): the state directory's own permissions protect the file.
            Files.createFile(temporary);
        }
        try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
            // On the disk before the rename: after a power loss the rename may have reached it and the data not,
            // leaving an empty or partial file in place of the old whole one.
            if (force) {
                out.force(false);
            }
        }
        try {
            Files.move(temporary, directory.resolve(fileName), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, directory.resolve(fileName), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Reads {@code directory/fileName} as properties, not following a link; empty when there is no such file.
     *
     * @param directory the directory, which exists
     * @param fileName the file's name inside it
     * @return the properties; empty when there is no such file
     * @throws IOException when it cannot be read or is no properties file (a malformed {@code \\u} escape)
     */
    public static Optional<Properties> readProperties(Path directory, String fileName) throws IOException {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(directory.resolve(fileName), LinkOption.NOFOLLOW_LINKS)) {
            properties.load(new InputStreamReader(in, StandardCharsets.ISO_8859_1));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            throw new IOException("it is not a properties file (" + e.getMessage() + ")", e);
        }
        return Optional.of(properties);
    }
}
