package io.aegis.core.internal.logs;

import io.aegis.api.LogSink;
import io.aegis.api.LogSourceSpec;
import io.aegis.plugin.support.StateFiles;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every followed file of one engine on a single thread ({@code aegis-logs}), the way {@code tail -F} does: the
 * byte offset of each file is remembered and only new data is read; lines are handed over from one reused buffer, so
 * reading allocates nothing per line.
 *
 * <p>At most {@link #DEFAULT_MAX_OPEN_FILES} files are open at once, over all follows: beyond that the files idle the
 * longest are closed (their position, line count and held line kept) and opened again by path when a scan or an event
 * finds them changed; files renamed away and still drained stay open.
 *
 * <p>Files are told apart by their file key (device and inode), not by their name: a file renamed away (rotation) is
 * read to its end before the new file at its path is read, and is read once more at the next scans for what its
 * writer still put there before reopening, until a scan finds nothing new; a file that shrinks was truncated in place
 * (copy-truncate) and is read again from its start; a file deleted and created again, or one that did not exist yet,
 * is read from its start when it appears. A final line without its newline is held until the newline comes; a line
 * longer than the spec's {@code maxLineLength} is cut to it and the rest skipped.
 *
 * <p>The reading thread wakes for {@link WatchService} events on the files' directories where the file system sends
 * them (a second thread, {@code aegis-logs-watch}, takes them and reads no file), when a source starts, every {@code
 * scanInterval} (each source's own) in any case, and to save positions. Positions are saved (200 ms after the last save
 * while they change, later for a follow of many files, and when a source closes) in the
 * source's state directory, by an atomic rename, with a fingerprint of the file's first bytes so that an inode
 * reused by another file is not mistaken for the old one.
 */
public final class FileTailer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FileTailer.class);
    static final int READ_SIZE = 256 * 1024;
    /** Read at most this much of one file per scan, so that one busy file cannot starve the others. */
    private static final long BUDGET_PER_FILE = 16L << 20;
    private static final long MAX_SLEEP_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * Positions are saved this long at least after the last save while lines come (so a {@code kill -9} reads again at
     * most about this much), and at most a second: 20 times what the last save took, so saving a follow of many files
     * costs at most about 5 % of the reading thread (one file: under a millisecond, measured).
     */
    private static final long STATE_WRITE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long STATE_WRITE_INTERVAL_MAX_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** A file renamed away is kept open at least this long for its writer's last lines. */
    private static final long RETIRE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final String STATE_FILE = "positions";
    /** The last line of a whole positions file: one without it was cut short. */
    static final String STATE_END = "# end";
    private static final int FINGERPRINT_BYTES = 1024;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
    /**
     * At most this many followed files are kept open at once by default, or a quarter of the process' descriptor
     * limit when that is lower (a quarter of 1024, the most common small limit, e.g. systemd's soft {@code LimitNOFILE}), so that
     * health checks, sockets and child processes always keep three quarters of the descriptors whatever a glob
     * matches. The other files are closed while idle and opened again by path (checked by file key and fingerprint)
     * when they change.
     */
    static final int DEFAULT_MAX_OPEN_FILES = 256;
    /** "Too many open files" and the like are reported at most once per this interval per source. */
    private static final long OPEN_PROBLEM_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Set<Follow> follows = ConcurrentHashMap.newKeySet();
    private final Map<WatchKey, Path> watchedKeys = new ConcurrentHashMap<>();
    private final Map<Path, WatchKey> watchedDirectories = new ConcurrentHashMap<>();
    /** Only the reading thread uses it. */
    private final byte[] buffer = new byte[READ_SIZE];
    private final ByteBuffer byteBuffer = ByteBuffer.wrap(buffer);
    private volatile boolean closed;
    /** The reading thread. Guarded by this. */
    private Thread thread;
    /** Takes watch events for the reading thread. Guarded by this. */
    private Thread watcher;
    /** Null where the file system offers none; then the thread polls. Set once, before the thread starts. */
    private volatile WatchService watch;

    /** The most files kept open at once, over all follows. */
    private final int maxOpenFiles;
    /** Files open now, over all follows. */
    private final java.util.concurrent.atomic.AtomicInteger openFiles = new java.util.concurrent.atomic.AtomicInteger();

    /** Creates a tailer; its thread starts with the first follow. */
    public FileTailer() {
        this(defaultMaxOpenFiles());
    }

    /** A tailer keeping at most {@code maxOpenFiles} files open at once (tests use a small number). */
    FileTailer(int maxOpenFiles) {
        if (maxOpenFiles < 1) {
            throw new IllegalArgumentException("maxOpenFiles must be at least 1, found " + maxOpenFiles);
        }
        this.maxOpenFiles = maxOpenFiles;
    }

    /**
     * {@link #DEFAULT_MAX_OPEN_FILES}, or a quarter of the soft descriptor limit (at least 16) when that is lower;
     * read from {@code /proc/self/limits} (cheaper at startup than the management beans), the default elsewhere.
     */
    private static int defaultMaxOpenFiles() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                    long soft = Long.parseLong(fields[0]);
                    return (int) Math.max(16, Math.min(DEFAULT_MAX_OPEN_FILES, soft / 4));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or "unlimited": the default
        }
        return DEFAULT_MAX_OPEN_FILES;
    }

    /** Whether {@code directory}'s events are watched now (for tests). */
    boolean watching(Path directory) {
        return watchedDirectories.containsKey(directory);
    }

    /** How many followed files are open now (for tests). */
    int openFileCount() {
        return openFiles.get();
    }

    /**
     * Starts following the files of {@code selectors} for {@code sink}: positions are taken now (the end of each file,
     * its beginning with {@code fromBeginning}, or where the last run stopped), so a line written after this returns
     * is delivered; the reading happens on the tailer's thread.
     */
    Follow follow(List<FileSelector> selectors, LogSourceSpec spec, LogSink sink) {
        Follow follow = new Follow(selectors, spec, sink);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the log tailer is closed");
            }
            startThread();
        }
        follow.begin();
        synchronized (this) {
            if (closed) {
                follow.close();
                throw new IllegalStateException("the log tailer is closed");
            }
            follows.add(follow);
        }
        LockSupport.unpark(threadOrNull());
        return follow;
    }

    synchronized boolean threadAlive() {
        return thread != null && thread.isAlive() || watcher != null && watcher.isAlive();
    }

    private synchronized Thread threadOrNull() {
        return thread;
    }

    private void startThread() {
        if (thread != null) {
            return;
        }
        try {
            watch = FileSystems.getDefault().newWatchService();
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("No file watching here ({}); log files are polled every scan interval", e.toString());
        }
        thread = new Thread(this::run, "aegis-logs");
        thread.setDaemon(true);
        thread.start();
        WatchService service = watch;
        if (service != null) {
            Thread reader = thread;
            watcher = new Thread(() -> watch(service, reader), "aegis-logs-watch");
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    /** Stops the thread and closes every follow (their positions saved). */
    @Override
    public void close() {
        Thread running;
        Thread watching;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = thread;
            watching = watcher;
        }
        WatchService service = watch;
        if (service != null) {
            try {
                service.close(); // wakes the watcher out of take()
            } catch (IOException e) {
                log.debug("Closing the log watch service failed", e);
            }
        }
        if (running != null && running != Thread.currentThread()) {
            LockSupport.unpark(running);
            try {
                running.join(TimeUnit.SECONDS.toMillis(10));
                if (watching != null) {
                    watching.join(TimeUnit.SECONDS.toMillis(10));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Follow follow : follows) {
            follow.close();
        }
    }

    private void run() {
        try {
            while (!closed) {
                long now = System.nanoTime();
                long wait = MAX_SLEEP_NANOS;
                for (Follow follow : follows) {
                    wait = Math.min(wait, follow.dirty ? 0 : follow.nextScan - now);
                    // wake to save them; never for a source that keeps no positions (an engine without a state
                    // directory): they stay "changed" for good, and this thread spun at 100% of a core
                    if (follow.positionsChanged && follow.spec.stateDirectory().isPresent()) {
                        wait = Math.min(wait, follow.lastSave + follow.saveInterval - now);
                    }
                }
                awaitEvents(Math.max(0, wait));
                now = System.nanoTime();
                for (Follow follow : follows) {
                    if (closed) {
                        return;
                    }
                    try {
                        if (follow.dirty || now - follow.nextScan >= 0) {
                            follow.scan(now);
                        }
                        follow.saveIfDue(System.nanoTime());
                    } catch (RuntimeException e) {
                        // A defect met by one source's files must not end the thread that reads every source's:
                        // that source is looked at again at its next scan.
                        follow.failed(e);
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            log.error("The log reading thread failed; no log is read any more", e);
            throw e;
        }
    }

    /** Waits up to {@code nanos}, or until the watcher or a new follow unparks the thread. */
    private void awaitEvents(long nanos) {
        if (nanos > 0) {
            LockSupport.parkNanos(this, nanos);
        }
    }

    /**
     * The watcher thread: takes the watch service's keys and wakes the reading thread. (The reading thread does not
     * wait in the watch service itself, so that a new source can wake it too; it never reads a file.)
     */
    private void watch(WatchService service, Thread reader) {
        try {
            while (!closed) {
                WatchKey key = service.take();
                signalled(key);
                LockSupport.unpark(reader);
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // closing
        }
    }

    private void signalled(WatchKey key) {
        Path directory = watchedKeys.get(key);
        boolean created = false;
        boolean changed = false;
        for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                directory = null;
                created = true;
                break;
            }
            if (event.kind() == StandardWatchEventKinds.ENTRY_MODIFY) {
                changed = true;
            } else {
                created = true;
            }
        }
        if (!key.reset() && directory != null) {
            watchedKeys.remove(key);
            watchedDirectories.remove(directory, key);
            created = true; // the directory is gone: its parent is watched for its return at the next scan, now
        }
        for (Follow follow : follows) {
            if (directory == null || follow.directories.contains(directory)) {
                if (created) {
                    follow.listAgain = true;
                }
                if (created || changed) {
                    follow.dirty = true;
                }
            }
        }
    }

    /** Watches {@code directory}; false only when it does not exist (then its parent is worth watching). */
    private boolean watchDirectory(Path directory) {
        WatchService service = watch;
        if (service == null || watchedDirectories.containsKey(directory)) {
            return true;
        }
        try {
            WatchKey key = directory.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
            watchedKeys.put(key, directory);
            watchedDirectories.put(directory, key);
        } catch (NoSuchFileException | NotDirectoryException e) {
            return false; // not there yet
        } catch (IOException | UnsupportedOperationException | ClosedWatchServiceException e) {
            log.debug("Cannot watch {} ({}); it is polled", directory, e.toString());
        }
        return true;
    }

    private void unwatchUnused(Set<Path> directories) {
        for (Path directory : directories) {
            boolean used = false;
            for (Follow follow : follows) {
                used |= follow.directories.contains(directory);
            }
            WatchKey key = used ? null : watchedDirectories.remove(directory);
            if (key != null) {
                watchedKeys.remove(key);
                try {
                    key.cancel();
                } catch (RuntimeException e) {
                    // the watch service is closed already
                }
            }
        }
    }

    /**
     * Closes the live files idle the longest (a quarter of the limit at once, so that opening many files does not
     * look for the oldest at every open), of every follow whose lock is free; files renamed away and being drained
     * stay open. False when none could be closed. On the reading thread, holding {@code requester}'s lock.
     */
    private boolean makeRoom(Follow requester) {
        List<TrackedFile> open = new ArrayList<>();
        List<Follow> locked = new ArrayList<>();
        try {
            for (Follow follow : follows.contains(requester) ? follows : concat(follows, requester)) {
                if (!follow.lock.tryLock()) {
                    continue;
                }
                locked.add(follow);
                if (!follow.closed) {
                    for (TrackedFile file : follow.live.values()) {
                        if (file.channel != null) {
                            open.add(file);
                        }
                    }
                }
            }
            if (open.isEmpty()) {
                return false;
            }
            open.sort(java.util.Comparator.comparingLong((TrackedFile file) -> file.lastUsed));
            int count = Math.min(open.size(), Math.max(1, maxOpenFiles / 4));
            for (int i = 0; i < count; i++) {
                open.get(i).closeChannel();
            }
            return true;
        } finally {
            for (Follow follow : locked) {
                follow.lock.unlock();
            }
        }
    }

    private static List<Follow> concat(Set<Follow> follows, Follow more) {
        List<Follow> all = new ArrayList<>(follows);
        all.add(more);
        return all;
    }

    /** Where the first newline at or after {@code from} is in {@code bytes[from, end)}, or -1; 8 bytes at a time. */
    static int indexOfNewline(byte[] bytes, int from, int end) {
        int i = from;
        for (; i + 8 <= end; i += 8) {
            long word = (long) LONGS.get(bytes, i) ^ NEWLINES;
            long found = (word - ONES) & ~word & HIGHS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < end; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** A file found at a scan. */
    private record Found(Path path, String key, long size) {
    }

    /** A remembered position, from the state file. */
    private record Saved(String key, long position, long lineNumber, boolean skipping, int fingerprintLength,
            long fingerprint, Path path) {
    }

    /** One source's files; closing it stops their reading. */
    final class Follow implements AutoCloseable {
        private final List<FileSelector> selectors;
        private final LogSourceSpec spec;
        private final LogSink sink;
        private final ReentrantLock lock = new ReentrantLock();
        private final long scanIntervalNanos;
        /** Directories whose events concern this follow; read by the thread, changed under the lock. */
        final Set<Path> directories = ConcurrentHashMap.newKeySet();
        /** Files read now, by file key. Guarded by lock. */
        private final Map<String, TrackedFile> live = new LinkedHashMap<>();
        /** Files renamed away or deleted, still read for their writer's last lines. Guarded by lock. */
        private final List<TrackedFile> retired = new ArrayList<>();
        /** The files globs matched at the last listing. Guarded by lock. */
        private List<Path> globMatches = List.of();
        volatile boolean dirty;
        volatile boolean listAgain = true;
        volatile long nextScan;
        private boolean closed;
        private boolean positionsChanged;
        private long lastSave;
        /** How long after {@link #lastSave} the next save comes, when positions changed; see STATE_WRITE_INTERVAL. */
        private long saveInterval = STATE_WRITE_INTERVAL_NANOS;
        private String lastProblem;
        private boolean failureLogged;
        private long lastOpenProblem;
        /** When the positions read at the start were saved; null without any. */
        private java.nio.file.attribute.FileTime savedAt;
        private long openFailures;

        Follow(List<FileSelector> selectors, LogSourceSpec spec, LogSink sink) {
            this.selectors = List.copyOf(selectors);
            this.spec = spec;
            this.sink = sink;
            this.scanIntervalNanos = spec.scanInterval().toNanos();
        }

        /** Takes the starting positions, on the caller's thread. */
        void begin() {
            lock.lock();
            try {
                Map<String, Saved> saved = loadPositions();
                List<Found> found = find(true);
                Set<String> foundKeys = new java.util.HashSet<>();
                for (Found file : found) {
                    foundKeys.add(file.key());
                }
                // A file read last time and renamed away while aegis was down (rotated): finish it first.
                for (Saved position : saved.values()) {
                    if (!position.key().isEmpty() && !foundKeys.contains(position.key())) {
                        Found sibling = sibling(position);
                        if (sibling != null) {
                            TrackedFile file = open(sibling, position);
                            file.retiredAt = System.nanoTime();
                            retired.add(file);
                        }
                    }
                }
                for (Found file : found) {
                    Saved position = saved.get(file.key());
                    TrackedFile tracked;
                    if (position != null) {
                        // its fingerprint is checked when it is opened: another file on a reused inode starts at 0
                        tracked = open(file, position);
                    } else if (!saved.isEmpty() || spec.fromBeginning()) {
                        tracked = open(file, 0); // written while aegis was down, or asked for
                    } else {
                        tracked = openAtEnd(file);
                    }
                    live.put(file.key(), tracked);
                }
                reportUnread(saved);
                positionsChanged = true;
                nextScan = System.nanoTime() + scanIntervalNanos;
                listAgain = false;
                dirty = true; // read what fromBeginning or the last run left at once
            } finally {
                lock.unlock();
            }
        }

        /**
         * Says, in one INFO line, which files next to a followed file (named like it: {@code app.log.1},
         * {@code app.1.log}; for a glob, the files of its directory it does not match; not compressed ones) were
         * written after the positions were last saved and are not read: files created and rotated away while aegis
         * was down (a {@code kill -9} in the middle of a burst of rotations leaves them). Aegis reads on in the file it read last (wherever it was renamed in its
         * directory) and the file at the path now, but does not guess which other files are the followed file's
         * former selves: a copy made by copytruncate or by an administrator looks the same and would be read twice.
         */
        private void reportUnread(Map<String, Saved> saved) {
            if (savedAt == null) {
                return;
            }
            Set<String> known = new java.util.HashSet<>(saved.keySet());
            known.addAll(live.keySet());
            for (TrackedFile file : retired) {
                known.add(file.key);
            }
            java.util.SortedSet<String> unread = new java.util.TreeSet<>();
            for (FileSelector selector : selectors) {
                // Where a rotated file of this selector would be, and whether a name is one: a name that begins like
                // a file it followed (app.log.1, app.1.log, app-2026-12-02.log for app.log; not app-worker.log), and
                // for a glob (one level deep) one it does not match any more (app.2.log.old for *.log; its own
                // files are read anyway). Not any file of the directory: /var/log/*.log must not name syslog.
                Path directory;
                java.util.function.Predicate<Path> rotatedName;
                Set<String> followedNames = new java.util.HashSet<>();
                if (selector.glob().isPresent()) {
                    if (selector.depth() != 1) {
                        continue;
                    }
                    directory = selector.path();
                    for (Saved position : saved.values()) {
                        if (directory.equals(position.path().getParent())) {
                            followedNames.add(position.path().getFileName().toString());
                        }
                    }
                    PathMatcher glob = selector.glob().get();
                    rotatedName = path -> !glob.matches(path) && rotatedFrom(path, followedNames);
                } else {
                    directory = selector.path().getParent();
                    followedNames.add(selector.path().getFileName().toString());
                    rotatedName = path -> rotatedFrom(path, followedNames);
                }
                if (directory == null) {
                    continue;
                }
                try (Stream<Path> paths = Files.list(directory)) {
                    for (Iterator<Path> it = paths.iterator(); it.hasNext(); ) {
                        Path path = it.next();
                        String name = path.getFileName().toString();
                        if (!rotatedName.test(path) || name.matches(".*\\.(gz|bz2|xz|zst|lz4|zip|Z)$")) {
                            continue;
                        }
                        try {
                            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                            if (attributes.isRegularFile() && attributes.lastModifiedTime().compareTo(savedAt) > 0
                                    && !known.contains(keyOf(path, attributes))) {
                                unread.add(name);
                            }
                        } catch (IOException e) {
                            // gone meanwhile
                        }
                    }
                } catch (IOException | java.io.UncheckedIOException e) {
                    // not listable: nothing to say about it
                }
            }
            if (!unread.isEmpty()) {
                log.info("{}: {} written while aegis was down {} not read: {} next to {} (aegis reads on only in the"
                        + " file it read last and the file at the path now; lines in files rotated away meanwhile"
                        + " are not read)", spec.serviceName(), unread.size() == 1 ? "a file" : unread.size() + " files",
                        unread.size() == 1 ? "is" : "are", String.join(", ", unread), selectors);
            }
        }

        /** Whether {@code path}'s name looks like one a rotation gives a file called one of {@code followedNames}. */
        private static boolean rotatedFrom(Path path, Set<String> followedNames) {
            String name = path.getFileName().toString();
            for (String followed : followedNames) {
                int dot = followed.indexOf('.');
                String stem = dot > 0 ? followed.substring(0, dot) : followed;
                if (name.equals(followed) || !name.startsWith(stem) || name.length() == stem.length()) {
                    continue;
                }
                char next = name.charAt(stem.length());
                if (next == '.' || ((next == '-' || next == '_') && name.length() > stem.length() + 1
                        && Character.isDigit(name.charAt(stem.length() + 1)))) {
                    return true;
                }
            }
            return false;
        }

        /** Reads what is new; on the tailer's thread. */
        void scan(long now) {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                boolean due = now - nextScan >= 0;
                boolean list = due || listAgain;
                dirty = false;
                listAgain = false;
                if (due) {
                    nextScan = now + scanIntervalNanos;
                }
                List<Found> found = find(list);
                Map<String, Found> byKey = new LinkedHashMap<>();
                for (Found file : found) {
                    byKey.putIfAbsent(file.key(), file);
                }
                // Files gone from where they were selected: read to their end before anything new at their path.
                Map<Path, Map<String, Path>> listed = new java.util.HashMap<>();
                for (Iterator<TrackedFile> it = live.values().iterator(); it.hasNext(); ) {
                    TrackedFile file = it.next();
                    if (!byKey.containsKey(file.key)) {
                        if (file.channel == null) {
                            // closed while idle: found again by its key in its directory, if it was renamed there
                            Path moved = renamedWithin(file, listed);
                            if (moved != null) {
                                file.renamed(moved);
                            }
                        }
                        read(file);
                        file.retiredAt = now;
                        retired.add(file);
                        it.remove();
                    }
                }
                // Files renamed away earlier: their writer's last lines come before anything of a newer file.
                List<TrackedFile> quiet = new ArrayList<>();
                for (TrackedFile file : retired) {
                    if (read(file) == 0 && now - file.retiredAt >= RETIRE_GRACE_NANOS) {
                        quiet.add(file);
                    }
                }
                // Files still there (perhaps renamed within the selection) before new ones.
                for (TrackedFile file : live.values()) {
                    Found now1 = byKey.get(file.key);
                    if (!now1.path().equals(file.path)) {
                        file.renamed(now1.path());
                    }
                    if (file.channel == null && now1.size() == file.position) {
                        continue; // closed while idle and still idle: it stays closed
                    }
                    read(file);
                }
                for (Found file : found) {
                    if (live.containsKey(file.key())) {
                        continue;
                    }
                    TrackedFile back = retiredWithKey(file.key());
                    if (back != null) {
                        // a retired file selected again (renamed back): it is live again
                        retired.remove(back);
                        quiet.remove(back);
                        back.renamed(file.path());
                        live.put(file.key(), back);
                        read(back);
                    } else {
                        TrackedFile tracked = open(file, 0); // appeared after the start: all of it is new
                        live.put(file.key(), tracked);
                        read(tracked);
                    }
                }
                if (!closed) {
                    for (TrackedFile file : quiet) {
                        file.finish();
                        retired.remove(file);
                        positionsChanged = true;
                    }
                }
                if (!retired.isEmpty() && !dirty) {
                    // come back for the writer's last lines even if no event comes
                    nextScan = Math.min(nextScan - now, RETIRE_GRACE_NANOS) + now;
                }
            } finally {
                lock.unlock();
            }
        }

        /** Where a closed file that left its path is now in the same directory (by key), or null. */
        private Path renamedWithin(TrackedFile file, Map<Path, Map<String, Path>> listed) {
            Path directory = file.path.getParent();
            if (directory == null) {
                return null;
            }
            Map<String, Path> keys = listed.computeIfAbsent(directory, d -> {
                Map<String, Path> byKey = new java.util.HashMap<>();
                try (Stream<Path> paths = Files.list(d)) {
                    paths.forEach(path -> {
                        try {
                            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                            if (attributes.isRegularFile()) {
                                byKey.put(keyOf(path, attributes), path);
                            }
                        } catch (IOException e) {
                            // gone meanwhile
                        }
                    });
                } catch (IOException | java.io.UncheckedIOException e) {
                    // not listable: the file is finished as it is
                }
                return byKey;
            });
            return keys.get(file.key);
        }

        private TrackedFile retiredWithKey(String key) {
            for (TrackedFile file : retired) {
                if (file.key.equals(key)) {
                    return file;
                }
            }
            return null;
        }

        /**
         * Watches {@code directory}, or, while it does not exist, its nearest existing ancestor, so that its creation
         * (or re-creation after a delete) wakes the follow at once: the directory is then watched and the files
         * already written in it are read, instead of waiting for the next scan.
         */
        private void watchOrWaitFor(Path directory) {
            Path missing = directory;
            while (!watchDirectory(missing)) {
                Path parent = missing.getParent();
                if (parent == null) {
                    return;
                }
                directories.add(parent);
                missing = parent;
            }
        }

        /** The files selected now; globs are listed again only when {@code list}. */
        private List<Found> find(boolean list) {
            Set<Path> paths = new java.util.LinkedHashSet<>();
            List<Path> matches = new ArrayList<>();
            for (FileSelector selector : selectors) {
                if (selector.glob().isEmpty()) {
                    Path parent = selector.path().getParent();
                    if (parent != null) {
                        directories.add(parent);
                        watchOrWaitFor(parent);
                    }
                    paths.add(selector.path());
                } else if (list) {
                    directories.add(selector.path());
                    watchOrWaitFor(selector.path());
                    try (Stream<Path> listed = Files.find(selector.path(), selector.depth(),
                            (path, attributes) -> selector.glob().get().matches(path))) {
                        listed.sorted().forEach(path -> {
                            matches.add(path);
                            Path parent = path.getParent();
                            if (parent != null && directories.add(parent)) {
                                watchDirectory(parent);
                            }
                        });
                    } catch (NoSuchFileException | NotDirectoryException e) {
                        // the directory does not exist yet
                    } catch (IOException | java.io.UncheckedIOException e) {
                        problem("cannot list " + selector.path() + " for the log files " + selector + " of "
                                + spec.serviceName() + " (" + describe(e) + "); aegis tries again at each scan");
                    }
                }
            }
            if (list) {
                globMatches = List.copyOf(matches);
            }
            paths.addAll(globMatches);
            List<Found> found = new ArrayList<>(paths.size());
            for (Path path : paths) {
                stat(path, found);
            }
            return found;
        }

        private void stat(Path path, List<Found> found) {
            try {
                BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                if (attributes.isRegularFile()) {
                    found.add(new Found(path, keyOf(path, attributes), attributes.size()));
                }
            } catch (NoSuchFileException e) {
                // not there (yet, or any more)
            } catch (IOException e) {
                problem("cannot read the log file " + path + " of " + spec.serviceName() + " (" + describe(e)
                        + "); aegis tries again at each scan");
            }
        }

        /** The file a saved position was for, renamed within its directory while aegis was down. */
        private Found sibling(Saved position) {
            Path directory = position.path().getParent();
            if (directory == null) {
                return null;
            }
            try (Stream<Path> paths = Files.list(directory)) {
                for (Iterator<Path> it = paths.iterator(); it.hasNext(); ) {
                    Path path = it.next();
                    try {
                        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                        if (attributes.isRegularFile() && keyOf(path, attributes).equals(position.key())
                                && matchesFingerprint(path, position)) {
                            return new Found(path, position.key(), attributes.size());
                        }
                    } catch (IOException e) {
                        // gone meanwhile
                    }
                }
            } catch (IOException | java.io.UncheckedIOException e) {
                return null;
            }
            return null;
        }

        private TrackedFile open(Found found, Saved position) {
            TrackedFile file = open(found, found.size() < position.position() ? 0 : position.position());
            if (found.size() >= position.position()) {
                file.lineNumber = position.lineNumber();
                file.skipping = position.skipping();
                file.fingerprintLength = position.fingerprintLength();
                file.fingerprint = position.fingerprint();
            }
            return file;
        }

        private TrackedFile openAtEnd(Found found) {
            TrackedFile file = open(found, found.size());
            // A line begun before the start is not a new line: its rest is skipped (looked at when it is opened).
            file.probeLastByte = found.size() > 0;
            return file;
        }

        /**
         * Tracks a file from {@code position}; it is opened when there is something to read. Its position is kept
         * whether or not it can be opened now, so a file that cannot be opened (no descriptor left) is read on from
         * there later, never again from its start.
         */
        private TrackedFile open(Found found, long position) {
            return new TrackedFile(this, found.path(), found.key(), position);
        }

        /**
         * Opens {@code file} by its path if it is closed, making room under the tailer's limit by closing the files
         * idle the longest; false when it cannot be opened now (tried again at the next scan or event). The file at
         * the path must be the same (file key), and its first bytes must be those remembered, or it is another file
         * on a reused inode (or one truncated and written again while closed) and is read from its start.
         */
        private boolean ensureOpen(TrackedFile file) {
            if (file.channel != null) {
                return true;
            }
            if (openFiles.get() >= maxOpenFiles && !makeRoom(this)) {
                openProblem(file.path, "aegis keeps at most " + maxOpenFiles + " log files open and every open one"
                        + " is being read");
                return false;
            }
            FileChannel channel;
            try {
                channel = FileChannel.open(file.path, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                return false;
            } catch (IOException e) {
                openProblem(file.path, describe(e));
                return false;
            }
            openFiles.incrementAndGet();
            file.channel = channel;
            file.lastUsed = System.nanoTime();
            lastProblem = null;
            try {
                BasicFileAttributes attributes = Files.readAttributes(file.path, BasicFileAttributes.class);
                if (!keyOf(file.path, attributes).equals(file.key)) {
                    file.closeChannel(); // another file is at the path now: the next scan sorts it out
                    return false;
                }
                if (file.fingerprintLength > 0 && fingerprint(channel, file.fingerprintLength) != file.fingerprint) {
                    file.truncated();
                    positionsChanged = true;
                }
                if (file.probeLastByte) {
                    file.probeLastByte = false;
                    ByteBuffer last = ByteBuffer.allocate(1);
                    if (file.position > 0 && channel.read(last, file.position - 1) == 1 && last.get(0) != '\n') {
                        file.skipping = true;
                    }
                }
            } catch (IOException e) {
                // read as it is; a failing read reports it
            }
            return true;
        }

        /** Reports a file that cannot be opened: one sentence a minute at most, however many files fail. */
        private void openProblem(Path path, String reason) {
            long now = System.nanoTime();
            openFailures++;
            if (lastOpenProblem != 0 && now - lastOpenProblem < OPEN_PROBLEM_INTERVAL_NANOS) {
                return;
            }
            long others = openFailures - 1;
            lastOpenProblem = now;
            openFailures = 0;
            String sentence = "cannot open the log file " + path + " of " + spec.serviceName() + " (" + reason + ")"
                    + (others > 0 ? " nor " + others + " other times since the last report" : "")
                    + "; aegis reads on from where it stopped once it can open it, and says this at most once a minute";
            try {
                sink.problem(sentence);
            } catch (RuntimeException e) {
                log.warn("{}: {}", spec.serviceName(), sentence);
            }
        }

        /** Reads a file's new data, at most a budget's worth; the number of bytes read. */
        private long read(TrackedFile file) {
            long total = 0;
            if (!ensureOpen(file)) {
                return 0;
            }
            try {
                long size = file.channel.size();
                if (size < file.position) {
                    file.truncated();
                    positionsChanged = true;
                }
                while (!closed) {
                    byteBuffer.clear();
                    int count = file.channel.read(byteBuffer, file.position);
                    if (count <= 0) {
                        break;
                    }
                    file.position += count;
                    file.lastUsed = System.nanoTime();
                    total += count;
                    positionsChanged = true;
                    sink.bytesRead(count);
                    file.consume(buffer, count);
                    if (total >= BUDGET_PER_FILE) {
                        dirty = true; // the others get their turn; this one is read on at once
                        break;
                    }
                }
            } catch (IOException e) {
                problem("cannot read the log file " + file.path + " of " + spec.serviceName() + " (" + describe(e)
                        + "); aegis tries again at each scan");
            }
            return total;
        }

        void deliver(TrackedFile file, byte[] bytes, int offset, int length, boolean cut) {
            if (closed) {
                return;
            }
            try {
                sink.line(file.origin, ++file.lineNumber, bytes, offset, length, cut);
            } catch (RuntimeException e) {
                log.warn("{}: the log sink failed on a line of {}", spec.serviceName(), file.origin, e);
            }
        }

        /** Its scan threw (a defect): logged once with its stack trace, then at debug; scanned again later. */
        void failed(RuntimeException e) {
            dirty = false;
            nextScan = System.nanoTime() + scanIntervalNanos;
            if (!failureLogged) {
                failureLogged = true;
                log.error("{}: reading its log files failed; aegis tries again at each scan", spec.serviceName(), e);
            } else {
                log.debug("{}: reading its log files failed again", spec.serviceName(), e);
            }
        }

        private void problem(String sentence) {
            if (sentence.equals(lastProblem)) {
                return;
            }
            lastProblem = sentence;
            try {
                sink.problem(sentence);
            } catch (RuntimeException e) {
                log.warn("{}: {}", spec.serviceName(), sentence);
            }
        }

        void saveIfDue(long now) {
            if (!positionsChanged || now - lastSave < saveInterval || spec.stateDirectory().isEmpty()) {
                return;
            }
            lock.lock();
            try {
                if (!closed) {
                    save(now);
                }
            } finally {
                lock.unlock();
            }
        }

        /** Writes every file's position; under the lock. */
        private void save(long now) {
            if (spec.stateDirectory().isEmpty()) {
                return;
            }
            Path directory = spec.stateDirectory().get();
            StringBuilder text = new StringBuilder("# positions of ").append(spec.serviceName())
                    .append("'s log files, written by aegis: key, offset, line, skipping, fingerprint, path\n");
            List<TrackedFile> files = new ArrayList<>(retired);
            files.addAll(live.values());
            for (TrackedFile file : files) {
                file.updateFingerprint();
                text.append(file.key).append('\t').append(file.committed()).append('\t').append(file.lineNumber)
                        .append('\t').append(file.skipping ? 1 : 0).append('\t').append(file.fingerprintLength)
                        .append('\t').append(file.fingerprint).append('\t').append(file.path).append('\n');
            }
            text.append(STATE_END).append('\n');
            try {
                Files.createDirectories(directory);
                // not forced to disk: this thread reads every source's files and saves every ~0.2 s while lines
                // come; a file a power cut leaves partial has no end marker and is not trusted (files start at their
                // end: lines may be missed, none replayed)
                StateFiles.write(directory, STATE_FILE, text.toString().getBytes(StandardCharsets.UTF_8), false);
                positionsChanged = false;
                lastSave = now;
                long took = System.nanoTime() - now;
                saveInterval = Math.max(STATE_WRITE_INTERVAL_NANOS, Math.min(STATE_WRITE_INTERVAL_MAX_NANOS, 20 * took));
            } catch (IOException e) {
                lastSave = now; // try again later, not at every line
                saveInterval = STATE_WRITE_INTERVAL_MAX_NANOS;
                problem("cannot save how far the log of " + spec.serviceName() + " was read in " + directory + " ("
                        + describe(e) + "); a restart of aegis may read some lines again");
            }
        }

        private Map<String, Saved> loadPositions() {
            Map<String, Saved> saved = new LinkedHashMap<>();
            if (spec.stateDirectory().isEmpty()) {
                return saved;
            }
            Path file = spec.stateDirectory().get().resolve(STATE_FILE);
            List<String> lines;
            try {
                savedAt = Files.getLastModifiedTime(file);
                lines = Files.readAllLines(file);
            } catch (NoSuchFileException e) {
                return saved;
            } catch (IOException e) {
                problem("cannot read how far the log of " + spec.serviceName() + " was read, in " + file + " ("
                        + describe(e) + "); its files are read from their end");
                return saved;
            }
            // A file cut short or emptied (a power cut after the rename on a file system that had not written its
            // data yet: XFS, ext4 without auto_da_alloc) or damaged otherwise is not trusted at all: every file then
            // starts at its end, as at a first start. Trusting part of it read the files it no longer named from
            // their first byte, replaying every old error in them (alerts, and restarts of a healthy service).
            String damage = lines.isEmpty() || !lines.get(0).startsWith("# positions of") ? "it has no header"
                    : !STATE_END.equals(lines.get(lines.size() - 1)) ? "it is cut short" : null;
            for (int i = 1; damage == null && i < lines.size() - 1; i++) {
                String line = lines.get(i);
                String[] fields = line.split("\t", 7);
                try {
                    saved.put(fields[0], new Saved(fields[0], Long.parseLong(fields[1]), Long.parseLong(fields[2]),
                            "1".equals(fields[3]), Integer.parseInt(fields[4]), Long.parseLong(fields[5]),
                            Path.of(fields[6])));
                } catch (RuntimeException e) {
                    damage = "line " + (i + 1) + " is damaged";
                }
            }
            if (damage != null) {
                problem("the record of how far the log of " + spec.serviceName() + " was read, " + file + ", is damaged ("
                        + damage + "); its files are read from their end, so lines written while aegis was not"
                        + " running may be missed");
                saved.clear();
                savedAt = null;
                return saved;
            }
            if (saved.isEmpty()) {
                // a state file without entries still says there was a run: files found now are new
                saved.put("", new Saved("", 0, 0, false, 0, 0, file));
            }
            return saved;
        }

        private boolean matchesFingerprint(Path path, Saved position) {
            if (position.fingerprintLength() == 0) {
                return true;
            }
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                return fingerprint(channel, position.fingerprintLength()) == position.fingerprint();
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                save(System.nanoTime());
                closed = true;
                for (TrackedFile file : live.values()) {
                    file.closeChannel();
                }
                for (TrackedFile file : retired) {
                    file.closeChannel();
                }
                live.clear();
                retired.clear();
            } finally {
                lock.unlock();
            }
            follows.remove(this);
            unwatchUnused(directories);
        }
    }

    /** CRC32 of the first {@code length} bytes of the channel's file; -1 when it is shorter. */
    static long fingerprint(FileChannel channel, int length) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(length);
        while (head.hasRemaining()) {
            if (channel.read(head, head.position()) <= 0) {
                return -1;
            }
        }
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(head.flip());
        return crc.getValue();
    }

    static String keyOf(Path path, BasicFileAttributes attributes) {
        Object key = attributes.fileKey();
        return key != null ? key.toString().replace('\t', ' ') : "path:" + path;
    }

    private static String describe(Exception e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    /** One open file: its offset, line count and the line it holds until its newline comes. */
    private final class TrackedFile {
        private final Follow follow;
        private final String key;
        /** Null while closed (idle beyond the limit of open files, or not opened yet). */
        private FileChannel channel;
        /** When it was last opened or read from (System.nanoTime): the files idle the longest are closed first. */
        long lastUsed;
        /** Started at the end of a file: whether the line there was begun is looked at when it is opened. */
        boolean probeLastByte;
        private Path path;
        private String origin;
        long position;
        long lineNumber;
        /** Skipping the rest of a line already delivered cut (or begun before the start). */
        boolean skipping;
        private byte[] carry = new byte[0];
        private int carryLength;
        long retiredAt;
        int fingerprintLength;
        long fingerprint;

        TrackedFile(Follow follow, Path path, String key, long position) {
            this.follow = follow;
            this.path = path;
            this.origin = path.toString();
            this.key = key;
            this.position = position;
        }

        void renamed(Path to) {
            path = to;
            origin = to.toString();
        }

        /** The offset of the first byte not yet delivered (the start of the held partial line). */
        long committed() {
            return position - carryLength;
        }

        /** Splits {@code bytes[0, count)} into lines, after what is held. */
        void consume(byte[] bytes, int count) {
            int max = follow.spec.maxLineLength();
            int start = 0;
            while (start < count) {
                int newline = indexOfNewline(bytes, start, count);
                if (newline < 0) {
                    hold(bytes, start, count - start, max);
                    return;
                }
                if (skipping) {
                    skipping = false;
                } else if (carryLength > 0) {
                    int end = newline;
                    if (end > start && bytes[end - 1] == '\r') {
                        end--;
                    } else if (end == start && carry[carryLength - 1] == '\r') {
                        carryLength--;
                    }
                    int length = end - start;
                    if (carryLength + length <= max) {
                        ensureCarry(carryLength + length);
                        System.arraycopy(bytes, start, carry, carryLength, length);
                        int whole = carryLength + length;
                        carryLength = 0;
                        follow.deliver(this, carry, 0, whole, false);
                    } else {
                        int taken = max - carryLength;
                        ensureCarry(max);
                        System.arraycopy(bytes, start, carry, carryLength, Math.max(0, taken));
                        carryLength = 0;
                        follow.deliver(this, carry, 0, max, true);
                    }
                } else {
                    int end = newline > start && bytes[newline - 1] == '\r' ? newline - 1 : newline;
                    int length = end - start;
                    follow.deliver(this, bytes, start, Math.min(length, max), length > max);
                }
                start = newline + 1;
            }
        }

        /** Holds a line's beginning until its newline comes; a line too long is delivered cut now. */
        private void hold(byte[] bytes, int start, int length, int max) {
            if (skipping) {
                return;
            }
            // one byte more than the limit may be a '\r' that is not part of the line
            if (carryLength + length <= max + 1) {
                ensureCarry(carryLength + length);
                System.arraycopy(bytes, start, carry, carryLength, length);
                carryLength += length;
                return;
            }
            ensureCarry(max);
            System.arraycopy(bytes, start, carry, carryLength, Math.max(0, max - carryLength));
            carryLength = 0;
            skipping = true;
            follow.deliver(this, carry, 0, max, true);
        }

        private void ensureCarry(int length) {
            if (carry.length < length) {
                carry = java.util.Arrays.copyOf(carry, Math.max(length, Math.max(256, carry.length * 2)));
            }
        }

        /** Truncated in place: the held line is given as it is, and reading starts again at 0. */
        void truncated() {
            flushHeld();
            position = 0;
            lineNumber = 0;
            skipping = false;
            fingerprintLength = 0;
        }

        private void flushHeld() {
            if (carryLength > 0 && !skipping) {
                int length = carryLength;
                carryLength = 0;
                follow.deliver(this, carry, 0, Math.min(length, follow.spec.maxLineLength()),
                        length > follow.spec.maxLineLength());
            }
            carryLength = 0;
        }

        /** A retired file nobody writes to any more: its last line, if it had no newline, is a line too. */
        void finish() {
            flushHeld();
            closeChannel();
        }

        void updateFingerprint() {
            int wanted = (int) Math.min(FINGERPRINT_BYTES, committed());
            if (wanted > fingerprintLength && channel != null && channel.isOpen()) {
                try {
                    long value = fingerprint(channel, wanted);
                    if (value >= 0) {
                        fingerprint = value;
                        fingerprintLength = wanted;
                    }
                } catch (IOException e) {
                    // keep the shorter one
                }
            }
        }

        /** Closes the file (its position, line count and held line are kept); under the follow's lock. */
        void closeChannel() {
            FileChannel open = channel;
            if (open == null) {
                return;
            }
            channel = null;
            openFiles.decrementAndGet();
            try {
                open.close();
            } catch (IOException e) {
                log.debug("Closing {} failed", path, e);
            }
        }
    }
}
