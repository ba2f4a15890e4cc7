package io.aegis.testkit.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * What a plugin started and did not stop: the threads and child processes that appeared after {@link #take()} and
 * are still there, and (on Linux) the processes it orphaned: started since in the JVM's session, and handed to PID 1
 * when their parent ended ({@link SessionProcesses}). Threads that the JDK or the test framework start on first use
 * and keep (the common pool, the process reaper, JUnit's timeout watcher, ...) are not the plugin's and are left out;
 * so are the kit's own ({@code aegis-testkit-*}).
 */
public final class Leaks {
    private static final List<String> NOT_THE_PLUGINS = List.of(
            "ForkJoinPool.commonPool-worker-", "process reaper", "Common-Cleaner", "Reference Handler", "Finalizer",
            "Signal Dispatcher", "Notification Thread", "Attach Listener", "Keep-Alive-Timer", "surefire-",
            "junit-", "JFR ", "aegis-testkit-",
            // Netty's JVM-wide helper (plain and as shaded by grpc-java): it ends a second after its last task
            "globalEventExecutor-");

    private final Set<Long> threadsBefore;
    private final Set<Long> processesBefore;
    private final SessionProcesses sessionBefore;

    private Leaks(Set<Long> threadsBefore, Set<Long> processesBefore, SessionProcesses sessionBefore) {
        this.threadsBefore = threadsBefore;
        this.processesBefore = processesBefore;
        this.sessionBefore = sessionBefore;
    }

    /** Remembers the threads and child processes there are now. */
    public static Leaks take() {
        return new Leaks(
                Thread.getAllStackTraces().keySet().stream().map(Thread::getId).collect(Collectors.toSet()),
                ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet()),
                SessionProcesses.take());
    }

    /**
     * Waits up to {@code grace} for the threads and processes started since {@link #take()} to end, and describes
     * those that did not (empty when none is left). A thread's end is waited for with {@code join}, a process'
     * with {@code onExit}: no polling. Halfway through, the heap is collected once, because the JDK's own
     * {@code HttpClient} ends its selector thread only when the client is collected.
     */
    public List<String> remainingAfter(Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        long collectAt = System.nanoTime() + grace.toNanos() / 2;
        boolean collected = false;
        // Listed again after each round of joins: a thread may start after the first listing (a pool's worker for
        // a task the plugin handed over just before close).
        List<Thread> alive = newThreads();
        while (!alive.isEmpty() && System.nanoTime() < deadline) {
            for (Thread thread : alive) {
                while (thread.isAlive() && System.nanoTime() < deadline) {
                    if (!collected && System.nanoTime() >= collectAt) {
                        System.gc();
                        collected = true;
                    }
                    long slice = (collected ? deadline : Math.min(deadline, collectAt)) - System.nanoTime();
                    TimeUnit.NANOSECONDS.timedJoin(thread, Math.max(1, slice));
                }
            }
            alive = newThreads().stream().filter(Thread::isAlive).toList();
        }
        awaitCollectedHttpClients(alive);
        List<ProcessHandle> processes = new ArrayList<>(newProcesses());
        sessionBefore.orphanedSince().forEach(orphan -> ProcessHandle.of(orphan.pid()).ifPresent(processes::add));
        for (ProcessHandle process : processes) {
            long left = deadline - System.nanoTime();
            try {
                process.onExit().get(Math.max(1, left), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // still running: reported below
            }
        }
        List<String> remaining = new ArrayList<>();
        for (Thread thread : newThreads()) {
            if (thread.isAlive()) {
                remaining.add("thread \"" + thread.getName() + "\"" + (thread.isDaemon() ? " (daemon)" : "")
                        + where(thread));
            }
        }
        for (ProcessHandle process : newProcesses()) {
            if (process.isAlive()) {
                remaining.add("child process " + process.pid() + " " + process.info().commandLine().orElse(""));
                process.destroyForcibly(); // reported: not left running after the build
            }
        }
        for (SessionProcesses.Stat orphan : sessionBefore.orphanedSince()) {
            remaining.add("orphaned process " + orphan.pid() + " " + SessionProcesses.commandLine(orphan.pid())
                    + " (started during the test, its parent gone: now a child of " + orphan.parent() + ")");
            ProcessHandle.of(orphan.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }
        return remaining;
    }

    /**
     * The JDK's {@code HttpClient} has no {@code close()} before JDK 21: its selector thread ends only once the client
     * is collected, and notices that within the 3 s its selector waits at most. Such threads get that long after a
     * collection (so a test that has them takes a few seconds more); a client still reachable after close (kept in a
     * static field, say) keeps its thread, and is reported.
     */
    private static void awaitCollectedHttpClients(List<Thread> alive) throws InterruptedException {
        List<Thread> selectors = alive.stream()
                .filter(thread -> thread.getName().matches("HttpClient-\\d+-SelectorManager")).toList();
        if (selectors.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
        for (Thread selector : selectors) {
            while (selector.isAlive() && System.nanoTime() < deadline) {
                System.gc();
                TimeUnit.NANOSECONDS.timedJoin(selector, Math.min(TimeUnit.MILLISECONDS.toNanos(500),
                        Math.max(1, deadline - System.nanoTime())));
            }
        }
    }

    private List<Thread> newThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> !threadsBefore.contains(thread.getId()))
                .filter(thread -> NOT_THE_PLUGINS.stream().noneMatch(thread.getName()::startsWith))
                .collect(Collectors.toList());
    }

    private List<ProcessHandle> newProcesses() {
        return ProcessHandle.current().descendants()
                .filter(process -> !processesBefore.contains(process.pid()))
                .collect(Collectors.toList());
    }

    private static String where(Thread thread) {
        StackTraceElement[] stack = thread.getStackTrace();
        for (StackTraceElement frame : stack) {
            String type = frame.getClassName();
            if (!type.startsWith("java.") && !type.startsWith("jdk.") && !type.startsWith("sun.")) {
                return ", in " + type + "." + frame.getMethodName();
            }
        }
        return stack.length > 0 ? ", in " + stack[0].getClassName() + "." + stack[0].getMethodName() : "";
    }
}
