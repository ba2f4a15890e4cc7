package io.aegis.core.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Which process listens on a TCP port, from Linux's {@code /proc}: the listening sockets' inodes in
 * {@code /proc/net/tcp} and {@code tcp6}, then the process whose {@code /proc/<pid>/fd} holds one. Only this
 * user's processes can be seen; elsewhere than Linux nothing is found. Costly enough (every open file of every
 * process) to be used only to explain a problem, never on every check.
 */
final class ListeningProcesses {

    private static final Path PROC = Path.of("/proc");

    private ListeningProcesses() {
    }

    /**
     * The TCP port an endpoint names: a URL's port or its scheme's default (http 80, https 443), or the number
     * after the last {@code :} of {@code host:port}; empty when it names none (a script path, say).
     */
    static OptionalInt port(String endpoint) {
        try {
            if (endpoint.contains("://")) {
                URI uri = URI.create(endpoint);
                if (uri.getPort() > 0) {
                    return OptionalInt.of(uri.getPort());
                }
                String scheme = String.valueOf(uri.getScheme()).toLowerCase(Locale.ROOT);
                return scheme.equals("http") ? OptionalInt.of(80)
                        : scheme.equals("https") ? OptionalInt.of(443) : OptionalInt.empty();
            }
            int colon = endpoint.lastIndexOf(':');
            if (colon < 0) {
                return OptionalInt.empty();
            }
            int port = Integer.parseInt(endpoint.substring(colon + 1).trim());
            return port > 0 && port < 65536 ? OptionalInt.of(port) : OptionalInt.empty();
        } catch (RuntimeException e) {
            return OptionalInt.empty();
        }
    }

    /** The pids of this user's processes that listen on TCP {@code port}, on any address. */
    static List<Long> on(int port) {
        Set<String> sockets = new HashSet<>();
        for (String table : List.of("net/tcp", "net/tcp6")) {
            try {
                for (String line : Files.readAllLines(PROC.resolve(table))) {
                    // "sl local_address rem_address st ... uid timeout inode": local_address is ADDR:PORT in hex.
                    String[] fields = line.trim().split("\\s+");
                    if (fields.length > 9 && fields[3].equals("0A")
                            && fields[1].endsWith(":" + String.format("%04X", port))) {
                        sockets.add("socket:[" + fields[9] + "]");
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no such table (no IPv6, not Linux)
            }
        }
        List<Long> pids = new ArrayList<>();
        if (sockets.isEmpty()) {
            return pids;
        }
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC,
                entry -> entry.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path process : processes) {
                if (holdsAny(process.resolve("fd"), sockets)) {
                    pids.add(Long.parseLong(process.getFileName().toString()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // /proc went away under us, or there is none
        }
        return pids;
    }

    private static boolean holdsAny(Path fds, Set<String> sockets) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fds)) {
            for (Path fd : entries) {
                try {
                    if (sockets.contains(Files.readSymbolicLink(fd).toString())) {
                        return true;
                    }
                } catch (IOException | RuntimeException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            // another user's process, or it exited
        }
        return false;
    }
}
