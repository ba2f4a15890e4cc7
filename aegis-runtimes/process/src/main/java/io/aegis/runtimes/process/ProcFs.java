package io.aegis.runtimes.process;

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
 * that survives pid reuse, and the environment. Adapted from the script checker's {@code ProcessTrees}
 * (plugins may not depend on each other). Everything answers "unknown" (empty, false) where there is no
 * {@code /proc}, so callers degrade to what {@link ProcessHandle} offers.
 */
final class ProcFs {

    private static final Path PROC = Path.of("/proc");

    private ProcFs() {
    }

    /** The fields of {@code /proc/<pid>/stat} this package uses. */
    record Stat(long pid, char state, long parentPid, long processGroup, long session, long startTicks) {
        boolean isZombie() {
            return state == 'Z' || state == 'X';
        }
    }

    /** Whether this is Linux with a readable {@code /proc}. */
    static boolean available() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                && Files.isDirectory(PROC.resolve("self"));
    }

    /** The stat line of {@code pid}; empty when it does not exist or there is no {@code /proc}. */
    static Optional<Stat> stat(long pid) {
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

    /** Every pid in {@code /proc}; empty where there is none. */
    static List<Long> pids() {
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
     * Whether the environment {@code pid} was started with holds {@code entry} ({@code NAME=value}) exactly.
     * False for processes of other users: their environment is not readable, and they are not ours to stop.
     */
    static boolean hasEnvironmentEntry(long pid, String entry) {
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

    /** Whether {@code process} runs: false for a zombie, which {@link ProcessHandle#isAlive()} counts as alive. */
    static boolean isRunning(ProcessHandle process) {
        return process.isAlive() && !stat(process.pid()).map(Stat::isZombie).orElse(false);
    }

    private static boolean isPidDirectory(Path entry) {
        String name = entry.getFileName().toString();
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }
}
