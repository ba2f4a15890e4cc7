package io.aegis.testkit.engine;

import java.util.Set;
import java.util.stream.Collectors;

/** The threads alive now that were not in an earlier look, by name: what a test's engine left running. */
final class NewThreads {
    private NewThreads() {
    }

    /**
     * The names of the live threads not in {@code before}, leaving out the JDK's shared pools (the common
     * ForkJoinPool, and CompletableFuture's delay scheduler: one per JVM, started by the first delayed stage) and
     * the hostile checker's own threads and Awaitility's (the one polling this).
     */
    static Set<String> since(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream().filter(thread -> !before.contains(thread))
                .filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> !name.startsWith("ForkJoinPool") && !name.startsWith("hostile-")
                        && !name.startsWith("awaitility")
                        && !name.equals("CompletableFutureDelayScheduler"))
                .collect(Collectors.toSet());
    }
}
