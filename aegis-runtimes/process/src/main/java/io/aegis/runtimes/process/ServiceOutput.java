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

    ServiceOutput(String serviceName, ProcessRuntimeSettings settings, Logger log) {
        this.serviceName = serviceName;
        this.pipeDirectory = settings.stateDirectory();
        this.file = new RotatingFile(serviceName, settings.logFile(), settings.logMaxSize(), settings.logBackups(), log);
        this.log = log;
    }

    /** A pipe for the next process to write to. */
    OutputPipe newPipe() throws IOException {
        return OutputPipe.create(pipeDirectory);
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
    }
}
