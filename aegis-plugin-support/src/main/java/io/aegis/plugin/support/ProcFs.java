package io.aegis.plugin.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What Linux's {@code /proc} tells about processes that Java does not: session and process group, a start time
 * that survives pid reuse, whether a process is a zombie, and the environment. Everything answers "unknown"
 * (empty, false) where there is no {@code /proc}, so callers degrade to what {@link ProcessHandle} offers.
 */
public final class ProcFs {

    private static final Path PROC = Path.of("/proc");

    private ProcFs() {
    }

    /**
     * The fields of {@code /proc/<pid>/stat} that plugins use.
     *
     * @param pid the process id
     * @param state the state letter ({@code R}, {@code S}, {@code Z} for a zombie...)
     * @param parentPid the parent's process id
     * @param processGroup the process group id
     * @param session the session id: the pid of the session's leader (a process started with {@code setsid})
     * @param startTicks when the process started, in clock ticks since boot: with the pid, it tells a process from
     *     a later one that reused its pid
     */
    public record Stat(long pid, char state, long parentPid, long processGroup, long session, long startTicks) {
        /**
         * Whether the process has exited and waits for its parent to reap it.
         *
         * @return true for a zombie (or a dead process, {@code X})
         */
        public boolean isZombie() {
            return state == 'Z' || state == 'X';
        }

        /**
         * Whether the process is stopped: by a signal such as SIGSTOP or a terminal's SIGTSTP ({@code T}), or by a
         * debugger ({@code t}). A stopped process acts on a SIGTERM it handles only once it is continued.
         *
         * @return true for the states {@code T} and {@code t}
         */
        public boolean isStopped() {
            return state == 'T' || state == 't';
        }
    }

    /**
     * Whether this is Linux with a readable {@code /proc}.
     *
     * @return false where every other method answers "unknown"
     */
    public static boolean available() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                && Files.isDirectory(PROC.resolve("self"));
    }

    /**
     * Reads {@code /proc/<pid>/stat}.
     *
     * @param pid a process id
     * @return its stat line; empty when it does not exist or there is no {@code /proc}
     */
    public static Optional<Stat> stat(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
            // Format "pid (comm) S ppid pgrp session ...": comm may itself hold ") ", so fields follow the last ')'.
            int end = stat.lastIndexOf(')');
            if (end < 0 || end + 2 >= stat.length()) {
                return Optional.empty();
            }
            String[] fields = stat.substring(end + 2).trim().split(" ");
            // fields[0] is field 3 of proc(5), so starttime (field 22) is fields[19].
            if (fields.length < 20 || fields[0].isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Stat(pid, fields[0].charAt(0), Long.parseLong(fields[1]), Long.parseLong(fields[2]),
                    Long.parseLong(fields[3]), Long.parseLong(fields[19])));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Lists the processes of this machine (of this PID namespace).
     *
     * @return every pid in {@code /proc}; empty where there is none
     */
    public static List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, ProcFs::isPidDirectory)) {
            for (Path entry : entries) {
                pids.add(Long.parseLong(entry.getFileName().toString()));
            }
        } catch (IOException | RuntimeException e) {
            // no /proc (not Linux) or it changed under us: callers fall back to ProcessHandle
        }
        return pids;
    }

    /**
     * Tells whether the environment {@code pid} was started with holds {@code entry} exactly.
     *
     * @param pid a process id
     * @param entry {@code NAME=value}
     * @return false also for processes of other users: their environment is not readable, and they are not
     *     ours to stop
     */
    public static boolean hasEnvironmentEntry(long pid, String entry) {
        byte[] environ;
        try {
            environ = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
        byte[] wanted = entry.getBytes(StandardCharsets.UTF_8);
        int start = 0;
        for (int i = 0; i <= environ.length; i++) {
            if (i == environ.length || environ[i] == 0) {
                if (i - start == wanted.length && java.util.Arrays.equals(environ, start, i, wanted, 0, wanted.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    /**
     * Tells whether {@code process} runs. Unlike {@link ProcessHandle#isAlive()} this is false for a zombie: in a
     * container whose PID 1 does not reap orphans (no {@code --init}), a killed descendant stays a zombie for
     * good, and the JDK would count it as alive forever. Where there is no {@code /proc}, a zombie counts as
     * running, which at worst makes a caller wait.
     *
     * @param process any process
     * @return whether it is alive and not a zombie
     */
    public static boolean isRunning(ProcessHandle process) {
        return process.isAlive() && !stat(process.pid()).map(Stat::isZombie).orElse(false);
    }

    /**
     * Lists what runs in a session besides its leader: a process started with {@code setsid} leads a new session,
     * and every process it starts stays in it even when orphaned (unless it calls {@code setsid} itself, as a
     * daemon does), so this finds what {@link ProcessHandle#descendants()} lost once a parent died.
     *
     * @param sessionId the session's id, the pid of the process that called {@code setsid}
     * @return the running members (zombies, the leader and this JVM excluded); empty where there is no
     *     {@code /proc}
     */
    public static List<ProcessHandle> sessionMembers(long sessionId) {
        List<ProcessHandle> members = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        for (long pid : pids()) {
            if (pid == sessionId || pid == self) {
                continue;
            }
            stat(pid).filter(stat -> !stat.isZombie() && stat.session() == sessionId)
                    .flatMap(stat -> ProcessHandle.of(pid)).ifPresent(members::add);
        }
        return members;
    }

    private static boolean isPidDirectory(Path entry) {
        String name = entry.getFileName().toString();
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }
}
