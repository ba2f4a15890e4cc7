package io.aegis.plugin.support;

import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Creates named daemon threads, so a plugin's pool never keeps the JVM alive and shows up clearly in a
 * thread dump ({@code aegis-http-1}, {@code aegis-docker-events-1}).
 */
public final class DaemonThreadFactory implements ThreadFactory {
    private final String prefix;
    private final AtomicInteger counter = new AtomicInteger();

    /** Creates a factory whose threads are called {@code prefix-1}, {@code prefix-2}, ... */
    public DaemonThreadFactory(String prefix) {
        this.prefix = Objects.requireNonNull(prefix, "prefix");
    }

    @Override
    public Thread newThread(Runnable task) {
        Thread thread = new Thread(task, prefix + "-" + counter.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    }
}
