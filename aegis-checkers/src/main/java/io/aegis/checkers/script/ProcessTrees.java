package io.aegis.checkers.script;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Kills a script together with every process it started, so that a hung check leaves nothing behind and the
 * thread reading its output (which waits until the last holder of the pipe is gone) is freed.
 *
 * <p>Two ways to find the processes, because either alone has a gap. {@link ProcessHandle#descendants()}
 * works everywhere but only while the tree is intact: once a process dies, its children are re-parented
 * and no longer show up. So on Linux the script is started with {@code setsid}, which makes it the leader
 * of a new session; every process it starts stays in that session even when orphaned (unless it calls
 * {@code setsid} itself, as a real daemon does), and {@code /proc/<pid>/stat} tells which session a process
 * is in. That also finds what a script left running after it exited while still holding its output.
 */
final class ProcessTrees {

    private ProcessTrees() {
    }

    /**
     * Kills {@code root} and its descendants with SIGKILL, without waiting: the descendants are listed first,
     * because killing the root re-parents them, then the root is killed first so it forks nothing more.
     *
     * @param ownSession whether {@code root} leads its own session (started with {@code setsid}); then the
     *     session is swept too, for processes orphaned earlier or forked while the listed ones were killed
     */
    static void kill(Process root, boolean ownSession) {
        List<ProcessHandle> members = descendants(root);
        root.destroyForcibly();
        members.forEach(ProcessHandle::destroyForcibly);
        if (ownSession) {
            killSession(root.pid());
        }
    }

    /**
     * Kills what is left of the session led by {@code sessionId} after its leader has exited.
     *
     * @return how many processes were killed
     */
    static int killSession(long sessionId) {
        List<ProcessHandle> members = sessionMembers(sessionId);
        members.forEach(ProcessHandle::destroyForcibly);
        return members.size();
    }

    /**
     * Returns whether a process runs. Copied from {@code io.aegis.runtimes.process.ProcessTree#isRunning}
     * (checkers cannot depend on aegis-runtimes): unlike {@link ProcessHandle#isAlive()} this is false for a
     * zombie. In a container whose PID 1 does not reap orphans, a killed descendant stays a zombie for good,
     * and the JDK would count it as alive forever.
     */
    static boolean isRunning(ProcessHandle process) {
        return process.isAlive() && !isZombie(process.pid());
    }

    private static List<ProcessHandle> descendants(Process root) {
        try {
            return root.descendants().filter(ProcessTrees::isRunning).toList();
        } catch (UnsupportedOperationException e) {
            return List.of();
        }
    }

    /** The running processes of session {@code sessionId} other than its leader; empty where there is no /proc. */
    static List<ProcessHandle> sessionMembers(long sessionId) {
        List<ProcessHandle> members = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"), ProcessTrees::isPidDirectory)) {
            for (Path entry : entries) {
                long pid = Long.parseLong(entry.getFileName().toString());
                if (pid == sessionId || pid == self) {
                    continue;
                }
                Optional<String> fields = statFields(pid);
                // after "pid (comm) ": state ppid pgrp session ...
                if (fields.isEmpty()) {
                    continue;
                }
                String[] parts = fields.get().split(" ", 5);
                if (parts.length >= 4 && parts[0].charAt(0) != 'Z' && parts[3].equals(Long.toString(sessionId))) {
                    ProcessHandle.of(pid).ifPresent(members::add);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc (not Linux) or it vanished under us: only descendants() can help then
        }
        return members;
    }

    private static boolean isPidDirectory(Path entry) {
        String name = entry.getFileName().toString();
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }

    /** Linux only; elsewhere a zombie counts as running, which at worst makes a test wait. */
    private static boolean isZombie(long pid) {
        return statFields(pid).map(fields -> fields.charAt(0) == 'Z').orElse(false);
    }

    /** The fields of {@code /proc/<pid>/stat} after the command name; empty when unreadable. */
    private static Optional<String> statFields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            // Format "pid (comm) S ...": comm may itself hold ") ", so the fields follow the last ')'.
            int end = stat.lastIndexOf(')');
            return end >= 0 && end + 2 < stat.length() ? Optional.of(stat.substring(end + 2)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
