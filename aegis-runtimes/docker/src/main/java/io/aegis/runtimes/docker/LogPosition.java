package io.aegis.runtimes.docker;

import io.aegis.plugin.support.StateFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * How far the log of one container was delivered, so that a stream opened again (the container restarted, dockerd
 * restarted, aegis restarted) neither replays nor skips a line.
 *
 * <p>The Engine API can only be asked for the messages at or after a time ({@code since}), and several messages can
 * share one timestamp (the parts of a line longer than 16 KB always do). So for each stream (stdout, stderr) this
 * keeps the timestamp of its last delivered message and how many messages of that stream carried it; a replayed
 * message is one older than that, or one of the first that many at it. Each stream's timestamps never go back (one
 * reader in dockerd stamps them in turn); between the two streams they may be out of order by a little, so a stream
 * is opened a second before the latest of them, and the earlier messages are dropped here.
 *
 * <p>{@code floor} is where following began in the daemon's clock: at the first start without {@code
 * fromBeginning} the messages the container wrote before it are not delivered. It is 0 (from the container's first
 * message) for a container aegis had not followed yet: every line of a new container is new.
 *
 * <p>What is {@linkplain #commit committed} (lines delivered whole) is what is written to the state directory and
 * what a new connection starts from; a line half-read when a stream breaks is read again whole. Not thread-safe:
 * used by one reader thread, and by {@code close} after it ended.
 */
final class LogPosition {
    static final String FILE = "docker-log-position.properties";
    static final int STDOUT = 0;
    static final int STDERR = 1;
    private static final String[] STREAM = {"stdout", "stderr"};
    /** Every key {@link #write} writes; a file without one of them is not a whole one. */
    private static final String[] KEYS = {"container", "floor", "stdout.time", "stdout.count", "stderr.time",
        "stderr.count"};
    /** How far before the latest delivered message a stream is opened again: the skew between stdout and stderr. */
    static final long REPLAY_MARGIN_NANOS = 1_000_000_000L;

    private String containerId;
    private long floor;
    // live: what was delivered on this connection
    private final long[] time = {-1, -1};
    private final long[] count = new long[2];
    /** Messages at time[s] seen on this connection: the first count[s] of them are replays. */
    private final long[] seen = new long[2];
    // committed: up to the last whole line
    private final long[] committedTime = {-1, -1};
    private final long[] committedCount = new long[2];
    private boolean dirty;

    /** The container this position is in; null before the first. */
    String containerId() {
        return containerId;
    }

    /** Starts over in another container, delivering its messages from {@code floorNanos} on (0: all of them). */
    void reset(String id, long floorNanos) {
        containerId = id;
        floor = floorNanos;
        for (int s = 0; s < 2; s++) {
            time[s] = -1;
            count[s] = 0;
            seen[s] = 0;
            committedTime[s] = -1;
            committedCount[s] = 0;
        }
        dirty = true;
    }

    /** A new connection: back to the last whole line; the messages it replays are counted again. */
    void reconnected() {
        for (int s = 0; s < 2; s++) {
            time[s] = committedTime[s];
            count[s] = committedCount[s];
            seen[s] = 0;
        }
    }

    /**
     * The Engine API's {@code since} for a new connection ({@code seconds.nanoseconds}); null for the container's
     * whole log.
     */
    String since() {
        long latest = Math.max(committedTime[STDOUT], committedTime[STDERR]);
        long since = Math.max(floor, latest < 0 ? 0 : latest - REPLAY_MARGIN_NANOS);
        if (since <= 0) {
            return null;
        }
        return (since / 1_000_000_000L) + "." + String.format("%09d", since % 1_000_000_000L);
    }

    /**
     * Whether a message of {@code stream} stamped {@code nanos} is new (and counts it as delivered); false for one
     * delivered before. A message without a readable timestamp ({@code nanos < 0}) is always new.
     */
    boolean accept(int stream, long nanos) {
        if (nanos < 0) {
            return true;
        }
        if (nanos < floor || nanos < time[stream]) {
            return false;
        }
        if (nanos == time[stream]) {
            seen[stream]++;
            if (seen[stream] <= count[stream]) {
                return false;
            }
            count[stream] = seen[stream];
            return true;
        }
        time[stream] = nanos;
        count[stream] = 1;
        seen[stream] = 1;
        return true;
    }

    /** The messages of {@code stream} accepted so far ended a line: a new connection starts after them. */
    void commit(int stream) {
        if (committedTime[stream] != time[stream] || committedCount[stream] != count[stream]) {
            committedTime[stream] = time[stream];
            committedCount[stream] = count[stream];
            dirty = true;
        }
    }

    /** Whether something changed since the last {@link #write}. */
    boolean dirty() {
        return dirty;
    }

    /**
     * Reads the position kept in {@code directory}; empty when none is.
     *
     * @throws IOException also when the file lacks one of the keys {@link #write} always writes (cut short by a crash
     *     of the machine before the disk had it all, or edited): the caller then starts at the end, as when there is
     *     none, rather than trust half of it and replay the log from the start of a stream
     */
    static Optional<LogPosition> read(Path directory) throws IOException {
        Optional<Properties> read = StateFiles.readProperties(directory, FILE);
        if (read.isEmpty()) {
            return Optional.empty();
        }
        Properties properties = read.get();
        for (String key : KEYS) {
            if (properties.getProperty(key) == null) {
                throw new IOException(directory.resolve(FILE) + " is cut short or damaged (it has no " + key + ")");
            }
        }
        LogPosition position = new LogPosition();
        try {
            position.containerId = properties.getProperty("container");
            position.floor = Long.parseLong(properties.getProperty("floor", "0"));
            for (int s = 0; s < 2; s++) {
                position.committedTime[s] = Long.parseLong(properties.getProperty(STREAM[s] + ".time", "-1"));
                position.committedCount[s] = Long.parseLong(properties.getProperty(STREAM[s] + ".count", "0"));
            }
        } catch (NumberFormatException e) {
            throw new IOException(directory.resolve(FILE) + " holds a number that is none (" + e.getMessage() + ")");
        }
        position.reconnected();
        return Optional.of(position);
    }

    /** Writes what is committed, atomically. */
    void write(Path directory) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("container", containerId);
        properties.setProperty("floor", Long.toString(floor));
        for (int s = 0; s < 2; s++) {
            properties.setProperty(STREAM[s] + ".time", Long.toString(committedTime[s]));
            properties.setProperty(STREAM[s] + ".count", Long.toString(committedCount[s]));
        }
        StateFiles.writeProperties(directory, FILE, properties, "how far aegis read the container's log; times are"
                + " epoch nanoseconds in the Docker engine's clock");
        dirty = false;
    }
}
