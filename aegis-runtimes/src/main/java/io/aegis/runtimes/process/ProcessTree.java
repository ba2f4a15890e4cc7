package io.aegis.runtimes.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * A child process and its descendants, terminated together: SIGTERM to all, a grace period, then SIGKILL to
 * whatever is left. Nothing here blocks a thread; waiting is done with {@link Process#onExit()}, timeouts on
 * the returned futures and, for descendants, a short poll.
 *
 * <p>Descendants are captured before the first signal because a process whose parent has died is re-parented
 * and no longer shows up in {@link ProcessHandle#descendants()}. A descendant forked in the instant between
 * that capture and the parent's death escapes; Java offers no process groups to close that gap.
 */
final class ProcessTree {

    /** How long to wait for processes to disappear after SIGKILL, which they cannot ignore. */
    static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);

    /**
     * How often descendants are checked. Not our children, so {@code ProcessHandle.onExit()} would poll anyway,
     * starting at 300 ms, and would never complete for a zombie (see {@link #isRunning}).
     */
    private static final long POLL_MILLIS = 20;

    private final Process root;

    ProcessTree(Process root) {
        this.root = root;
    }

    /**
     * Sends SIGTERM to the process and its descendants, waits up to {@code gracePeriod} for all of them to
     * exit, then sends SIGKILL to those left; completes when none runs any more, and exceptionally when a
     * process survived SIGKILL for {@link #KILL_TIMEOUT}. {@code whenForced} runs if the grace period ran out.
     */
    CompletableFuture<Void> terminate(Duration gracePeriod, Runnable whenForced) {
        List<ProcessHandle> members = descendants();
        root.destroy();
        members.forEach(ProcessHandle::destroy);
        return whenGone(members)
                .completeOnTimeout(false, gracePeriod.toNanos(), TimeUnit.NANOSECONDS)
                // Async: the timeout completes the future on the JDK's single shared delay thread, kept free.
                .thenComposeAsync(gone -> {
                    if (gone) {
                        return CompletableFuture.completedFuture(null);
                    }
                    whenForced.run();
                    return killForcibly(members);
                });
    }

    /** Sends SIGKILL to the process and its descendants without waiting: the last resort of {@code close}. */
    void killNow() {
        killForcibly(descendants());
    }

    /**
     * Returns whether a process runs. Unlike {@link ProcessHandle#isAlive()} this is false for a zombie: in a
     * container whose PID 1 does not reap orphans (no {@code --init}), a killed descendant stays a zombie for
     * good, and the JDK would count it as alive forever.
     */
    static boolean isRunning(ProcessHandle process) {
        return process.isAlive() && !isZombie(process.pid());
    }

    private CompletableFuture<Void> killForcibly(List<ProcessHandle> captured) {
        Set<ProcessHandle> members = new LinkedHashSet<>(captured);
        members.addAll(descendants()); // children forked during the grace period
        // The root goes first so that it forks nothing more while its descendants are killed.
        root.destroyForcibly();
        members.forEach(ProcessHandle::destroyForcibly);
        List<ProcessHandle> all = new ArrayList<>(members);
        return whenGone(all)
                .orTimeout(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .handle((gone, failure) -> {
                    if (failure instanceof TimeoutException) {
                        throw new IllegalStateException(survivorsMessage(all));
                    }
                    return null;
                });
    }

    /** Completes with {@code true} once the root has exited and none of {@code members} runs. */
    private CompletableFuture<Boolean> whenGone(List<ProcessHandle> members) {
        CompletableFuture<Boolean> gone = new CompletableFuture<>();
        root.onExit().thenRun(() -> pollUntil(() -> members.stream().noneMatch(ProcessTree::isRunning), gone));
        return gone;
    }

    private List<ProcessHandle> descendants() {
        try {
            return root.descendants().toList();
        } catch (UnsupportedOperationException e) {
            return List.of();
        }
    }

    private String survivorsMessage(List<ProcessHandle> members) {
        List<Long> survivors = new ArrayList<>();
        if (root.isAlive()) {
            survivors.add(root.pid());
        }
        members.stream().filter(ProcessTree::isRunning).map(ProcessHandle::pid).forEach(survivors::add);
        return "process " + survivors + " still runs " + KILL_TIMEOUT.toSeconds()
                + "s after SIGKILL (stuck in the kernel?); it may need to be killed by hand";
    }

    /** Completes {@code done} once {@code condition} holds, checking again after a pause; stops if done elsewhere. */
    private static void pollUntil(BooleanSupplier condition, CompletableFuture<Boolean> done) {
        if (done.isDone()) {
            return;
        }
        if (condition.getAsBoolean()) {
            done.complete(true);
            return;
        }
        Executor later = CompletableFuture.delayedExecutor(POLL_MILLIS, TimeUnit.MILLISECONDS);
        later.execute(() -> pollUntil(condition, done));
    }

    /** Linux only; elsewhere a zombie counts as running, which at worst makes a stop wait for its grace period. */
    private static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            // Format "pid (comm) S ...": comm may itself hold ") ", so the state follows the last ')'.
            int end = stat.lastIndexOf(')');
            return end >= 0 && end + 2 < stat.length() && stat.charAt(end + 2) == 'Z';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
