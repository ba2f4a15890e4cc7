package io.aegis.cli;

import io.aegis.core.Engine;
import io.aegis.core.ServiceSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code aegis --cds-train} (hidden): what the launcher runs, once, in the background under
 * {@code -XX:ArchiveClassesAtExit} to make the class-data-sharing archive later starts map instead of loading
 * and verifying ~3,500 classes one by one.
 *
 * <p>It goes through a real start on the same code path as {@code aegis --config=<file>}: a sample configuration
 * with one {@code http} service and metrics on, checked against a loopback server of its own until the first
 * check passes, one scrape of {@code /metrics}; then it stops and exits 0. Everything it creates (a temporary
 * directory with the configuration and the state, a loopback port) is gone when it returns or when SIGTERM or
 * SIGINT ends it; the directory of a training killed by SIGKILL is deleted by the next one.
 */
final class CdsTraining implements AutoCloseable {
    /** The hidden option; the launcher passes it alone. */
    static final String OPTION = "--cds-train";
    private static final String SERVICE = "cds-training";
    private static final long FIRST_CHECK_TIMEOUT_MS = 30_000;
    private static final String PREFIX = "aegis-cds-train-";
    /** {@code aegis-cds-train-<pid>-<random>}: the directory of the training run with that process id. */
    private static final Pattern OWNED_BY_PROCESS = Pattern.compile(Pattern.quote(PREFIX) + "(\\d{1,10})-\\d+");
    /** A directory named the older way (no process id) is a leftover once it is this old. */
    private static final Duration OLD = Duration.ofDays(1);

    private final Path directory;
    private final ServerSocket server;
    private final Thread responder;
    /** Deletes the directory when SIGTERM or SIGINT ends the run before {@link #close} (hostile F4). */
    private final Thread deleteAtExit;

    private CdsTraining() throws IOException {
        Path temp = Path.of(System.getProperty("java.io.tmpdir"));
        removeLeftovers(temp, Instant.now());
        // The process id in the name tells a later training whether this one is still running.
        directory = Files.createTempDirectory(PREFIX + ProcessHandle.current().pid() + "-");
        // The training does not wait for signals as a start does: a SIGTERM (systemd stopping the first start's
        // process group, `kill -- -pgid`) ends the JVM through its shutdown hooks alone, past close().
        deleteAtExit = new Thread(() -> deleteQuietly(directory), "aegis-cds-train-cleanup");
        Runtime.getRuntime().addShutdownHook(deleteAtExit);
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        responder = new Thread(this::respond, "aegis-cds-train-http");
        responder.setDaemon(true);
        responder.start();
    }

    /**
     * Deletes what trainings killed by SIGKILL left in {@code temp}: the directories of training processes that no
     * longer run (and, named the older way without a process id, those older than a day). Best effort: a directory
     * of another user is left alone.
     */
    static void removeLeftovers(Path temp, Instant now) {
        try (Stream<Path> entries = Files.list(temp)) {
            for (Path entry : entries.filter(e -> e.getFileName().toString().startsWith(PREFIX)).toList()) {
                Matcher name = OWNED_BY_PROCESS.matcher(entry.getFileName().toString());
                boolean left = name.matches()
                        ? ProcessHandle.of(Long.parseLong(name.group(1))).filter(ProcessHandle::isAlive).isEmpty()
                        : Files.getLastModifiedTime(entry).toInstant().isBefore(now.minus(OLD));
                // Only our own user's: as root, another user's (or another container's, whose process ids we cannot
                // see) training directory in a shared /tmp is not ours to judge.
                if (left && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) && ownedByUs(entry)) {
                    delete(entry);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // nothing to clean, or not ours to clean
        }
    }

    private static boolean ownedByUs(Path entry) throws IOException {
        return Files.getOwner(entry, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"));
    }

    /** Runs the training start; returns the exit code. */
    static int run() {
        try (CdsTraining training = new CdsTraining()) {
            Path config = training.writeConfig();
            String[] args = {"--config=" + config};
            AegisCommand command = FastCommandLine.parse(args);
            command.training = training;
            return command.callWithoutPicocli(args);
        } catch (IOException e) {
            throw new UncheckedIOException("aegis --cds-train: " + e.getMessage(), e);
        }
    }

    private Path writeConfig() throws IOException {
        String host = InetAddress.getLoopbackAddress().getHostAddress();
        return Files.writeString(directory.resolve("aegis.yaml"), """
                global:
                  logLevel: info
                  metricsEnabled: true
                  metricsHost: %s
                  metricsPort: 0
                  stateDir: %s
                services:
                  - name: %s
                    type: http
                    endpoint: http://%s:%d/health
                    interval: 10s
                    timeout: 5s
                """.formatted(host, quote(directory.resolve("state").toString()), SERVICE, host,
                server.getLocalPort()));
    }

    /**
     * Called by the command once the engine is started: waits for the first check (the timeout is generous, so
     * that on a busy machine it is a passing one, as in a real start), then scrapes once.
     */
    void exercise(Engine engine) {
        long deadline = System.nanoTime() + FIRST_CHECK_TIMEOUT_MS * 1_000_000;
        while (engine.service(SERVICE).flatMap(ServiceSnapshot::lastResult).isEmpty()) {
            if (System.nanoTime() - deadline > 0) {
                // The archive is still worth having (everything up to the first request is in it).
                System.err.println("aegis --cds-train: no check within " + FIRST_CHECK_TIMEOUT_MS + " ms; stopping");
                return;
            }
            try {
                Thread.sleep(10); // a one-off run with nothing to wake it: polling is the simple way
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        engine.metricsPort().ifPresent(this::scrape);
    }

    private void scrape(int port) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            socket.getInputStream().readAllBytes();
        } catch (IOException e) {
            // only warms the archive: a failed scrape leaves some classes out of it, nothing more
        }
    }

    /** Answers every request with 200 OK and closes the connection. */
    private void respond() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                socket.setSoTimeout(10_000);
                readHeader(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nOK\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException e) {
                // closed (the end of the run) or a client that went away: the loop condition decides
            }
        }
    }

    private static void readHeader(InputStream in) throws IOException {
        int last4 = 0;
        int b;
        while (last4 != 0x0d0a0d0a && (b = in.read()) >= 0) {
            last4 = (last4 << 8) | b; // until CR LF CR LF, the end of the header
        }
    }

    private static String quote(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    @Override
    public void close() {
        try {
            server.close();
            responder.join(5_000);
        } catch (IOException e) {
            // the port is released with the process anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(deleteAtExit);
        } catch (IllegalStateException e) {
            // the JVM is shutting down already: the hook deletes it too, and deleting twice is harmless
        }
        try {
            delete(directory);
        } catch (IOException | UncheckedIOException e) {
            System.err.println("aegis --cds-train: could not delete " + directory + ": " + e.getMessage());
        }
    }

    /**
     * At exit by a signal: the engine was not closed and may still write its state below, so a file created during
     * the first pass is caught by a second one. Silent: the next training removes what is left.
     */
    private static void deleteQuietly(Path directory) {
        for (int attempt = 0; attempt < 2 && Files.exists(directory, LinkOption.NOFOLLOW_LINKS); attempt++) {
            try {
                delete(directory);
            } catch (IOException | UncheckedIOException e) {
                // tried again once; what is left is a leftover for the next training
            }
        }
    }

    private static void delete(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }
}
