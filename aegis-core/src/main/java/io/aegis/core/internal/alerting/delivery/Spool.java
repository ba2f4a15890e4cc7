package io.aegis.core.internal.alerting.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.api.Notification;
import io.aegis.core.internal.alerting.AlertJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk queue of one notifier: an append-only journal of the notifications waiting for delivery and of
 * their acknowledgements, so that what was not delivered survives a crash or {@code kill -9} of aegis.
 *
 * <p>One line per record, {@code <crc32 in hex> <json>\n}: an {@code add} record ({@code {"seq":n,
 * "notification":{...}}}) is forced to disk before {@link #append} returns (alerts are rare, losing one is
 * worse); an {@code ack} record ({@code {"ack":n}}) is not forced, since losing one only repeats a delivery
 * (delivery is at least once). A record that a crash cut short, or that is damaged otherwise, fails its
 * checksum and is skipped with a warning when the journal is read: a damaged spool never stops aegis.
 *
 * <p>The journal is rewritten with only the records still waiting (compaction: written to a temporary file,
 * forced, then renamed over the journal, so a crash leaves one or the other whole) when it is opened and
 * whenever it is mostly acknowledgements. Not thread-safe: its {@link NotificationDelivery} lane serializes
 * calls.
 */
final class Spool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NotificationDelivery.class);
    /** Compact once at least this many records are acknowledgements or acknowledged ... */
    static final int COMPACT_AFTER = 64;
    /** ... and they are at least this many times the records still waiting. */
    private static final int COMPACT_RATIO = 2;
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private final Path file;
    private final String notifierName;
    private final Channels channels;
    /** The records waiting for delivery, by sequence number, each as the line it is written as. */
    private final Map<Long, byte[]> waiting = new LinkedHashMap<>();
    private FileChannel channel;
    private long nextSeq = 1;
    /** Records in the journal that compaction would leave out: acknowledgements and what they acknowledged. */
    private int deadRecords;
    private boolean failed;
    /** Whether the journal may end in part of a record (a failed write that could not be cut off). */
    private boolean partialTail;
    private boolean closed;

    private Spool(Path file, String notifierName, Channels channels) {
        this.file = file;
        this.notifierName = notifierName;
        this.channels = channels;
    }

    /**
     * Opens the journal {@code file} of notifier {@code notifierName} (creating it and its directory, owner-only,
     * when needed), reads what an earlier run left waiting, and compacts it. Never throws for a damaged or
     * unreadable journal: it logs what it skipped and starts with what it could read.
     */
    static Spool open(Path file, String notifierName) {
        return open(file, notifierName, FileChannel::open);
    }

    /** As {@link #open(Path, String)}, opening the journal for writing with {@code channels} (tests fail writes). */
    static Spool open(Path file, String notifierName, Channels channels) {
        Spool spool = new Spool(file, notifierName, channels);
        spool.load();
        return spool;
    }

    /** The notifications an earlier run left waiting, oldest first, with their sequence numbers. */
    List<Spooled> waiting() {
        List<Spooled> result = new ArrayList<>(waiting.size());
        for (Map.Entry<Long, byte[]> entry : waiting.entrySet()) {
            result.add(new Spooled(entry.getKey(), notificationOf(entry.getValue())));
        }
        return result;
    }

    /**
     * Writes {@code notification} to the journal and forces it to disk; returns its sequence number. When the
     * disk refuses, logs it (once until a write succeeds again) and returns a number all the same: the
     * notification is still delivered from memory, it only would not survive a crash.
     */
    long append(Notification notification) {
        long seq = nextSeq++;
        ObjectNode record = AlertJson.mapper().createObjectNode();
        record.put("seq", seq);
        record.set("notification", AlertJson.toJson(notification));
        byte[] line = line(record);
        waiting.put(seq, line);
        write(line, true);
        return seq;
    }

    /** Marks the record {@code seq} delivered (or given up); compacts the journal when it is mostly dead. */
    void ack(long seq) {
        if (closed || waiting.remove(seq) == null) {
            return;
        }
        ObjectNode record = AlertJson.mapper().createObjectNode();
        record.put("ack", seq);
        write(line(record), false);
        deadRecords += 2;
        if (deadRecords >= COMPACT_AFTER && deadRecords >= COMPACT_RATIO * waiting.size()) {
            compact();
        }
    }

    /** How many records wait for delivery. */
    int size() {
        return waiting.size();
    }

    /** Forces what was written to disk and closes the journal. */
    @Override
    public void close() {
        closed = true;
        if (channel == null) {
            return;
        }
        try {
            channel.force(false);
        } catch (IOException e) {
            log.warn("{}: could not force the spool {} to disk: {}", notifierName, file, e.toString());
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to do with it
        }
        channel = null;
    }

    private void load() {
        byte[] content;
        try {
            Files.createDirectories(file.getParent(), ownerOnly("rwx------"));
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            content = new byte[0];
        } catch (IOException e) {
            log.warn("{}: cannot read the notification spool {} ({}); notifications an earlier run left there are"
                    + " not delivered", notifierName, file, e.toString());
            content = new byte[0];
        }
        int start = 0;
        int skipped = 0;
        int lineNumber = 0;
        while (start < content.length) {
            int end = indexOf(content, (byte) '\n', start);
            lineNumber++;
            if (end < 0) {
                log.warn("{}: skipped the last record of the notification spool {}: it is incomplete (aegis stopped"
                        + " while writing it, e.g. killed); {} bytes", notifierName, file, content.length - start);
                break;
            }
            byte[] line = java.util.Arrays.copyOfRange(content, start, end + 1);
            start = end + 1;
            if (line.length == 1) {
                continue; // the line break that ended the part of a record a failed write left (see write)
            }
            JsonNode record = parse(line);
            if (record == null) {
                skipped++;
                log.warn("{}: skipped record {} of the notification spool {}: it is damaged", notifierName,
                        lineNumber, file);
                continue;
            }
            if (record.has("ack")) {
                waiting.remove(record.get("ack").asLong());
            } else if (record.has("seq")) {
                long seq = record.get("seq").asLong();
                try {
                    AlertJson.notification(record.get("notification"));
                    waiting.put(seq, line);
                } catch (IllegalArgumentException e) {
                    skipped++;
                    log.warn("{}: skipped record {} of the notification spool {}: {}", notifierName, lineNumber, file,
                            e.getMessage());
                }
                nextSeq = Math.max(nextSeq, seq + 1);
            }
        }
        if (!waiting.isEmpty()) {
            log.info("{}: {} notification(s) an earlier run could not deliver are delivered first, in order{}",
                    notifierName, waiting.size(), skipped > 0 ? " (" + skipped + " damaged record(s) skipped)" : "");
        }
        // Always rewrite: it drops what was acknowledged, and a damaged tail must not be appended to.
        compact();
        if (channel == null && content.length > 0 && content[content.length - 1] != '\n') {
            partialTail = true; // not rewritten: the next record must not be glued to the damaged tail
        }
    }

    private void compact() {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    ownerOnly("rw-------"))) {
                for (byte[] line : waiting.values()) {
                    writeFully(out, line);
                }
                out.force(false);
            }
            if (channel != null) {
                channel.close();
                channel = null;
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory(file.getParent());
            channel = channels.open(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                    LinkOption.NOFOLLOW_LINKS));
            deadRecords = 0;
            partialTail = false;
            failed = false;
        } catch (IOException e) {
            reportFailure("rewrite", e);
        }
    }

    private void write(byte[] line, boolean force) {
        if (closed) {
            return; // a delivery that ended after shutdown: the record stays, and is delivered again (at least once)
        }
        if (failed) {
            // A write failed since the last that succeeded: the records written meanwhile are in memory only.
            // Rewrite the whole backlog (this record included when it is one), not just this line.
            compact();
            if (!failed) {
                log.info("{}: the notification spool {} is writable again; the {} notification(s) waiting for"
                        + " delivery are on disk again", notifierName, file, waiting.size());
            }
            return;
        }
        long end = -1;
        try {
            if (channel == null) {
                channel = channels.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS), ownerOnly("rw-------"));
            }
            end = channel.size();
            if (partialTail) {
                // End the part of a record first: it is skipped as damaged at the next start, this one is not.
                byte[] separated = new byte[line.length + 1];
                separated[0] = '\n';
                System.arraycopy(line, 0, separated, 1, line.length);
                line = separated;
            }
            writeFully(channel, line);
            partialTail = false;
            if (force) {
                channel.force(false);
            }
        } catch (IOException e) {
            reportFailure("write to", e);
            cutOff(end);
        }
    }

    /**
     * After a failed write: cuts the journal back to {@code end}, its length before the write, so that no part
     * of the record stays there and the next record is not glued to it (the next start would skip both as one
     * damaged line). When that fails too, the next write starts with a line break instead.
     */
    private void cutOff(long end) {
        if (channel == null || end < 0) {
            return; // not opened, or its length unknown: nothing was written
        }
        try {
            channel.truncate(end);
        } catch (IOException e) {
            partialTail = true;
        }
    }

    private void reportFailure(String what, IOException e) {
        if (!failed) {
            failed = true;
            log.error("{}: cannot {} the notification spool {} ({}): notifications waiting for delivery are kept in"
                    + " memory only and are lost if aegis stops; check the disk and global.stateDir", notifierName,
                    what, file, e.toString());
        }
    }

    private static void writeFully(FileChannel channel, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static void forceDirectory(Path directory) {
        // Makes the rename itself durable; not every platform lets a directory be opened, and that is fine.
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }

    private static FileAttribute<?>[] ownerOnly(String permissions) {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString(permissions))} : new FileAttribute<?>[0];
    }

    /** {@code record} as a journal line: its CRC-32 in hex, a space, the JSON, a newline. */
    static byte[] line(JsonNode record) {
        byte[] json = record.toString().getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(json);
        return (String.format("%08x", crc.getValue()) + ' ' + new String(json, StandardCharsets.UTF_8) + '\n')
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The record of a journal line, or null when the line is damaged. */
    private static JsonNode parse(byte[] line) {
        if (line.length < 11 || line[8] != ' ') {
            return null;
        }
        try {
            long expected = HexFormat.fromHexDigitsToLong(new String(line, 0, 8, StandardCharsets.US_ASCII));
            CRC32 crc = new CRC32();
            crc.update(line, 9, line.length - 10);
            if (crc.getValue() != expected) {
                return null;
            }
            return AlertJson.mapper().readTree(line, 9, line.length - 10);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Notification notificationOf(byte[] line) {
        return AlertJson.notification(parse(line).get("notification"));
    }

    private static int indexOf(byte[] bytes, byte value, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }

    /** Opens the journal for writing: {@link FileChannel#open(Path, Set, FileAttribute[])}, or a test's stand-in. */
    @FunctionalInterface
    interface Channels {
        FileChannel open(Path file, Set<? extends java.nio.file.OpenOption> options, FileAttribute<?>... attributes)
                throws IOException;
    }

    /** A notification read back from the journal, with its sequence number there. */
    record Spooled(long seq, Notification notification) {
    }
}
