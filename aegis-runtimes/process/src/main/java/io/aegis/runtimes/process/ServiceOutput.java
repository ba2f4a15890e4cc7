package io.aegis.runtimes.process;

import java.io.IOException;
import java.lang.System.Logger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The output of one service: its rotating log file and a pump per process that still writes to it (usually
 * one; during a restart, or while a descendant of an old process lives on, more than one).
 */
final class ServiceOutput implements AutoCloseable {

    /**
     * How long a stop waits for the last output of its process to reach the file. Once the process and its
     * descendants are gone the pipe ends at once; only a descendant that escaped (started its own session)
     * can keep it open, and it must not hold up the stop for longer than this.
     */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(1);

    private final String serviceName;
    private final Path pipeDirectory;
    private final RotatingFile file;
    private final Logger log;
    private final Map<Process, OutputPump> pumps = new ConcurrentHashMap<>();
    /** Whether a spare pipe waits in the state directory for the next launch. Guarded by {@code this}. */
    private boolean spareReady;
    /** Guarded by {@code this}. */
    private boolean closed;

    ServiceOutput(String serviceName, ProcessRuntimeSettings settings, Logger log) {
        this.serviceName = serviceName;
        this.pipeDirectory = settings.stateDirectory();
        this.file = new RotatingFile(serviceName, settings.logFile(), settings.logMaxSize(), settings.logBackups(), log);
        this.log = log;
    }

    /**
     * A pipe for the next process to write to: the spare made ahead when there is one, else a new one (and a spare
     * with it, in the same {@code mkfifo}).
     */
    synchronized OutputPipe newPipe() throws IOException {
        if (spareReady) {
            spareReady = false;
            try {
                return OutputPipe.openSpare(pipeDirectory);
            } catch (IOException e) {
                log.log(Logger.Level.DEBUG, "{0}: cannot use the spare output pipe, making a new one: {1}", serviceName,
                        e.getMessage());
            }
        }
        OutputPipe pipe = OutputPipe.create(pipeDirectory, !closed);
        spareReady = !closed;
        return pipe;
    }

    /**
     * Makes the spare pipe for the next launch if the last one used it, off the launch's path: called after a
     * launch, so that a restart after a crash does not wait for a {@code mkfifo}. A failure only costs that
     * restart the {@code mkfifo} (and it reports the error, if it fails again).
     */
    synchronized void prepareSpare() {
        if (spareReady || closed) {
            return;
        }
        try {
            OutputPipe.makeSpare(pipeDirectory);
            spareReady = true;
        } catch (IOException | RuntimeException e) {
            log.log(Logger.Level.DEBUG, "{0}: cannot make a spare output pipe: {1}", serviceName, e.getMessage());
        }
    }

    /** Starts copying what {@code process} writes to {@code pipe} into the log file. */
    void pump(OutputPipe pipe, Process process) {
        OutputPump pump;
        try {
            pump = new OutputPump(serviceName, pipe.handOver(), file, log);
        } catch (IOException e) {
            pipe.close();
            log.log(Logger.Level.WARNING, serviceName + ": its output is lost: cannot hand its pipe over", e);
            return;
        }
        pumps.put(process, pump);
        pump.finished().thenRun(() -> pumps.remove(process, pump));
        pump.start();
    }

    /**
     * Completes on the pump's thread when every writer of {@code process}'s pipe has closed it (and what it wrote is in
     * the file); never when its output is not pumped or the pump is stopped first.
     */
    CompletableFuture<Void> whenOutputEnds(Process process) {
        OutputPump pump = pumps.get(process);
        return pump == null ? new CompletableFuture<>() : pump.finished();
    }

    /**
     * Completes when everything {@code process} (and its descendants) wrote is in the file, or after
     * {@link #DRAIN_TIMEOUT}; never exceptionally.
     */
    CompletableFuture<Void> drained(Process process) {
        OutputPump pump = pumps.get(process);
        if (pump == null) {
            return CompletableFuture.completedFuture(null);
        }
        // A copy: timing out here must not mark the pump itself as finished.
        return pump.finished().copy().completeOnTimeout(null, DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Reopens the log file at its path before the next write (after logrotate renamed it). */
    void reopen() {
        file.reopen();
    }

    /** Stops every pump at once (even if an escaped descendant still holds its pipe) and closes the file. */
    @Override
    public void close() {
        List<OutputPump> running = List.copyOf(pumps.values());
        running.forEach(OutputPump::stop);
        for (OutputPump pump : running) {
            try {
                // A closed channel ends the read at once; this only waits for the pump's last write.
                if (!pump.join(DRAIN_TIMEOUT.toMillis())) {
                    log.log(Logger.Level.WARNING, "{0}: its output pump did not end within {1} ms of being stopped",
                            serviceName, Long.toString(DRAIN_TIMEOUT.toMillis()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        file.close();
        synchronized (this) {
            closed = true;
            if (spareReady) {
                spareReady = false;
                try {
                    OutputPipe.deleteSpare(pipeDirectory);
                } catch (IOException e) {
                    // An empty named pipe in a private directory; the next aegis replaces it.
                }
            }
        }
    }
}
