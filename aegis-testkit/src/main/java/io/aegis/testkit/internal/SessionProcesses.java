package io.aegis.testkit.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The processes of the JVM's session, as Linux' {@code /proc} shows them, to find what a plugin orphaned: a plugin
 * that runs {@code sh -c 'sleep 60 &'} leaves a {@code sleep} that the shell's exit hands to PID 1 (or a subreaper),
 * so it is no descendant of the JVM and the child-process diff misses it. It keeps the session of the JVM, though,
 * unless it called {@code setsid} (then it is out of reach here). Elsewhere than Linux this finds nothing.
 */
final class SessionProcesses {
    private static final Path PROC = Path.of("/proc");

    /** A process as {@code /proc/<pid>/stat} describes it; {@code started} is in clock ticks after boot. */
    record Stat(long pid, char state, long parent, long session, long started) {
        /** Its pid and start time: a pid used again by a later process is another key. */
        String key() {
            return pid + "@" + started;
        }
    }

    private final long session;
    private final Set<String> before;

    private SessionProcesses(long session, Set<String> before) {
        this.session = session;
        this.before = before;
    }

    /** Remembers the processes of the JVM's session there are now (none where there is no {@code /proc}). */
    static SessionProcesses take() {
        Optional<Stat> self = Files.isReadable(PROC.resolve("self/stat")) ? stat("self") : Optional.empty();
        if (self.isEmpty()) {
            return new SessionProcesses(-1, Set.of());
        }
        long session = self.get().session();
        return new SessionProcesses(session, inSession(session).stream().map(Stat::key)
                .collect(Collectors.toSet()));
    }

    /**
     * The processes orphaned since {@link #take()}: in the JVM's session, started since (not in the snapshot), not
     * a descendant of the JVM (those the child-process diff reports), and whose parent is PID 1 or a process
     * outside this session.
     *
     * <p>Why the parent: surefire may run other forks in this same session at the same time (Maven's {@code -T},
     * {@code forkCount > 1}), and their plugins start processes too. A process whose parent is still a process of
     * this session is somebody's live child (a sibling fork's workload, Maven's own helper) and that parent's to
     * end; only a process whose parent ended (and which was handed to PID 1 or to a subreaper, which is never in a
     * test's session) has no one left to end it. A sibling fork that orphans a process during this very window would
     * still be reported here: a leak all the same, only named in another test.
     */
    List<Stat> orphanedSince() {
        if (session < 0) {
            return List.of();
        }
        Set<Long> descendants = ProcessHandle.current().descendants().map(ProcessHandle::pid)
                .collect(Collectors.toSet());
        List<Stat> all = inSession(session);
        Map<Long, Stat> byPid = new HashMap<>();
        all.forEach(stat -> byPid.put(stat.pid(), stat));
        List<Stat> orphans = new ArrayList<>();
        for (Stat stat : all) {
            boolean orphaned = stat.parent() == 1 || !byPid.containsKey(stat.parent());
            if (orphaned && stat.state() != 'Z' && !before.contains(stat.key()) && !descendants.contains(stat.pid())
                    && stat.pid() != ProcessHandle.current().pid()) {
                orphans.add(stat);
            }
        }
        return orphans;
    }

    /** {@return the command line of {@code pid}, its arguments separated by spaces; empty when it is gone} */
    static String commandLine(long pid) {
        try {
            byte[] bytes = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("cmdline"));
            return new String(bytes, StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static List<Stat> inSession(long session) {
        List<Stat> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, entry -> entry.getFileName().toString()
                .chars().allMatch(Character::isDigit))) {
            for (Path entry : entries) {
                stat(entry.getFileName().toString()).filter(stat -> stat.session() == session).ifPresent(found::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + PROC, e);
        }
        return found;
    }

    /**
     * Reads {@code /proc/<pid>/stat}. Its second field, the command's name in parentheses, may hold spaces and
     * parentheses itself, so the fields are counted from the last {@code ')'}: state (3), parent (4), session (6)
     * and start time (22).
     */
    private static Optional<Stat> stat(String pid) {
        String text;
        try {
            text = Files.readString(PROC.resolve(pid).resolve("stat"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return Optional.empty(); // ended meanwhile
        }
        int end = text.lastIndexOf(')');
        String[] fields = text.substring(end + 2).split(" ");
        return Optional.of(new Stat(Long.parseLong(text.substring(0, text.indexOf(' '))), fields[0].charAt(0),
                Long.parseLong(fields[1]), Long.parseLong(fields[3]), Long.parseLong(fields[19])));
    }
}
