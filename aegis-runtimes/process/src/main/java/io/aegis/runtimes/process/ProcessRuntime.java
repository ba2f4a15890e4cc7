package io.aegis.runtimes.process;

import io.aegis.api.Durations;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.WorkloadListener;
import io.aegis.api.WorkloadStatus;
import io.aegis.plugin.support.ProcFs;
import io.aegis.plugin.support.ProcessTree;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Runs one service as a child process of the engine; created by {@link ProcessRuntimeFactory}.
 *
 * <p>Each start creates a new <em>run</em>: the process and whether its end was asked for. Only the current
 * run's exit is reported to the {@link WorkloadListener} as a crash, and only when nobody asked for it, so neither a
 * stop nor the old process of a restart looks like a crash; a process that had ended on its own before a stop or
 * restart was asked for is told of as an end before the stop ({@link WorkloadListener#workloadExitedBeforeStop}).
 *
 * <p>Start, stop and restart are queued and run one after another in call order, so a stop called right
 * after a start stops the process that start launches instead of racing it. {@link #status()} and
 * {@link #close()} do not queue. State is guarded by one lock that is never held while waiting.
 *
 * <p>Aegis owns the process tree (see {@link ServiceProcesses}): on Linux each process leads a session of its own
 * ({@code setsid}), so a Ctrl-C to aegis' terminal never reaches it, and carries the service's marker; stop and
 * kill take the whole group; when the process exits, what it left is stopped before the exit is reported (so a
 * restart never meets an orphan on its port); and each start records the process in the state directory and
 * first replaces what a killed aegis or the previous run left ({@link LeftoverProcesses}).
 *
 * <p>{@link #rollback()} stops the process and starts {@code rollback.command}, the previous known-good release, once:
 * every later start and restart runs that release too, until this runtime is closed (aegis restarts, or the
 * service is reconfigured). {@link #isolate()} runs the optional {@code isolate.command} hook and leaves the
 * process running; the hook leads a session of its own and is killed, with what it started, when it overruns
 * {@code isolate.timeout} or the runtime is closed.
 */
final class ProcessRuntime implements RuntimeAdapter {

    private static final System.Logger LOG = System.getLogger(ProcessRuntime.class.getName());

    /** Variables the isolate hook gets besides the service's {@code env}: which service, and its process. */
    static final String HOOK_SERVICE_NAME = "AEGIS_SERVICE_NAME";
    static final String HOOK_SERVICE_PID = "AEGIS_SERVICE_PID";

    /** How long an isolate hook that overran, or what it left behind, gets between SIGTERM and SIGKILL. */
    static final Duration HOOK_STOP_GRACE_PERIOD = Duration.ofSeconds(1);

    /**
     * How long the end of a process's output waits for its exit to be known before leaving it to
     * {@link Process#onExit()}: the JDK's reaper has it at once when the output ended because the process died.
     */
    static final Duration OUTPUT_END_TO_EXIT = Duration.ofMillis(100);

    /** How long after a launch the spare output pipe for the next one is made (see {@link ServiceOutput}). */
    static final Duration SPARE_PIPE_DELAY = Duration.ofSeconds(1);

    /** The longest line of the hook's output quoted in a failure message; the rest is in the log. */
    private static final int MAX_QUOTED_LINE = 300;

    /** How the JDK words a failed exec: {@code error=2, No such file or directory}. */
    private static final Pattern ERRNO_PREFIX = Pattern.compile("^error=\\d+,\\s*");

    private final String serviceName;
    private final ProcessRuntimeSettings settings;
    private final WorkloadListener listener;
    private final Executor blockingExecutor;
    private final Path stateDirectory;
    /** The {@code setsid} program, or null where processes cannot get sessions of their own. */
    private final String setsid;
    private final ServiceProcesses processes;
    /**
     * The isolate hook's processes: a marker of their own, so that stopping the service (or cleaning up after its
     * crash) never takes a running hook for a leftover of the service, nor the reverse.
     */
    private final ServiceProcesses hookProcesses;
    private final ServiceOutput output;

    private final Object lock = new Object();
    /** The last run started, or null before the first start. Guarded by {@link #lock}. */
    private Run current;
    /** The last queued operation; the next one starts when it ends. Guarded by {@link #lock}. */
    private CompletableFuture<Void> lastOperation = CompletableFuture.completedFuture(null);
    /** Guarded by {@link #lock}. */
    private boolean closed;
    /** Whether a start is under way (leftovers being replaced, process being launched). Guarded by {@link #lock}. */
    private boolean launching;
    /**
     * Stops called and not yet run. A start that finds one waiting behind it (aegis is shutting down while the
     * start replaces leftovers) launches nothing: the process would only be stopped again, after a grace period.
     * Guarded by {@link #lock}.
     */
    private int stopsQueued;
    /** Whether a process was launched before: the first launch replaces what a previous aegis left. */
    private boolean launchedBefore;
    /**
     * What a start runs: {@code command}, or {@code rollback.command} once {@link #rollback()} was called. Guarded by
     * {@link #lock}.
     */
    private ProcessRuntimeSettings.ConfiguredCommand release;
    /** Whether {@link #release} is the rollback release already. Guarded by {@link #lock}. */
    private boolean rolledBack;
    /**
     * With {@code rollback.releases}: the release id this runtime repointed {@code current} to, or null. Guarded by
     * {@link #lock}.
     */
    private String rolledBackToRelease;
    /** A file in the state directory while an isolate hook runs: the next aegis looks for leftovers only then. */
    static final String HOOK_MARK = "isolate-hook.running";

    /** Whether {@link #stop()} killed the running isolate hook. Guarded by {@link #lock}. */
    private boolean hookKilledByStop;
    /** The isolate hook while it runs, for {@link #close()} to kill; null otherwise. Guarded by {@link #lock}. */
    private ProcessTree runningHook;

    ProcessRuntime(String serviceName, ProcessRuntimeSettings settings, WorkloadListener listener,
            Executor blockingExecutor, Path stateDirectory, String setsid) {
        this.serviceName = serviceName;
        this.settings = settings;
        this.listener = listener;
        this.blockingExecutor = blockingExecutor;
        this.stateDirectory = stateDirectory;
        this.setsid = setsid;
        this.processes = ServiceProcesses.forService(serviceName, stateDirectory);
        this.hookProcesses = hookProcesses(processes.marker());
        this.output = new ServiceOutput(serviceName, settings, LOG);
        this.release = new ProcessRuntimeSettings.ConfiguredCommand(settings.command(), settings.commandKeyPath());
    }

    private void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "{0}: cannot delete {1}: {2}", serviceName, file, e.getMessage());
        }
    }

    /** The processes of the isolate hook of the service whose processes carry {@code serviceMarker}. */
    static ServiceProcesses hookProcesses(String serviceMarker) {
        return new ServiceProcesses(serviceMarker + ":isolate-hook");
    }

    /** One launched process and whether its end was requested. */
    private static final class Run {
        final Process process;
        /** The session it leads, when it was started with {@code setsid}. */
        final OptionalLong session;
        /** When it started (ticks since boot; 0 where unknown): what it forks started later. */
        final long startTicks;
        /** The command line it runs (the service's own or its rollback release). */
        final List<String> command;
        /** With {@code rollback.releases}: the id of the release {@code current} pointed to when it started. */
        final Optional<String> release;
        /** Guarded by the adapter's lock. */
        boolean stopRequested;
        /**
         * Whether its process had already ended, on its own, when the stop was asked for (a failed check restarting
         * a process that had just crashed): its end is then told as one before the stop. Guarded by the adapter's lock.
         */
        boolean endedBeforeStop;
        /** Whether its end was told, or found not to be told: once per run. Guarded by the adapter's lock. */
        boolean endTold;
        /**
         * Whether nothing of the run runs any more: its process has exited and what it left was looked for and is
         * gone (or was stopped). A restart then needs neither to signal the run nor to look for leftovers again:
         * a group with no process left cannot fork one. Guarded by the adapter's lock.
         */
        boolean treeGone;
        /**
         * Whether a later run is being launched: everything of this run was seen gone (or stopped) before that, so
         * whatever now carries the service's marker belongs to the later run. A stop of this run still in flight (the
         * exit handling's, racing a restart asked for by a failed check) must not take it for a leftover of this run
         * (hostile F5: it SIGTERMed the fresh process). Guarded by the adapter's lock.
         */
        boolean superseded;
        /** Whether its exit was handled: the end of its output or the JDK's onExit, whichever comes first. */
        final AtomicBoolean exitHandled = new AtomicBoolean();

        Run(Process process, OptionalLong session, List<String> command, Optional<String> release) {
            this.process = process;
            this.session = session;
            this.command = command;
            this.release = release;
            this.startTicks = ProcFs.stat(process.pid()).map(ProcFs.Stat::startTicks).orElse(0L);
        }
    }

    @Override
    public CompletionStage<Void> start() {
        return enqueue(this::startNow);
    }

    /** A restart may take the whole grace period, then the kill, then a new start: never cut that short. */
    @Override
    public Duration operationTimeout() {
        Duration longest = settings.stopGracePeriod().compareTo(settings.isolateTimeout()) > 0
                ? settings.stopGracePeriod() : settings.isolateTimeout();
        Duration needed = longest.plus(Duration.ofSeconds(30));
        return needed.compareTo(Duration.ofMinutes(2)) > 0 ? needed : Duration.ofMinutes(2);
    }

    /** Start, stop, restart and isolate always; rollback only when {@code rollback.command} is configured. */
    @Override
    public Set<RuntimeOperation> supportedOperations() {
        Set<RuntimeOperation> operations = EnumSet.of(RuntimeOperation.START, RuntimeOperation.STOP,
                RuntimeOperation.RESTART, RuntimeOperation.ISOLATE);
        if (settings.rollbackCommand().isPresent() || settings.rollbackReleases().isPresent()) {
            operations.add(RuntimeOperation.ROLLBACK);
        }
        return operations;
    }

    /**
     * Stops the process (gracefully, as a restart does) and starts {@code rollback.command} in its place; from then
     * on every start and restart runs that release, until the runtime is closed. Fails at once, changing nothing,
     * when the service declares no rollback release or already runs it (nothing older is known).
     *
     * <p>With {@code rollback.releases} instead, repoints {@code current} to the previous release (see
     * {@link ReleaseLayout}) and restarts the service, which runs through that link; it fails, changing nothing, when
     * no older release is there, or when {@code current} still points to the release this runtime rolled back to.
     */
    @Override
    public CompletionStage<Void> rollback() {
        return enqueue(() -> {
            if (settings.rollbackReleases().isPresent()) {
                ReleaseLayout layout = new ReleaseLayout(settings.rollbackReleases().get());
                // Files first, on the runtime's pool: a layout that cannot be repointed must not cost a stop.
                return CompletableFuture.runAsync(() -> repointCurrent(layout), blockingExecutor)
                        .thenCompose(ignored -> stopNow())
                        .thenCompose(ignored -> startNow());
            }
            ProcessRuntimeSettings.ConfiguredCommand previous = settings.rollbackCommand().orElse(null);
            if (previous == null) {
                return CompletableFuture.failedFuture(new UnsupportedOperationException("cannot roll back service \""
                        + serviceName + "\": it declares no previous release; set runtime.rollback.command to the"
                        + " command line of its last known-good release"));
            }
            synchronized (lock) {
                if (rolledBack) {
                    return CompletableFuture.failedFuture(new IllegalStateException("cannot roll back service \""
                            + serviceName + "\" again: it already runs its rollback release (" + previous.keyPath()
                            + ": " + String.join(" ", previous.words()) + ") and no older release is known"));
                }
                rolledBack = true;
                release = previous;
            }
            LOG.log(Level.WARNING, "{0}: rolling back to its previous release ({1}); restarts run it from now on",
                    serviceName, String.join(" ", previous.words()));
            return stopNow().thenCompose(ignored -> startNow());
        });
    }

    /**
     * Runs the {@code isolate.command} hook, if any, and leaves the process running for a person to look at; a crash
     * of it is still reported. Fails, with the hook's exit code and last line of output, when the hook fails or
     * overruns {@code isolate.timeout} (it is killed then, with everything it started).
     */
    @Override
    public CompletionStage<Void> isolate() {
        return enqueue(this::isolateNow);
    }

    @Override
    public CompletionStage<Void> stop() {
        ProcessTree hook;
        synchronized (lock) {
            stopsQueued++;
            hook = runningHook;
            if (hook != null) {
                hookKilledByStop = true;
            }
        }
        if (hook != null) {
            // The stop waits in line behind the isolate step: without this it waited for the hook's whole
            // isolate.timeout, and a shutdown with it (a supervisor's SIGKILL then left the service running).
            LOG.log(Level.WARNING, "{0}: killing its isolate hook because the service is being stopped", serviceName);
            hook.kill();
        }
        return enqueue(() -> {
            synchronized (lock) {
                stopsQueued--;
            }
            return stopNow();
        });
    }

    /** One queued operation, so nothing can slip in between its stop and its start. */
    @Override
    public CompletionStage<Void> restart() {
        return enqueue(() -> stopNow().thenCompose(ignored -> startNow()));
    }

    @Override
    public CompletionStage<WorkloadStatus> status() {
        WorkloadStatus status;
        // Under the lock, so a stop requested as the process ends is never mistaken for a crash.
        synchronized (lock) {
            if (launching) {
                // Not running yet, and not UNKNOWN ("cannot tell"): leftovers of a killed aegis may serve the
                // service's endpoint meanwhile (for the whole stopGracePeriod when they ignore SIGTERM), and a
                // check that passes then must not call the service HEALTHY.
                status = new WorkloadStatus(WorkloadStatus.State.STOPPED, OptionalLong.empty(), OptionalInt.empty(),
                        "not started yet");
            } else if (current == null) {
                status = WorkloadStatus.stopped();
            } else if (current.process.isAlive()) {
                status = withRelease(WorkloadStatus.running(current.process.pid()), current);
            } else if (current.stopRequested) {
                status = WorkloadStatus.stopped();
            } else {
                status = exitStatus(current);
            }
        }
        return CompletableFuture.completedFuture(status);
    }

    /**
     * Kills the process and its descendants at once if they still run (the engine normally stops them
     * gracefully first), and refuses every later start.
     */
    @Override
    public void close() {
        Run run;
        ProcessTree hook;
        synchronized (lock) {
            closed = true;
            run = current;
            if (run != null) {
                run.stopRequested = true;
            }
            hook = runningHook;
        }
        if (hook != null) {
            LOG.log(Level.WARNING, "{0}: killing its isolate hook because its runtime is closed while it runs",
                    serviceName);
            hook.kill();
        }
        if (run != null && run.process.isAlive()) {
            LOG.log(Level.WARNING, "{0}: killing pid {1} because its runtime is closed while it still runs",
                    serviceName, Long.toString(run.process.pid()));
            tree(run).kill();
        }
        output.close();
    }

    /** Closes the log file; the next output opens it again at its path (logrotate has renamed it). */
    @Override
    public void reopenLogs() {
        output.reopen();
    }

    /**
     * The file the service's stdout and stderr go to, for the engine's log analysis; it follows the rotations
     * ({@code logFile} renamed to {@code logFile.1}) itself.
     */
    @Override
    public java.util.List<java.nio.file.Path> logFiles() {
        return java.util.List.of(settings.logFile());
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "ProcessRuntime[" + serviceName + ": " + String.join(" ", release.words()) + "]";
        }
    }

    /** The service's processes, for tests. */
    ServiceProcesses processes() {
        return processes;
    }

    /** Runs {@code task} on the runtime's pool; on the calling thread when the pool is shut down (the engine closes). */
    private void runBlocking(Runnable task) {
        try {
            blockingExecutor.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    /** Runs {@code operation} after every operation queued before it, whether those succeeded or not. */
    private CompletionStage<Void> enqueue(Supplier<CompletableFuture<Void>> operation) {
        CompletableFuture<Void> result;
        synchronized (lock) {
            result = lastOperation.handle((ignored, failure) -> null).thenCompose(ignored -> operation.get());
            lastOperation = result;
        }
        // A copy, so a caller that cancels or times out its stage cannot reorder the queue.
        return result.copy();
    }

    private CompletableFuture<Void> startNow() {
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(closedError());
            }
            if (current != null && current.process.isAlive()) {
                return CompletableFuture.completedFuture(null);
            }
            launching = true;
        }
        // fork/exec, the named pipe and leftovers touch the disk and wait: the runtime's own pool is the place for that.
        return CompletableFuture.runAsync(() -> {
            try {
                launch();
            } finally {
                synchronized (lock) {
                    launching = false;
                }
            }
        }, blockingExecutor);
    }

    private void launch() {
        if (!launchedBefore) {
            boolean hookRuns;
            synchronized (lock) {
                hookRuns = runningHook != null;
            }
            // An aegis killed while the hook ran left it: it would run on unsupervised, past its timeout. The mark
            // spares every start the cost of reading all processes' environment (it adds up over a large fleet).
            Path mark = stateDirectory.resolve(HOOK_MARK);
            if (!hookRuns && Files.exists(mark)) {
                LeftoverProcesses.stopHooks(serviceName, hookProcesses, HOOK_STOP_GRACE_PERIOD);
                deleteQuietly(mark);
            }
        }
        boolean previousGone;
        synchronized (lock) {
            previousGone = current != null && current.treeGone;
        }
        // After the first launch, leftovers can only come from the previous run: none when it was seen to be gone
        // (the usual restart, whether after a crash or a stop), which spares the restart a scan of /proc that reads
        // every process' environment.
        if (!launchedBefore || !previousGone) {
            LeftoverProcesses.stop(serviceName, stateDirectory, processes, settings.stopGracePeriod(), !launchedBefore);
        }
        launchedBefore = true;
        ProcessRuntimeSettings.ConfiguredCommand configured;
        synchronized (lock) {
            if (stopsQueued > 0) {
                LOG.log(Level.INFO, "{0}: not starting it: a stop was asked for meanwhile", serviceName);
                return;
            }
            configured = release;
        }
        List<String> command = sessionCommand(configured.words());
        OutputPipe pipe = outputPipe();
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                // Copied to the log file by a pump of ours, which rotates it: appended by the OS, it grew unbounded.
                .redirectOutput(pipe == null ? ProcessBuilder.Redirect.DISCARD : pipe.redirect())
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        settings.workingDirectory().ifPresent(dir -> builder.directory(dir.toFile()));
        builder.environment().putAll(settings.environment());
        builder.environment().put(ServiceProcesses.VARIABLE, processes.marker());
        // Read just before the start: a deploy that repoints current later is not what this process runs.
        Optional<String> release = currentRelease();
        synchronized (lock) {
            // Before the fork: from here on a look at /proc for the previous run may see the new process.
            if (current != null) {
                current.superseded = true;
            }
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException | RuntimeException e) {
            if (pipe != null) {
                pipe.close();
            }
            throw new CompletionException(new IOException(startFailure(configured, e), e));
        }
        if (pipe != null) {
            output.pump(pipe, process);
        }
        closeStandardInput(process);
        // setsid executes the command in place (a child of the JVM never leads a group, so it need not fork):
        // the process keeps its pid, which is also its session's id.
        boolean ownSession = !command.equals(configured.words());
        Run run = new Run(process, ownSession ? OptionalLong.of(process.pid()) : OptionalLong.empty(),
                configured.words(), release);
        boolean closedMeanwhile;
        synchronized (lock) {
            closedMeanwhile = closed;
            if (!closedMeanwhile) {
                current = run;
            }
        }
        if (closedMeanwhile) {
            tree(run).kill();
            throw new CompletionException(closedError());
        }
        writeRecord(run);
        // Registered after the run became current, so the check in exited() sees it. Usually the end of the output
        // comes first: the pump's thread sees the pipe close when the process dies, waits for the JDK's reaper (which
        // has the exit code at once) and handles the exit itself. Process.onExit() goes through the JDK's common pool
        // (one thread on 2 cores, handleAsync) and then to the runtime's pool: two more hand-offs before the restart.
        // onExit stays for an exit the output does not show (a process that closed its output, or a descendant that
        // still holds the pipe); on the runtime's pool, as exited() reads /proc, which must not hold up the common pool.
        output.whenOutputEnds(process).thenRun(() -> {
            if (exitedWithin(process, OUTPUT_END_TO_EXIT)) {
                exitedOnce(run);
            }
        });
        process.onExit().thenRun(() -> runBlocking(() -> exitedOnce(run)));
        // Off this launch's path: the pipe for the next one, so that a restart after a crash need not fork mkfifo.
        // A second later: forked now, mkfifo would compete with the service's own start for the CPU.
        CompletableFuture.delayedExecutor(SPARE_PIPE_DELAY.toMillis(), TimeUnit.MILLISECONDS)
                .execute(() -> runBlocking(this::prepareSparePipe));
        LOG.log(Level.INFO, "{0}: started pid {1} ({2}), output to {3}", serviceName, Long.toString(process.pid()),
                String.join(" ", run.command), pipe == null ? "nowhere (discarded)" : settings.logFile());
    }

    /** Makes the next launch's pipe, unless the runtime was closed meanwhile (no file made after shutdown). */
    private void prepareSparePipe() {
        synchronized (lock) {
            if (closed) {
                return;
            }
        }
        output.prepareSpare();
    }

    private CompletableFuture<Void> stopNow() {
        Run run;
        boolean gone;
        synchronized (lock) {
            run = current;
            if (run == null) {
                return CompletableFuture.completedFuture(null);
            }
            // Not running means it ended before this stop; a zombie too (the JDK reaps it on a thread of its own,
            // which a loaded machine may not have run yet).
            run.endedBeforeStop = !run.endTold && !ProcFs.isRunning(run.process.toHandle());
            run.stopRequested = true;
            gone = run.treeGone;
        }
        Process process = run.process;
        if (gone) {
            // The restart after a crash: exited() saw the process end and nothing of it left, so there is nothing to
            // signal and no /proc to scan again; only its last output to wait for.
            return output.drained(process).thenRun(() -> deleteRecord(run));
        }
        if (!process.isAlive()) {
            // It crashed and a failed check asked for the restart before exited() had looked at what it left: one
            // look, as exited() does, rather than the three of a tree's terminate.
            return CompletableFuture.supplyAsync(() -> leftAfterExit(run), blockingExecutor)
                    .thenCompose(left -> left.isEmpty() ? CompletableFuture.<Void>completedFuture(null)
                            : terminate(run))
                    .thenCompose(stopped -> {
                        markTreeGone(run);
                        return output.drained(process);
                    })
                    .thenRun(() -> deleteRecord(run));
        }
        return terminate(run)
                // Its last words (a shutdown message) are in the log file once the stop completes.
                .thenCompose(stopped -> {
                    markTreeGone(run);
                    return output.drained(process);
                })
                .thenRun(() -> deleteRecord(run));
    }

    /** SIGTERM to the run's process and everything of it, SIGKILL after the grace period; done when none runs. */
    private CompletableFuture<Void> terminate(Run run) {
        Process process = run.process;
        return tree(run).terminate(settings.stopGracePeriod(), () -> LOG.log(Level.WARNING,
                "{0}: pid {1} did not exit within {2} of SIGTERM; killing it and the rest of its process group",
                serviceName, Long.toString(process.pid()), Durations.format(settings.stopGracePeriod())));
    }

    /** Repoints the layout's {@code current} to the previous release, or throws saying why it cannot. */
    private void repointCurrent(ReleaseLayout layout) {
        String cannot = "cannot roll back service \"" + serviceName + "\"";
        String from;
        String to;
        try {
            from = layout.currentId();
            synchronized (lock) {
                if (from.equals(rolledBackToRelease)) {
                    throw new IllegalStateException(cannot + " again: aegis already rolled it back to release " + from
                            + " (" + layout.current() + " points to it) and rolls back once; deploy a fixed release,"
                            + " or repoint the link by hand");
                }
            }
            to = layout.repointToPrevious();
        } catch (IOException e) {
            throw new IllegalStateException(cannot + ": " + e.getMessage(), e);
        } catch (ReleaseLayout.NoOlderRelease e) {
            throw new IllegalStateException(cannot + ": " + e.getMessage());
        }
        synchronized (lock) {
            rolledBackToRelease = to;
        }
        LOG.log(Level.WARNING, "{0}: rolling back from release {1} to its previous release {2} ({3} now points to it);"
                + " restarting", serviceName, from, to, layout.current());
    }

    private CompletableFuture<Void> isolateNow() {
        OptionalLong pid;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("cannot isolate service \""
                        + serviceName + "\": its process runtime is closed"));
            }
            pid = current != null && current.process.isAlive() ? OptionalLong.of(current.process.pid())
                    : OptionalLong.empty();
        }
        String which = pid.isPresent() ? "pid " + pid.getAsLong() + " keeps running" : "no process of it runs";
        if (settings.isolateCommand().isEmpty()) {
            LOG.log(Level.WARNING, "{0}: isolated: no runtime.isolate.command takes it out of traffic; {1}",
                    serviceName, which);
            return CompletableFuture.completedFuture(null);
        }
        ProcessRuntimeSettings.ConfiguredCommand hook = settings.isolateCommand().get();
        return CompletableFuture.supplyAsync(() -> launchHook(hook, pid), blockingExecutor)
                .thenCompose(launched -> awaitHook(hook, launched))
                .thenRun(() -> LOG.log(Level.WARNING, "{0}: isolated: its isolate hook succeeded; {1}", serviceName,
                        stillRunning(pid)));
    }

    /** What became of the process the hook was told about, once the hook is done: it may have ended meanwhile. */
    private String stillRunning(OptionalLong pid) {
        if (pid.isEmpty()) {
            return "no process of it runs";
        }
        synchronized (lock) {
            boolean same = current != null && current.process.pid() == pid.getAsLong() && current.process.isAlive();
            return same ? "pid " + pid.getAsLong() + " keeps running"
                    : "pid " + pid.getAsLong() + " ended while the hook ran; no process of it runs";
        }
    }

    /** A running isolate hook: its process tree and the last line it printed, once its output has ended. */
    private record Hook(Process process, ProcessTree tree, CompletableFuture<String> lastLine) {
    }

    private Hook launchHook(ProcessRuntimeSettings.ConfiguredCommand hook, OptionalLong pid) {
        List<String> command = sessionCommand(hook.words());
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        settings.workingDirectory().ifPresent(dir -> builder.directory(dir.toFile()));
        builder.environment().putAll(settings.environment());
        builder.environment().put(HOOK_SERVICE_NAME, serviceName);
        builder.environment().put(HOOK_SERVICE_PID, pid.isPresent() ? Long.toString(pid.getAsLong()) : "");
        builder.environment().put(ServiceProcesses.VARIABLE, hookProcesses.marker());
        Process process;
        try {
            process = builder.start();
        } catch (IOException | RuntimeException e) {
            String reason = e.getCause() != null && e.getCause().getMessage() != null
                    ? ERRNO_PREFIX.matcher(e.getCause().getMessage()).replaceFirst("") : String.valueOf(e.getMessage());
            throw new CompletionException(new IOException("cannot run the isolate hook \"" + hook.words().get(0)
                    + "\" of service \"" + serviceName + "\": " + reason + " (check " + hook.keyPath() + ")", e));
        }
        closeStandardInput(process);
        OptionalLong session = command.equals(hook.words()) ? OptionalLong.empty() : OptionalLong.of(process.pid());
        long startTicks = ProcFs.stat(process.pid()).map(ProcFs.Stat::startTicks).orElse(0L);
        ProcessTree tree = ProcessTree.of(process, () -> hookProcesses.find(session, startTicks));
        boolean closedMeanwhile;
        synchronized (lock) {
            closedMeanwhile = closed;
            if (!closedMeanwhile) {
                runningHook = tree;
                hookKilledByStop = false;
            }
        }
        if (closedMeanwhile) {
            tree.kill();
            throw new CompletionException(new IllegalStateException("cannot isolate service \"" + serviceName
                    + "\": its process runtime is closed"));
        }
        try {
            Files.writeString(stateDirectory.resolve(HOOK_MARK), Long.toString(process.pid()));
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "{0}: cannot mark its isolate hook as running: {1}", serviceName, e.getMessage());
        }
        LOG.log(Level.INFO, "{0}: running its isolate hook, pid {1} ({2})", serviceName,
                Long.toString(process.pid()), String.join(" ", hook.words()));
        CompletableFuture<String> lastLine = CompletableFuture.supplyAsync(() -> logHookOutput(process),
                blockingExecutor);
        return new Hook(process, tree, lastLine);
    }

    /** Logs what the hook prints, within bounds (see {@link HookOutput}); returns its last line that is not blank. */
    private String logHookOutput(Process process) {
        String last = HookOutput.drain(process.getInputStream(), LOG, serviceName, "isolate hook");
        return last.length() > MAX_QUOTED_LINE ? last.substring(0, MAX_QUOTED_LINE) + "..." : last;
    }

    /**
     * Waits for the hook up to {@code isolate.timeout}, kills it (and what it left running) when it overran, and
     * completes exceptionally, quoting its exit code and last line of output, unless it exited with 0.
     */
    private CompletableFuture<Void> awaitHook(ProcessRuntimeSettings.ConfiguredCommand hook, Hook running) {
        Duration timeout = settings.isolateTimeout();
        return running.process().onExit().copy()
                .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
                .handle((exited, failure) -> failure == null)
                .thenCompose(finished -> {
                    if (!finished) {
                        LOG.log(Level.WARNING, "{0}: its isolate hook did not finish within {1}; killing it",
                                serviceName, Durations.format(timeout));
                    }
                    // Also what a finished hook left in the background: nothing of it outlives the step.
                    boolean anythingLeft = !finished || !running.tree().running().isEmpty();
                    CompletableFuture<Void> cleanedUp = anythingLeft
                            ? running.tree().terminate(HOOK_STOP_GRACE_PERIOD, () -> { })
                            : CompletableFuture.completedFuture(null);
                    return cleanedUp
                            .handle((ignored, failure) -> null)
                            .thenCompose(ignored -> running.lastLine().copy()
                                    .completeOnTimeout("", ServiceOutput.DRAIN_TIMEOUT.toMillis(),
                                            TimeUnit.MILLISECONDS))
                            .thenCompose(lastLine -> hookOutcome(hook, running.process(), finished, lastLine));
                })
                .whenComplete((ignored, failure) -> {
                    synchronized (lock) {
                        if (runningHook == running.tree()) {
                            runningHook = null;
                        }
                    }
                    deleteQuietly(stateDirectory.resolve(HOOK_MARK));
                });
    }

    private CompletableFuture<Void> hookOutcome(ProcessRuntimeSettings.ConfiguredCommand hook, Process process,
            boolean finished, String lastLine) {
        String said = lastLine.isEmpty() ? "; it printed nothing" : "; its last line of output: \"" + lastLine + "\"";
        String what = "the isolate hook of service \"" + serviceName + "\" (" + hook.keyPath() + ": "
                + String.join(" ", hook.words()) + ")";
        if (!finished) {
            return CompletableFuture.failedFuture(new TimeoutException(what + " did not finish within "
                    + Durations.format(settings.isolateTimeout()) + " and was killed" + said
                    + "; make it finish sooner or raise " + hook.keyPath().replaceFirst("command$", "timeout")));
        }
        int exitCode = process.exitValue();
        boolean killedByStop;
        synchronized (lock) {
            killedByStop = hookKilledByStop;
        }
        if (exitCode != 0 && killedByStop) {
            return CompletableFuture.failedFuture(new IllegalStateException(what
                    + " was killed because the service was stopped while it ran" + said));
        }
        if (exitCode != 0) {
            return CompletableFuture.failedFuture(new IllegalStateException(what + " failed with exit code "
                    + exitCode + said));
        }
        return CompletableFuture.completedFuture(null);
    }

    private void exitedOnce(Run run) {
        if (run.exitHandled.compareAndSet(false, true)) {
            exited(run);
        }
    }

    /** Whether {@code process} has exited or does within {@code timeout} (the JDK's reaper sets it). */
    private static boolean exitedWithin(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Called once per run when its process has ended; tells the listener unless the end was asked for (as one before
     * the stop when it ended on its own first).
     */
    private void exited(Run run) {
        boolean unexpected;
        boolean endedBeforeStop;
        synchronized (lock) {
            unexpected = run == current && !run.stopRequested && !closed;
            endedBeforeStop = run.endedBeforeStop;
        }
        if (!unexpected) {
            if (endedBeforeStop) {
                // What it left is the stop's to look for and end.
                tellEnd(run, exitStatus(run), true);
            }
            return;
        }
        WorkloadStatus status = exitStatus(run);
        List<ProcessHandle> left = leftAfterExit(run);
        if (!left.isEmpty()) {
            stopWhatTheRunLeft(run, status, left);
            return;
        }
        markTreeGone(run);
        deleteRecord(run);
        tellEnd(run, status, true);
    }

    /**
     * Tells the listener of the run's end, once: as a crash while the run is still the current one and nobody asked it
     * to stop; as an end before the stop when it had ended on its own before a stop or restart was asked for (a failed
     * check can have the engine restart a crashed process while {@link #exited} looks at what it left, and that old end
     * must not read as the new process dying: "restart (attempt 1) did not make the service healthy: workload exited:
     * pid <the old one>", seen in EngineTest under load); not at all when the end was asked for. Under the lock, which
     * the listener does not take (it hands the news on), so that no stop or restart comes between the look and the
     * report.
     */
    private void tellEnd(Run run, WorkloadStatus status, boolean log) {
        synchronized (lock) {
            if (run.endTold || closed) {
                return;
            }
            run.endTold = true;
            if (run == current && !run.stopRequested) {
                if (log) {
                    LOG.log(Level.WARNING, "{0}: {1} unexpectedly", serviceName, status.description());
                }
                report(status);
            } else if (run.endedBeforeStop) {
                LOG.log(Level.WARNING, "{0}: {1} unexpectedly, before the stop or restart asked for reached it",
                        serviceName, status.description());
                try {
                    listener.workloadExitedBeforeStop(status);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, serviceName + ": the workload listener failed on " + status.description(),
                            e);
                }
            } else {
                LOG.log(Level.DEBUG, "{0}: {1}, after a stop or restart was asked for: not reported", serviceName,
                        status.description());
            }
        }
    }

    /**
     * The process exited and left others of its group running: a daemon that forked into the background, or
     * children holding its port. Stops them (gracefully, the whole group) before the exit is reported, so that the
     * restart it causes never runs next to them.
     */
    private void stopWhatTheRunLeft(Run run, WorkloadStatus exit, List<ProcessHandle> left) {
        List<Long> pids = new ArrayList<>();
        left.forEach(process -> pids.add(process.pid()));
        String which = pids.size() == 1 ? "pid " + pids.get(0) : "pids " + pids;
        String description = exit.exitCode().orElse(-1) == 0
                ? exit.description() + " and left " + which + " running in the background: aegis supervises"
                        + " processes that stay in the foreground, so it stops " + which + "; run the service"
                        + " without daemonizing (e.g. nginx -g 'daemon off;')"
                : exit.description() + " and left " + which + " of its process group running (they could hold its"
                        + " port); stopping them before the restart";
        WorkloadStatus status = new WorkloadStatus(exit.state(), exit.pid(), exit.exitCode(), description, exit.id(),
                exit.desiredInstances(), exit.readyInstances(), exit.version(), exit.exitReason());
        LOG.log(Level.WARNING, "{0}: {1}", serviceName, description);
        tree(run).terminate(settings.stopGracePeriod(), () -> LOG.log(Level.WARNING,
                "{0}: {1} did not exit within {2} of SIGTERM; killing", serviceName, which,
                Durations.format(settings.stopGracePeriod())))
                .whenComplete((ignored, failure) -> {
                    if (failure != null) {
                        LOG.log(Level.WARNING, "{0}: {1}", serviceName, failure.getMessage());
                    } else {
                        markTreeGone(run);
                        deleteRecord(run);
                    }
                    tellEnd(run, status, false);
                });
    }

    /**
     * What the run's process, which has exited, left running: on Linux one look at {@code /proc} for its session and
     * its marker (the environment only of processes started after it). Its descendants need no separate look: they
     * were re-parented when it was reaped, and they are in its session or carry the marker. Elsewhere, what the
     * process tree finds.
     */
    private List<ProcessHandle> leftAfterExit(Run run) {
        if (ProcFs.available()) {
            return membersOf(run);
        }
        return tree(run).running();
    }

    /**
     * What runs in the run's session or carries the service's marker and started after it; nothing once a later run
     * is launched (see {@link Run#superseded}). Asked after the look, so a look that began before the launch and saw
     * the new process cannot hand it back.
     */
    private List<ProcessHandle> membersOf(Run run) {
        List<ProcessHandle> found = processes.find(run.session, run.startTicks);
        synchronized (lock) {
            return run.superseded ? List.of() : found;
        }
    }

    private void markTreeGone(Run run) {
        synchronized (lock) {
            run.treeGone = true;
        }
    }

    /** How the run's process ended: its exit code, the signal that killed it, the release it ran. */
    private static WorkloadStatus exitStatus(Run run) {
        int code = run.process.exitValue();
        WorkloadStatus status = withRelease(WorkloadStatus.exited(run.process.pid(), code), run);
        return signal(code).map(signal -> status.withExitReason("killed by signal " + signal)).orElse(status);
    }

    private static WorkloadStatus withRelease(WorkloadStatus status, Run run) {
        return run.release.map(status::withVersion).orElse(status);
    }

    /**
     * The signal that killed a process, from its exit code: on Unix the JDK reports death by signal N as 128 + N,
     * as a shell does ({@code sh -c} reports its child's the same way). A program that exits with such a code by
     * itself cannot be told apart; none of the usual ones does.
     */
    static Optional<String> signal(int exitCode) {
        if (exitCode <= 128 || exitCode > 128 + 64 || System.getProperty("os.name", "").startsWith("Windows")) {
            return Optional.empty();
        }
        int number = exitCode - 128;
        String name = switch (number) {
            case 1 -> " (SIGHUP)";
            case 2 -> " (SIGINT)";
            case 3 -> " (SIGQUIT)";
            case 6 -> " (SIGABRT)";
            case 9 -> " (SIGKILL)";
            case 11 -> " (SIGSEGV)";
            case 13 -> " (SIGPIPE)";
            case 14 -> " (SIGALRM)";
            case 15 -> " (SIGTERM)";
            default -> "";
        };
        return Optional.of(number + name);
    }

    /** With {@code rollback.releases}: the id of the release {@code current} points to now; else empty. */
    private Optional<String> currentRelease() {
        if (settings.rollbackReleases().isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ReleaseLayout(settings.rollbackReleases().get()).currentId());
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "{0}: cannot tell which release it runs: {1}", serviceName, e.getMessage());
            return Optional.empty();
        }
    }

    private void report(WorkloadStatus status) {
        try {
            listener.workloadExited(status);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, serviceName + ": the workload listener failed on " + status.description(), e);
        }
    }

    /** The run's process and everything of its service: its session and the processes with the marker. */
    private ProcessTree tree(Run run) {
        return ProcessTree.of(run.process, () -> membersOf(run));
    }

    /** The tree of the current run (the one a stop would signal), for tests; null before the first start. */
    ProcessTree currentTree() {
        Run run;
        synchronized (lock) {
            run = current;
        }
        return run == null ? null : tree(run);
    }

    /**
     * The command, run through {@code setsid} so the process leads a session (and process group) of its own.
     * The program is looked up first, as the JDK would, so that a missing one still fails with the JDK's own
     * error rather than as a process exiting with 127; when it cannot be found the command runs as it is.
     */
    private List<String> sessionCommand(List<String> command) {
        if (setsid == null) {
            return command;
        }
        Optional<Path> program = Executables.resolve(command.get(0), settings.workingDirectory());
        if (program.isEmpty()) {
            return command;
        }
        List<String> withSession = new ArrayList<>();
        withSession.add(setsid);
        withSession.add(program.get().toString());
        withSession.addAll(command.subList(1, command.size()));
        return withSession;
    }

    private void writeRecord(Run run) {
        try {
            ServiceProcessRecord.of(run.process.toHandle(), run.session, run.command, processes.marker())
                    .write(stateDirectory);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "{0}: cannot record pid {1} in {2}: {3}; if aegis is killed, the next aegis will"
                    + " find it by its {4} only", serviceName, Long.toString(run.process.pid()), stateDirectory,
                    e.getMessage(), ServiceProcesses.VARIABLE);
        }
    }

    private void deleteRecord(Run run) {
        try {
            ServiceProcessRecord.deleteIfFor(stateDirectory, run.process.pid());
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "{0}: cannot delete the process record: {1}", serviceName, e.getMessage());
        }
    }

    /**
     * A new pipe for the process's output; null when none can be made, and the process's output is then discarded:
     * a service is never kept from starting, or restarting, by its log (a state directory gone read-only made every
     * restart fail, and the recovery end in FAILED).
     */
    private OutputPipe outputPipe() {
        try {
            return output.newPipe();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "{0}: its output is discarded: cannot create the pipe for its output in {1}: {2};"
                    + " it is written to {3} again from the next start that can make one", serviceName,
                    settings.stateDirectory(), IoErrors.describe(e), settings.logFile());
            return null;
        }
    }

    /**
     * Gives the process an empty standard input: it must never wait for the engine's. Closing our end of the
     * pipe is the portable form of redirecting from /dev/null.
     */
    private static void closeStandardInput(Process process) {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Nothing to do: the pipe is gone either way, which is all we wanted.
        }
    }

    private String startFailure(ProcessRuntimeSettings.ConfiguredCommand configured, Exception e) {
        String what = "cannot start \"" + configured.words().get(0) + "\" for service \"" + serviceName + "\": ";
        Throwable cause = e.getCause();
        if (cause instanceof FileNotFoundException) {
            // The JDK opens the log file before it executes anything; this is that failing.
            return what + "cannot open its log file: " + cause.getMessage();
        }
        String reason = cause != null && cause.getMessage() != null
                ? ERRNO_PREFIX.matcher(cause.getMessage()).replaceFirst("")
                : String.valueOf(e.getMessage());
        return what + reason + " (check " + configured.keyPath()
                + settings.workingDirectory().map(dir -> " and the working directory " + dir).orElse("") + ")";
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("cannot start service \"" + serviceName + "\": its process runtime is closed");
    }
}
