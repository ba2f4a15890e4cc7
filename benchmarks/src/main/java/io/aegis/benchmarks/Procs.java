package io.aegis.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Child processes, loopback ports and tiny HTTP probes for the scenarios. Linux only (/proc). */
public final class Procs {
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    private Procs() {
    }

    /** The {@code java} of the running JVM. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code java [jvmArgs] -cp classPath mainClass [args]}. */
    public static List<String> javaCommand(Options options, List<String> jvmArgs, Class<?> main, String... args) {
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(options.classPath());
        command.add(main.getName());
        command.addAll(List.of(args));
        return command;
    }

    /** Starts {@code command}; stderr goes to {@code log}, stdout is read by the caller. */
    public static Process start(List<String> command, Path log) throws IOException {
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE).start();
    }

    /** Kills {@code process} and everything it started (SIGKILL), and waits a little for it to end. */
    public static void destroyTree(ProcessHandle process) {
        if (process == null) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.onExit().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort: it is SIGKILLed
        }
    }

    /**
     * Kills a supervisor (SIGKILL) before what it started, so it cannot start a replacement in between, and waits a
     * little for it to end. For peers whose measurements are done: supervisord and monit take one to two of their
     * 1 s cycles to act on SIGTERM, and how they stop is not measured.
     */
    public static void killSupervisor(ProcessHandle supervisor) {
        List<ProcessHandle> tree = new ArrayList<>(supervisor.descendants().toList());
        supervisor.destroyForcibly();
        tree.forEach(ProcessHandle::destroyForcibly);
        try {
            supervisor.onExit().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort: it is SIGKILLed
        }
    }

    /** Asks {@code process} to stop (SIGTERM), then kills what is left after {@code grace}. */
    public static void stop(ProcessHandle process, Duration grace) {
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        process.destroy();
        try {
            process.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
        }
        tree.forEach(ProcessHandle::destroyForcibly);
    }

    /** Reads lines of {@code stream} until one matches; empty at end of stream or after {@code timeout}. */
    public static Optional<String> awaitLine(BufferedReader reader, Predicate<String> match, Duration timeout)
            throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String line;
        while (System.nanoTime() < deadline && (line = reader.readLine()) != null) {
            if (match.test(line)) {
                return Optional.of(line);
            }
        }
        return Optional.empty();
    }

    public static BufferedReader lines(InputStream in) {
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    /** Seconds of CPU (user + system) used so far by {@code pid}, from /proc; NaN when it is gone. */
    public static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields[0] is field 3 (state): utime is field 14, stime field 15
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks / (double) CLOCK_TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Threads of {@code pid}, from /proc. */
    public static int threads(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Threads:")) {
                    return Integer.parseInt(line.substring(8).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    /** Resident memory of {@code pid} in KB, from /proc; -1 when it is gone. */
    public static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).replace("kB", "").trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    /** The hard limit of open files of this process (child JVMs raise their soft limit to it). */
    public static String descriptorLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring(14).trim().split("\\s+");
                    return f[1];
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return "?";
    }

    /** A loopback port that was free a moment ago. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    /**
     * One {@code method path} request to 127.0.0.1:port on a new connection; the status code, or -1 when
     * nothing answers within {@code timeoutMillis}.
     */
    public static int httpStatus(int port, String method, String path, int timeoutMillis) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] head = new byte[12];
            int read = 0;
            InputStream in = socket.getInputStream();
            while (read < head.length) {
                int n = in.read(head, read, head.length - read);
                if (n < 0) {
                    return -1;
                }
                read += n;
            }
            return Integer.parseInt(new String(head, 9, 3, StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Polls GET {@code path} every {@code pollMillis} until it answers {@code status}; the nanoTime when it
     * did, or -1 after {@code timeout}.
     */
    public static long awaitStatus(int port, String path, int status, Duration timeout, long pollMillis)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (httpStatus(port, "GET", path, 200) == status) {
                return System.nanoTime();
            }
            Thread.sleep(pollMillis);
        }
        return -1;
    }

    /** The first descendant of {@code parent} whose command line contains {@code marker}. */
    public static Optional<ProcessHandle> descendant(ProcessHandle parent, String marker) {
        return parent.descendants().filter(p -> commandLine(p.pid()).contains(marker)).findFirst();
    }

    /** Polls for a descendant as in {@link #descendant} for up to {@code timeout}. */
    public static Optional<ProcessHandle> awaitDescendant(ProcessHandle parent, String marker, long notPid,
            Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> found = parent.descendants()
                    .filter(p -> p.pid() != notPid && p.isAlive() && commandLine(p.pid()).contains(marker)).findFirst();
            if (found.isPresent()) {
                return found;
            }
            Thread.sleep(5);
        }
        return Optional.empty();
    }

    /** The command line of {@code pid} with spaces between arguments, from /proc ("" when gone). */
    public static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /** The absolute path of {@code program} on the PATH (or in /usr/sbin, /usr/bin, /sbin), if installed. */
    public static Optional<Path> which(String program) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"));
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    public static void sleep(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
    }
}
