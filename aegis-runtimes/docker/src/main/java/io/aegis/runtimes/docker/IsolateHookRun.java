package io.aegis.runtimes.docker;

import io.aegis.api.Durations;
import io.aegis.plugin.support.ProcFs;
import io.aegis.plugin.support.ProcessTree;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@code runtime.isolate} hook of one service on the machine aegis runs on: the way to take a container
 * out of traffic that Docker cannot disconnect (network mode {@code host}), or to drain it from a load balancer
 * besides. Its output is logged within bounds; it is killed, with everything it started, when it overruns its
 * timeout or the runtime is closed.
 */
final class IsolateHookRun {
    private static final Logger LOG = LoggerFactory.getLogger(IsolateHookRun.class);

    /** Variables the hook gets besides aegis' own environment: which service, and its container. */
    static final String SERVICE_VARIABLE = "AEGIS_SERVICE";
    static final String CONTAINER_ID_VARIABLE = "AEGIS_CONTAINER_ID";
    static final String CONTAINER_NAME_VARIABLE = "AEGIS_CONTAINER_NAME";

    /**
     * Marks every process of one hook run in its environment, so that what it forked is found (and killed) also
     * once orphaned.
     */
    static final String MARKER_VARIABLE = "AEGIS_ISOLATE_HOOK_ID";

    /** Lines of one hook run that are logged; later ones are counted. */
    static final int MAX_LOGGED_LINES = 100;

    /** Characters of one line kept; the rest of the line is skipped. */
    static final int MAX_LINE_CHARS = 500;

    /** How long a hook that overran (or what it left behind) gets between SIGTERM and SIGKILL. */
    private static final Duration STOP_GRACE_PERIOD = Duration.ofSeconds(2);

