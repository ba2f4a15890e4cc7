package io.aegis.runtimes.process;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;

/**
 * Copies one process's output from its {@link OutputPipe} to the service's {@link RotatingFile}, on a daemon
 * thread of its own ({@code aegis-output-<service>}): the JDK cannot select on process pipes, and a thread
 * blocked in a read costs nothing while the process is quiet.
 *
 * <p>The loop does no per-line work and allocates nothing per read: one direct buffer, reused. It never stops
 * reading because the file cannot be written (the file drops and counts), so the process never blocks on a
 * full pipe. It ends when every writer has closed the pipe (the process and its descendants are gone), or at
 * once on {@link #stop()}.
 */
final class OutputPump implements Runnable {

    /** Large enough for a fast writer (a Linux pipe holds 64 KiB), small enough for thousands of services. */
    static final int BUFFER_SIZE = 16 * 1024;

    private final String serviceName;
    private final FileChannel source;
    private final RotatingFile sink;
    private final Logger log;
    private final Thread thread;
    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    OutputPump(String serviceName, FileChannel source, RotatingFile sink, Logger log) {
        this.serviceName = serviceName;
        this.source = source;
        this.sink = sink;
        this.log = log;
        this.thread = new Thread(this, "aegis-output-" + serviceName);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Completes when the pump has ended and closed its end of the pipe. */
    CompletableFuture<Void> finished() {
        return finished;
    }

    /** Waits up to {@code millis} for the pump's thread to end; returns whether it has. */
    boolean join(long millis) throws InterruptedException {
        thread.join(millis);
        return !thread.isAlive();
    }

    /** Ends the pump now, even if a writer still holds the pipe: closing the channel ends a blocked read. */
    void stop() {
        try {
            source.close();
        } catch (IOException e) {
            // Closed either way.
        }
    }

    @Override
    public void run() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_SIZE);
        try {
            while (source.read(buffer.clear()) >= 0) {
                sink.write(buffer.flip());
            }
        } catch (AsynchronousCloseException e) {
            // stop(): the runtime is closed.
        } catch (IOException | RuntimeException e) {
            log.log(Level.WARNING, serviceName + ": stopped copying its output to " + sink.path()
                    + " because reading from its pipe failed", e);
        } finally {
            stop();
            finished.complete(null);
        }
    }
}
