package io.aegis.checkers.script;

import io.aegis.api.CheckResult;
import io.aegis.api.Durations;
import io.aegis.api.FailureReason;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One script check attempt: start the script, read its output, judge its exit code.
 *
 * <p>Only what must block runs on the engine's pool for blocking work: starting the process and reading its
 * output, in one task. The exit is awaited with {@link Process#onExit()} and the deadline runs on the
 * factory's timer, so the only thread a run holds is that reader, and never past the timeout: at the
 * deadline the verdict is given at once, and the script and everything it started are killed on the
 * factory's killer threads (finding them scans /proc, which must not delay other deadlines), which closes
 * the pipe and ends the read.
 *
 * <p>The verdict comes once the script has exited and its output has ended. A script may exit while a
 * process it left behind still holds the output pipe; then the verdict waits at most {@link #DRAIN_GRACE}
 * for the rest of the output, and those leftovers are killed so the reader is freed (where the session is
 * known, see {@link ScriptChecker#tree}).
 */
final class ScriptRun {
    /** How long output may still arrive after the script exited, from processes it left running. */
    static final Duration DRAIN_GRACE = Duration.ofMillis(200);

    private final ScriptChecker checker;
    private final Duration timeout;
    private final ScheduledExecutorService timer;
    private final Executor killer;
    private final long start = System.nanoTime();
    private final CompletableFuture<CheckResult> verdict = new CompletableFuture<>();
    private final OutputCapture output = new OutputCapture();
    // All guarded by this.
    private boolean launching;
    private Process process;
    private Integer exitCode;
    private boolean outputEnded;
    /** Set once the script is doomed (deadline, cancel, close): its exit code is then ours, not its verdict. */
    private boolean killed;

    ScriptRun(ScriptChecker checker, Duration timeout, ScheduledExecutorService timer, Executor killer) {
        this.checker = checker;
        this.timeout = timeout;
        this.timer = timer;
        this.killer = killer;
    }

    /** Starts the attempt; the returned future completes with its verdict, and cancelling it kills the script. */
    CompletableFuture<CheckResult> start(Executor blockingExecutor) {
        ScheduledFuture<?> deadline;
        try {
            deadline = timer.schedule(this::deadlineReached, timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(CheckResult.unknown(FailureReason.PLUGIN_ERROR,
                    "the script checker is closed", elapsed()));
        }
        // Whatever ends the attempt (verdict, deadline, the engine cancelling, the factory closing), nothing
        // it started may outlive it.
        verdict.whenComplete((result, error) -> {
            deadline.cancel(false);
            cleanUp();
        });
        try {
            blockingExecutor.execute(this::startAndRead);
        } catch (RejectedExecutionException e) {
            verdict.complete(CheckResult.unknown(FailureReason.PLUGIN_ERROR,
                    "the pool for blocking work refused to run " + checker.config().script(), elapsed()));
        }
        return verdict;
    }

    /** Ends the attempt without a verdict, killing the script: the checker or its factory is closing. */
    void abort(String why) {
        verdict.complete(CheckResult.unknown(FailureReason.PLUGIN_ERROR, why, elapsed()));
    }

    private void startAndRead() {
        synchronized (this) {
            if (verdict.isDone() || killed) {
                // the deadline passed while this waited for a thread; do not start what nobody waits for
                return;
            }
            launching = true;
        }
        Process started;
        try {
            started = checker.processBuilder().start();
        } catch (IOException | RuntimeException e) {
            verdict.complete(CheckResult.unknown(FailureReason.PLUGIN_ERROR, "cannot start "
                    + checker.config().script() + ": " + e.getMessage(), elapsed()));
            return;
        }
        if (!adopt(started)) {
            checker.tree(started).kill();
            return;
        }
        try {
            // a script that reads stdin gets end-of-file instead of waiting for input that never comes
            started.getOutputStream().close();
        } catch (IOException e) {
            // it is gone already; onExit tells
        }
        started.onExit().thenRun(() -> exited(started));
        output.drain(started.getInputStream());
        outputEnded();
    }

    private synchronized boolean adopt(Process started) {
        if (verdict.isDone() || killed) {
            return false;
        }
        process = started;
        return true;
    }

    private void exited(Process exitedProcess) {
        synchronized (this) {
            exitCode = exitedProcess.exitValue();
            if (!outputEnded) {
                try {
                    timer.schedule(this::judge, DRAIN_GRACE.toNanos(), TimeUnit.NANOSECONDS);
                    return;
                } catch (RejectedExecutionException e) {
                    // the factory is closed; judge now with the output there is
                }
            }
        }
        judge();
    }

    private void outputEnded() {
        synchronized (this) {
            outputEnded = true;
            if (exitCode == null) {
                return;
            }
        }
        judge();
    }

    private void deadlineReached() {
        boolean started;
        boolean stillRunning;
        synchronized (this) {
            if (verdict.isDone()) {
                return;
            }
            stillRunning = exitCode == null;
            // Once launching, the script is as good as running: adopt() refuses it and it is killed.
            started = launching;
            killed = stillRunning;
        }
        if (!stillRunning) {
            // it exited in time; only its output is still held open by something it left running
            judge();
            return;
        }
        String message = checker.config().script() + " did not finish within " + Durations.format(timeout);
        if (!started) {
            // The service may well be fine: the engine is busy with other scripts. So no verdict, not a failure.
            verdict.complete(CheckResult.unknown(FailureReason.PLUGIN_ERROR, message
                    + " (it never started: every thread of the pool for blocking work was busy)", elapsed()));
            return;
        }
        verdict.complete(CheckResult.unhealthy(FailureReason.TIMEOUT, message + "; killed it and all it started",
                elapsed()));
    }

    /** Turns the exit code into the verdict. */
    private void judge() {
        int code;
        synchronized (this) {
            if (killed) {
                // the exit code is our SIGKILL; the deadline gives the verdict
                return;
            }
            code = exitCode;
        }
        verdict.complete(resultOf(code, output.firstLine(), elapsed()));
    }

    /**
     * The Nagios plugin convention, which monitoring people know: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
     *
     * <p>3 means "the plugin could not determine the state" (bad arguments, a dependency missing), which is
     * exactly what {@link FailureReason#PLUGIN_ERROR} tells the engine: no verdict, no threshold moves, no
     * restart of a service that may be fine. Any other code is not a status the script chose but a crash
     * (127 command not found, 126 not executable, 128+n killed by a signal): UNKNOWN too, but with
     * {@link FailureReason#EXIT_CODE}, which the engine counts as a failure, so that a check that keeps
     * crashing is seen instead of staying silent forever.
     */
    static CheckResult resultOf(int code, String firstLine, Duration latency) {
        String message = firstLine.isEmpty() ? "exit code " + code : firstLine;
        switch (code) {
            case 0:
                return CheckResult.healthy(latency, firstLine);
            case 1:
                return CheckResult.degraded(FailureReason.EXIT_CODE, message, latency);
            case 2:
                return CheckResult.unhealthy(FailureReason.EXIT_CODE, message, latency);
            case 3:
                return CheckResult.unknown(FailureReason.PLUGIN_ERROR, message, latency);
            default:
                String detail = code > 128 && code < 128 + 65 ? " (killed by signal " + (code - 128) + "?)" : "";
                return CheckResult.unknown(FailureReason.EXIT_CODE, "exit code " + code + detail
                        + " is not a Nagios status (0-3)" + (firstLine.isEmpty() ? "" : ": " + firstLine), latency);
        }
    }

    private void cleanUp() {
        checker.finished(this);
        Process toKill;
        boolean wholeTree;
        synchronized (this) {
            if (process == null) {
                // never started, or startAndRead() will see the verdict and kill what it starts
                killed = true;
                return;
            }
            wholeTree = exitCode == null;
            if (!wholeTree && !checker.ownSession()) {
                return;
            }
            // Either the script still runs (deadline, cancel, close), or it exited and left something running in
            // its session: holding the output pipe (blocking the reader), or not (a "sleep 300 >/dev/null &"
            // left by every check piled up one process per tick and outlived aegis).
            killed = true;
            toKill = process;
        }
        Runnable kill = wholeTree ? () -> checker.tree(toKill).kill()
                : () -> ScriptChecker.leftovers(toKill.pid()).kill();
        try {
            killer.execute(kill);
        } catch (RejectedExecutionException e) {
            kill.run(); // the factory is closing: kill on this thread rather than not at all
        }
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
