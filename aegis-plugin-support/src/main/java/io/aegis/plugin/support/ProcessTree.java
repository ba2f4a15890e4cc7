package io.aegis.plugin.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A child process and everything else of its service, terminated together, like systemd's
 * {@code KillMode=control-group}: SIGTERM to all, a grace period, then SIGKILL to whatever is left, and done only
 * once nothing of it runs any more. Only {@link #terminateAndWait} blocks its caller; otherwise waiting is done with
 * {@link Process#onExit()}, timeouts on the returned futures and, for the others, a short poll.
 *
 * <p>The members are the root's descendants plus what {@code group} finds: on Linux typically the root's session
 * ({@link ProcFs#sessionMembers}, when the root was started with {@code setsid}) or every process carrying a
 * marker in its environment ({@link ProcFs#hasEnvironmentEntry}), which catches what was orphaned or escaped,
 * also what was forked during the grace period. Descendants are captured before the first signal because a
 * process whose parent has died is re-parented and no longer shows up in {@link ProcessHandle#descendants()};
 * without {@code /proc} (not Linux) that is all there is, and a descendant forked in the instant between that
 * capture and the parent's death escapes.
 */
public final class ProcessTree {

    /** How long to wait for processes to disappear after SIGKILL, which they cannot ignore. */
    public static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);

    /**
     * How often members are checked. Not our children, so {@code ProcessHandle.onExit()} would poll anyway,
     * starting at 300 ms, and would never complete for a zombie (see {@link ProcFs#isRunning}).
     */
    private static final long POLL_MILLIS = 20;

    /** The process aegis started, or null for what a previous aegis left (not our child). */
    private final Process root;
    private final Supplier<List<ProcessHandle>> group;

    private ProcessTree(Process root, Supplier<List<ProcessHandle>> group) {
        this.root = root;
        this.group = group;
    }

    /**
     * The tree of a child process: {@code root} and its descendants only.
     *
     * @param root a process this JVM started
     * @return its tree
     */
    public static ProcessTree of(Process root) {
        return of(root, List::of);
    }

    /**
     * The tree of a child process and what else belongs with it.
     *
     * @param root a process this JVM started
     * @param group asked for the other members each time they are looked for (it may find new ones, forked
     *     meanwhile), e.g. {@code () -> ProcFs.sessionMembers(root.pid())}; must not block for long
     * @return the tree of {@code root}, its descendants and what {@code group} finds
     */
    public static ProcessTree of(Process root, Supplier<List<ProcessHandle>> group) {
        return new ProcessTree(Objects.requireNonNull(root, "root"), Objects.requireNonNull(group, "group"));
    }

    /**
     * Processes that are not this JVM's children, e.g. what a previous run left: only what {@code group} finds.
     *
     * @param group asked for the members each time they are looked for; must not block for long
     * @return a tree without a root
     */
    public static ProcessTree leftovers(Supplier<List<ProcessHandle>> group) {
        return new ProcessTree(null, Objects.requireNonNull(group, "group"));
    }

    /**
     * Sends SIGTERM to every member, waits up to {@code gracePeriod} for all of them to exit, then sends SIGKILL
     * to those left. Does not block.
     *
     * @param gracePeriod how long the members have to exit after SIGTERM
     * @param whenForced runs if the grace period ran out, before SIGKILL (e.g. to log it)
     * @return completes when none runs any more; exceptionally, with an {@link IllegalStateException} naming the
     *     survivors, when a process survived SIGKILL for {@link #KILL_TIMEOUT}
     */
    public CompletableFuture<Void> terminate(Duration gracePeriod, Runnable whenForced) {
        Set<ProcessHandle> members = members();
        if (root != null) {
            root.destroy();
        }
        members.forEach(ProcessHandle::destroy);
        List<ProcessHandle> signalled = new ArrayList<>(members);
        if (root != null) {
            signalled.add(root.toHandle());
        }
        continueStopped(signalled);
        return whenGone(members, ProcessTree::sigterm)
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

    /**
     * As {@link #terminate}, waiting on the calling thread until it is done: for a caller that may block, such as a
     * plugin's blocking executor before it starts a replacement.
     *
     * @param gracePeriod how long the members have to exit after SIGTERM
     * @param whenForced runs if the grace period ran out, before SIGKILL (e.g. to log it)
     * @throws IllegalStateException naming the processes that still run {@link #KILL_TIMEOUT} after SIGKILL
     * @throws InterruptedException when the calling thread is interrupted while it waits (the signals are sent)
     */
    public void terminateAndWait(Duration gracePeriod, Runnable whenForced) throws InterruptedException {
        CompletableFuture<Void> done = terminate(gracePeriod, whenForced);
        try {
            // terminate() ends by itself within the grace period plus KILL_TIMEOUT; the margin is for a busy machine
            done.get(gracePeriod.plus(KILL_TIMEOUT).plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IllegalStateException failure ? failure
                    : new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("process " + running().stream().map(ProcessHandle::pid).toList()
                    + " did not exit", e);
        }
    }

    /**
     * Sends SIGKILL to every member at once and returns: the last resort of a {@code close}, or for a check that
     * ran out of time. The descendants are listed before the root is killed (its death re-parents them), the root
     * is killed first so that it forks nothing more, and the group is asked only then, so it also finds what was
     * forked meanwhile. One look at the group, no waiting: a caller that kills hundreds of hung scripts a second
     * must not pay for a scan of {@code /proc} again and again until they are gone.
     */
    public void kill() {
        Set<ProcessHandle> members = new LinkedHashSet<>(descendants());
        if (root != null) {
            root.destroyForcibly();
        }
        members.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle member : group.get()) {
            if (members.add(member)) {
                member.destroyForcibly();
            }
        }
    }

    /**
     * Lists the members that run now.
     *
     * @return the running descendants and group members, the root excluded
     */
    public List<ProcessHandle> running() {
        return members().stream().filter(ProcFs::isRunning).toList();
    }

    private CompletableFuture<Void> killForcibly(Set<ProcessHandle> captured) {
        Set<ProcessHandle> members;
        synchronized (captured) {
            members = new LinkedHashSet<>(captured);
        }
        members.addAll(members()); // forked during the grace period
        // The root goes first so that it forks nothing more while the others are killed.
        if (root != null) {
            root.destroyForcibly();
        }
        members.forEach(ProcessHandle::destroyForcibly);
        return whenGone(members, ProcessHandle::destroyForcibly)
                .orTimeout(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .handle((gone, failure) -> {
                    if (failure instanceof TimeoutException) {
                        throw new IllegalStateException(survivorsMessage(members));
                    }
                    return null;
                });
    }

    /**
     * Completes with {@code true} once the root has exited, none of {@code members} runs and the group holds no
     * other process; a process found in the group meanwhile gets {@code signal} and becomes a member.
     */
    private CompletableFuture<Boolean> whenGone(Set<ProcessHandle> members, Consumer<ProcessHandle> signal) {
        CompletableFuture<Boolean> gone = new CompletableFuture<>();
        CompletableFuture<?> rootExit = root == null ? CompletableFuture.completedFuture(null) : root.onExit();
        rootExit.thenRun(() -> pollUntil(() -> {
            synchronized (members) {
                if (members.stream().anyMatch(ProcFs::isRunning)) {
                    return false;
                }
                // Scanned only once the known members are gone: a scan of /proc costs more than a look at them.
                List<ProcessHandle> newcomers = group.get().stream().filter(p -> !members.contains(p)).toList();
                newcomers.forEach(signal);
                members.addAll(newcomers);
                return newcomers.isEmpty();
            }
        }, gone));
        return gone;
    }

    private Set<ProcessHandle> members() {
        Set<ProcessHandle> members = new LinkedHashSet<>(descendants());
        members.addAll(group.get());
        if (root != null) {
            members.remove(root.toHandle());
        }
        return members;
    }

    private List<ProcessHandle> descendants() {
        if (root == null) {
            return List.of();
        }
        try {
            return root.descendants().toList();
        } catch (UnsupportedOperationException e) {
            return List.of(); // only the group can help then
        }
    }

    private String survivorsMessage(Set<ProcessHandle> members) {
        List<Long> survivors = new ArrayList<>();
        if (root != null && root.isAlive()) {
            survivors.add(root.pid());
        }
        synchronized (members) {
            members.stream().filter(ProcFs::isRunning).map(ProcessHandle::pid).forEach(survivors::add);
        }
        return "process " + survivors + " still runs " + KILL_TIMEOUT.toSeconds()
                + "s after SIGKILL (stuck in the kernel?); it may need to be killed by hand";
    }

    /** SIGTERM to a process found in the group during the grace period, and SIGCONT after it if it is stopped. */
    private static void sigterm(ProcessHandle process) {
        process.destroy();
        continueStopped(List.of(process));
    }

    /**
     * Sends SIGCONT to those of {@code signalled} that are stopped (SIGSTOP, a terminal's SIGTSTP, {@code /proc}
     * state {@code T}), as systemd does after its SIGTERM: a stopped process that handles SIGTERM keeps it pending
     * until it is continued, so it could not shut down gracefully and always cost the whole grace period, then
     * SIGKILL (hostile F8). A SIGTERM it does not handle ends it even while stopped, and SIGKILL needs no SIGCONT.
     * The JDK cannot send SIGCONT, so the shell's {@code kill} does; only when one is stopped, which {@code /proc}
     * tells (without it, nothing is sent). Not waited for: the processes' exit is what is waited for. A process
     * stopped by a debugger ({@code t}) is not resumed by SIGCONT; the grace period and SIGKILL then end it.
     */
    private static void continueStopped(List<ProcessHandle> signalled) {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "kill -s CONT \"$@\" 2>/dev/null", "sh"));
        for (ProcessHandle process : signalled) {
            if (ProcFs.stat(process.pid()).map(ProcFs.Stat::isStopped).orElse(false)) {
                command.add(Long.toString(process.pid()));
            }
        }
        if (command.size() == 4) {
            return;
        }
        try {
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (java.io.IOException | RuntimeException e) {
            // Then the grace period runs out and SIGKILL ends them, as before.
        }
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
}