    /** How long its output may go on after it ended (a background process holding the pipe was killed). */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);

    private final String serviceName;
    private final DockerRuntimeSettings.IsolateHook hook;
    private final Executor executor;
    private final Object lock = new Object();
    /** The hook while it runs, for {@link #close()}; null otherwise. Guarded by {@link #lock}. */
    private ProcessTree running;
    /** Guarded by {@link #lock}. */
    private boolean closed;

    IsolateHookRun(String serviceName, DockerRuntimeSettings.IsolateHook hook, Executor executor) {
        this.serviceName = serviceName;
        this.hook = hook;
        this.executor = executor;
    }

    /** The hook's key and command line, for the log: {@code runtime.isolate.command (drain web)}. */
    String describe() {
        return "runtime.isolate.command (" + String.join(" ", hook.command()) + ")";
    }

    /** How long a run may take: its timeout, then the grace period and the kill of what is left. */
    Duration longest() {
        return hook.timeout().plus(STOP_GRACE_PERIOD).plus(ProcessTree.KILL_TIMEOUT).plus(DRAIN_TIMEOUT);
    }

    /**
     * Runs the hook to its end, blocking the caller (a step on the runtime's executor).
     *
     * @throws DockerFailure when it cannot be started, exits with another code than 0, overruns its timeout or is
     *     killed because the runtime is closed
     */
    void run(String containerId, String containerName) {
        String marker = UUID.randomUUID().toString();
        ProcessBuilder builder = new ProcessBuilder(hook.command()).redirectErrorStream(true);
        builder.environment().put(SERVICE_VARIABLE, serviceName);
        builder.environment().put(CONTAINER_ID_VARIABLE, containerId);
        builder.environment().put(CONTAINER_NAME_VARIABLE, containerName);
        builder.environment().put(MARKER_VARIABLE, marker);
        String what = "the isolate hook of service \"" + serviceName + "\" (" + hook.keyPath() + ": "
                + String.join(" ", hook.command()) + ")";
        Process process;
        try {
            process = builder.start();
        } catch (IOException | RuntimeException e) {
            String reason = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage()
                    : String.valueOf(e.getMessage());
            throw new DockerFailure("cannot run " + what + ": " + reason + "; check " + hook.keyPath(), e);
        }
        try {
            process.getOutputStream().close(); // it reads nothing from aegis
        } catch (IOException e) {
            // nothing was written to it
        }
        long startTicks = ProcFs.stat(process.pid()).map(ProcFs.Stat::startTicks).orElse(0L);
        ProcessTree tree = ProcessTree.of(process, () -> marked(MARKER_VARIABLE + "=" + marker, startTicks));
        boolean closedMeanwhile;
        synchronized (lock) {
            closedMeanwhile = closed;
            if (!closedMeanwhile) {
                running = tree;
            }
        }
        if (closedMeanwhile) {
            tree.kill();
            throw new DockerFailure("cannot run " + what + ": its docker runtime is closed");
        }
        try {
            LOG.info("{}: running its isolate hook, pid {} ({})", serviceName, process.pid(),
                    String.join(" ", hook.command()));
            CompletableFuture<String> lastLine;
            try {
                lastLine = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()), executor);
            } catch (RejectedExecutionException e) {
                tree.kill();
                throw new DockerFailure("cannot run " + what + ": aegis is shutting down", e);
            }
            boolean finished;
            try {
                finished = process.waitFor(hook.timeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                tree.kill();
                throw new DockerFailure(what + " was interrupted and killed", e);
            }
            if (!finished) {
                LOG.warn("{}: its isolate hook did not finish within {}; killing it", serviceName,
                        Durations.format(hook.timeout()));
            }
            // Also what a finished hook left in the background: nothing of it outlives the step.
            if (!finished || !tree.running().isEmpty()) {
                try {
                    tree.terminateAndWait(STOP_GRACE_PERIOD, () -> LOG.warn("{}: its isolate hook ignored SIGTERM;"
                            + " killed", serviceName));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    tree.kill();
                }
            }
            String last = lastLine.completeOnTimeout("", DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
            String said = last.isEmpty() ? "; it printed nothing" : "; its last line of output: \"" + last + "\"";
            if (!finished) {
                throw new DockerFailure(what + " did not finish within " + Durations.format(hook.timeout())
                        + " and was killed" + said + "; make it finish sooner or raise "
                        + hook.keyPath().replaceFirst("command$", "timeout"));
            }
            int exitCode = process.exitValue();
            boolean killedByClose;
            synchronized (lock) {
                killedByClose = closed;
            }
            if (exitCode != 0 && killedByClose) {
                throw new DockerFailure(what + " was killed because its docker runtime was closed while it ran"
                        + said);
            }
            if (exitCode != 0) {
                throw new DockerFailure(what + " failed with exit code " + exitCode + said + "; the container was"
                        + " kept running");
            }
            LOG.info("{}: its isolate hook succeeded", serviceName);
        } finally {
            synchronized (lock) {
                if (running == tree) {
                    running = null;
                }
            }
        }
    }

    /** Kills a running hook with everything it started, and refuses later runs. */
    void close() {
        ProcessTree tree;
        synchronized (lock) {
            closed = true;
            tree = running;
        }
        if (tree != null) {
            LOG.warn("{}: killing its isolate hook because its runtime is closed while it runs", serviceName);
            tree.kill();
        }
    }

    /**
     * The running processes (zombies and this JVM excluded) that started at or after {@code notBeforeTicks} and
     * carry {@code entry} in their environment; empty where there is no {@code /proc}.
     */
    private static List<ProcessHandle> marked(String entry, long notBeforeTicks) {
        List<ProcessHandle> found = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        for (long pid : ProcFs.pids()) {
            if (pid == self) {
                continue;
            }
            ProcFs.Stat stat = ProcFs.stat(pid).orElse(null);
            if (stat != null && !stat.isZombie() && stat.startTicks() >= notBeforeTicks
                    && ProcFs.hasEnvironmentEntry(pid, entry)) {
                ProcessHandle.of(pid).ifPresent(found::add);
            }
        }
        return found;
    }

    /**
     * Logs the hook's output as {@code <service>: isolate hook: <line>}, the first {@link #MAX_LOGGED_LINES} lines
     * each cut at {@link #MAX_LINE_CHARS} characters; the rest is read (so the hook never blocks on a full pipe) and
     * counted. Returns its last line that is not blank, or "".
     */
    private String drain(InputStream output) {
        StringBuilder line = new StringBuilder();
        boolean cut = false;
        long lines = 0;
        String last = "";
        try (Reader reader = new InputStreamReader(output, StandardCharsets.UTF_8)) {
            char[] buffer = new char[8192];
            for (int n = reader.read(buffer); n >= 0; n = reader.read(buffer)) {
                for (int i = 0; i < n; i++) {
                    char c = buffer[i];
                    if (c != '\n') {
                        if (line.length() < MAX_LINE_CHARS) {
                            line.append(c);
                        } else {
                            cut = true;
                        }
                        continue;
                    }
                    last = endLine(line, cut, lines++, last);
                    line.setLength(0);
                    cut = false;
                }
            }
        } catch (IOException e) {
            // The pipe closes when the hook is killed; what was read so far is what there is.
        }
        if (line.length() > 0 || cut) {
            last = endLine(line, cut, lines++, last);
        }
        if (lines > MAX_LOGGED_LINES) {
            LOG.warn("{}: isolate hook: {} more lines of output not logged (only the first {} are)", serviceName,
                    lines - MAX_LOGGED_LINES, MAX_LOGGED_LINES);
        }
        return last;
    }

    private String endLine(StringBuilder line, boolean cut, long index, String last) {
        String text = line.toString().replaceFirst("\r$", "");
        if (cut) {
            text = text + "... (line cut at " + MAX_LINE_CHARS + " characters)";
        }
        if (index < MAX_LOGGED_LINES) {
            LOG.info("{}: isolate hook: {}", serviceName, text);
        }
        return text.isBlank() ? last : text.strip();
    }
}
