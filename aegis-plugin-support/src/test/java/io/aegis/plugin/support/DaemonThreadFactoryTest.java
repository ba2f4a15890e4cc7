package io.aegis.plugin.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DaemonThreadFactoryTest {

    @Test
    void createsNumberedDaemonThreads() {
        DaemonThreadFactory factory = new DaemonThreadFactory("aegis-test");

        Thread first = factory.newThread(() -> { });
        Thread second = factory.newThread(() -> { });

        assertThat(List.of(first.getName(), second.getName())).containsExactly("aegis-test-1", "aegis-test-2");
        assertThat(first.isDaemon()).isTrue();
    }

    @Test
    void joinAllReturnsOnceEveryThreadOfAShutDownPoolHasEnded() throws Exception {
        DaemonThreadFactory factory = new DaemonThreadFactory("aegis-test-pool");
        List<Thread> workers = new CopyOnWriteArrayList<>();
        CountDownLatch running = new CountDownLatch(2);
        ExecutorService pool = Executors.newFixedThreadPool(2, task -> {
            Thread thread = factory.newThread(task);
            workers.add(thread);
            return thread;
        });
        for (int i = 0; i < 2; i++) {
            pool.execute(running::countDown);
        }
        assertThat(running.await(10, TimeUnit.SECONDS)).as("both tasks ran").isTrue();

        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

        assertThat(factory.joinAll(Duration.ofSeconds(10))).as("all ended in time").isTrue();
        assertThat(workers).hasSize(2).noneMatch(Thread::isAlive);
    }

    @Test
    void joinAllSaysWhenAThreadIsStillRunning() throws Exception {
        DaemonThreadFactory factory = new DaemonThreadFactory("aegis-test-busy");
        CountDownLatch release = new CountDownLatch(1);
        Thread busy = factory.newThread(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        busy.start();
        try {
            assertThat(factory.joinAll(Duration.ofMillis(50))).isFalse();
        } finally {
            release.countDown();
        }
        assertThat(factory.joinAll(Duration.ofSeconds(10))).isTrue();
        assertThat(busy.isAlive()).isFalse();
    }
}
