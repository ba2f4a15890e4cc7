package io.aegis.runtimes.process;

import io.aegis.plugin.support.ProcFs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Finds every process of one service, the poor man's cgroup: each process aegis starts for the service leads a
 * session of its own ({@code setsid}) and carries {@value #VARIABLE}{@code =<marker>} in its environment. A
 * process stays in its session when it is orphaned; one that escapes with its own {@code setsid} (a daemon's
 * double fork) still inherits the environment. Either is enough to find it in {@code /proc}, so nothing a service
 * forked can outlive it unseen — unless it also clears its environment, which only a cgroup would catch.
 *
 * <p>Linux only: elsewhere {@link #find} finds nothing and callers rely on {@link ProcessHandle#descendants()}.
 */
final class ServiceProcesses {

    /** The environment variable that marks every process started for a service. */
    static final String VARIABLE = "AEGIS_SERVICE_ID";

    private final String marker;
    private final String entry;
    /** How many times {@code /proc} was scanned for the service: what a restart costs, for tests to count. */
    private final AtomicLong scans = new AtomicLong();

    /**
     * @param marker unique to one service of one state directory, so that two engines (each with its own state
     *     directory, see the engine's lock) never take each other's processes
     */
    ServiceProcesses(String marker) {
        this.marker = marker;
        this.entry = VARIABLE + "=" + marker;
    }

    /** {@code <12 hex digits of a hash of the service's state directory>/<service>}. */
    static ServiceProcesses forService(String serviceName, Path stateDirectory) {
        return new ServiceProcesses(hash(stateDirectory.toAbsolutePath().normalize().toString()) + "/" + serviceName);
    }

    /** The value of {@value #VARIABLE} for this service. */
    String marker() {
        return marker;
    }

    /**
     * The running processes (zombies excluded, this JVM excluded) that are in session {@code session} (when
     * given) or carry this service's marker; empty where there is no {@code /proc}.
     */
    List<ProcessHandle> find(OptionalLong session) {
        return find(session, 0);
    }

    /**
     * As {@link #find(OptionalLong)}, reading the environment only of processes that started at or after
     * {@code notBeforeTicks} (clock ticks since boot, as in /proc/<pid>/stat): everything a service ever forked
     * started after the process it forked from, and reading every process' environment is what makes a scan
     * cost (6–9 ms for 60 processes, ~100 ms for 1,000); the stat of each is cheap.
     */
    List<ProcessHandle> find(OptionalLong session, long notBeforeTicks) {
        scans.incrementAndGet();
        List<ProcessHandle> found = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        for (long pid : ProcFs.pids()) {
            if (pid == self) {
                continue;
            }
            ProcFs.Stat stat = ProcFs.stat(pid).orElse(null);
            if (stat == null || stat.isZombie()) {
                continue;
            }
            boolean member = (session.isPresent() && stat.session() == session.getAsLong())
                    || (stat.startTicks() >= notBeforeTicks && ProcFs.hasEnvironmentEntry(pid, entry));
            if (member) {
                ProcessHandle.of(pid).ifPresent(found::add);
            }
        }
        return found;
    }

    /** How many times {@link #find} scanned {@code /proc} so far. */
    long scans() {
        return scans.get();
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
