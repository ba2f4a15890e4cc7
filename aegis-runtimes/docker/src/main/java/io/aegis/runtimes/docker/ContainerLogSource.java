package io.aegis.runtimes.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.transport.DockerHttpClient;
import io.aegis.api.LogSink;
import io.aegis.api.LogSource;
import io.aegis.api.LogSourceSpec;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the output of a service's container ({@code /containers/{id}/logs?follow=1&stdout=1&stderr=1
 * &timestamps=1&since=...}) across its restarts and replacements, and across restarts of dockerd and of aegis; see
 * {@link LogDecoder} for the stream and {@link LogPosition} for how each line is delivered once.
 *
 * <p>One thread of its own reads the stream (blocking: the transport has no other way). When the stream ends (the
 * container stopped, was removed, or dockerd went away) it looks at the service's container again: a running one is
 * followed at once; otherwise it waits until the runtime sees the container start (its event stream {@linkplain
 * #wake wakes} the source) or the scan interval passes. An engine that does not answer is tried again with growing
 * pauses (up to five seconds), said once through {@link LogSink#problem}.
 *
 * <p>The request goes through the engine's transport directly rather than docker-java's {@code LogContainerCmd}:
 * that one takes {@code since} in whole seconds (a position needs nanoseconds) and makes a {@code Frame} and a
 * {@code byte[]} of every message, where the decoder reads the bytes in place.
 */
final class ContainerLogSource implements LogSource {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerLogSource.class);
    /** How often the position is written while lines come: a crash replays at most this much. */
    private static final long SAVE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int READ_BUFFER = 64 * 1024;

    private final DockerRuntime runtime;
    private final DockerEngine engine;
    private final LogSourceSpec spec;
    private final String service;
    private final Duration firstRetryDelay;
    private final Object lock = new Object();
    /** Origins and line numbers per container name: the same strings for every line, numbers go on across runs. */
    private final Map<String, String[]> origins = new HashMap<>();
    private final Map<String, long[]> lineNumbers = new HashMap<>();

    // guarded by lock
    private boolean started;
    private boolean closed;
    private long wakeups;
    private DockerHttpClient.Response current;
    private Thread thread;

    private volatile boolean stopping;
    private LogSink sink;
    private LogPosition position;
    private boolean broken;
    private boolean saveFailed;
    /** When the source started, in the engine's clock: a container's lines before it are not new (tail -F). */
    private long startedAt;

    ContainerLogSource(DockerRuntime runtime, DockerEngine engine, LogSourceSpec spec, String service,
            Duration firstRetryDelay) {
        this.runtime = runtime;
        this.engine = engine;
        this.spec = spec;
        this.service = service;
        this.firstRetryDelay = firstRetryDelay;
    }

    @Override
    public void start(LogSink logSink) {
        synchronized (lock) {
            if (started || closed) {
                return;
            }
            started = true;
            this.sink = new Guarded(logSink);
            thread = new Thread(null, this::run, "aegis-docker-logs-" + service, 512 * 1024);
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** The container may have started, stopped or been replaced: look at it again now. */
    void wake() {
        synchronized (lock) {
            wakeups++;
            lock.notifyAll();
        }
    }

    @Override
    public void close() {
        Thread reader;
        DockerHttpClient.Response open;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            stopping = true;
            reader = thread;
            open = current;
            current = null;
            lock.notifyAll();
        }
        if (open != null) {
            open.close(); // aborts the request: the blocked read fails at once
        }
        if (reader == null) {
            return;
        }
        try {
            reader.join(TimeUnit.SECONDS.toMillis(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (reader.isAlive()) {
            LOG.warn("{}: the reader of its container's log did not stop within 15 s", service);
            reader.interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------ the reader

    private void run() {
        position = loadPosition();
        if (position.containerId() == null && !spec.fromBeginning()) {
            startedAt = daemonNow();
        }
        byte[] buffer = new byte[READ_BUFFER];
        Duration delay = firstRetryDelay;
        String lastRun = null;
        // the stopped container (id, start and end of its last run) whose log was read to its end
        String drained = null;
        while (!stopping) {
            long seen = wakeups();
            Optional<InspectContainerResponse> found;
            try {
                found = runtime.logContainer();
            } catch (RuntimeException e) {
                if (stopping) {
                    break;
                }
                broke("cannot look at its container", e);
                delay = pause(seen, delay);
                continue;
            }
            if (found.isEmpty()) {
                await(seen, spec.scanInterval().toNanos()); // not created yet, or removed: its start wakes us
                continue;
            }
            InspectContainerResponse container = found.get();
            boolean running = container.getState() != null && Boolean.TRUE.equals(container.getState().getRunning());
            String run = container.getId() + " " + (container.getState() == null ? ""
                    : container.getState().getStartedAt());
            String ended = running ? null : run + " " + (container.getState() == null ? ""
                    : container.getState().getFinishedAt());
            if (ended != null && ended.equals(drained)) {
                await(seen, spec.scanInterval().toNanos()); // read to its end already; its next start wakes us
                continue;
            }
            if (running && run.equals(lastRun)) {
                // The stream of this very run ended while it runs: not the container's doing; do not spin.
                delay = pause(seen, delay);
            }
            Outcome outcome;
            try {
                outcome = follow(container, buffer);
            } catch (IOException | RuntimeException e) {
                if (stopping) {
                    break;
                }
                save();
                if (timedOut(e)) {
                    continue; // a long silence: the transport's read timeout; open it again, nothing is wrong
                }
                broke("its log stream broke", e);
                delay = pause(seen, delay);
                continue;
            }
            save();
            if (outcome == Outcome.GONE) {
                await(seen, spec.scanInterval().toNanos());
                continue;
            }
            delay = firstRetryDelay;
            lastRun = run;
            if (!running) {
                lastRun = null;
                drained = ended;
                await(seen, spec.scanInterval().toNanos()); // read to its end; its next start wakes us
            }
        }
        save();
    }

    private enum Outcome { ENDED, GONE }

    /** Reads the container's log until the stream ends; GONE when the engine does not know the container (now). */
    private Outcome follow(InspectContainerResponse container, byte[] buffer) throws IOException {
        String id = container.getId();
        if (!id.equals(position.containerId())) {
            // Aegis had not followed this container: every line of it is new, except, at the very first start
            // without fromBeginning, those written before the source started; but a run this runtime started itself
            // is new all of it (the engine may start the source just after the service).
            long floor = 0;
            if (position.containerId() == null && !spec.fromBeginning()) {
                floor = startedAt;
                long runStarted = container.getState() == null ? 0
                        : DockerRuntime.parseTime(container.getState().getStartedAt());
                if (runtime.startedHere(id) && runStarted > 0) {
                    floor = Math.min(floor, runStarted);
                }
            }
            position.reset(id, floor);
            save();
        }
        position.reconnected();
        String since = position.since();
        String path = "/containers/" + id + "/logs?follow=1&stdout=1&stderr=1&timestamps=1"
                + (since == null ? "" : "&since=" + since);
        DockerHttpClient.Response response = engine.logHttp().execute(DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.GET).path(path).build());
        synchronized (lock) {
            if (closed) {
                response.close();
                return Outcome.ENDED;
            }
            current = response;
        }
        try {
            int status = response.getStatusCode();
            if (status == 404) {
                return Outcome.GONE;
            }
            InputStream in = response.getBody();
            if (status != 200) {
                byte[] body = in.readNBytes(2048);
                throw new IOException("the engine answered HTTP " + status + ": "
                        + new String(body, StandardCharsets.UTF_8).trim());
            }
            boolean tty = container.getConfig() != null && Boolean.TRUE.equals(container.getConfig().getTty());
            String name = name(container);
            LogDecoder decoder = new LogDecoder(!tty, spec.maxLineLength(), sink,
                    origins.computeIfAbsent(name, n -> new String[] {"container " + n + " stdout",
                        "container " + n + " stderr"}),
                    lineNumbers.computeIfAbsent(name, n -> new long[2]), position,
                    message -> sink.problem("service \"" + service + "\": the Docker engine at " + engine.host()
                            + " reported an error in the log stream of container " + name + ": " + message),
                    () -> !stopping);
            if (broken) {
                broken = false;
                LOG.info("{}: following the log of container {} again", service, name);
            }
            long savedAt = System.nanoTime();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (stopping) {
                    break;
                }
                decoder.feed(buffer, 0, n);
                if (position.dirty() && System.nanoTime() - savedAt >= SAVE_EVERY_NANOS) {
                    save();
                    savedAt = System.nanoTime();
                }
            }
            return Outcome.ENDED;
        } finally {
            synchronized (lock) {
                if (current == response) {
                    current = null;
                }
            }
            response.close();
        }
    }

    private static String name(InspectContainerResponse container) {
        String name = container.getName();
        return name == null || name.isEmpty() ? DockerRuntime.shortId(container.getId()) : name.replaceFirst("^/", "");
    }

    /** The engine's clock now, as epoch nanoseconds; ours when it does not say. */
    private long daemonNow() {
        try {
            String time = engine.client().infoCmd().exec().getSystemTime();
            if (time != null) {
                java.time.Instant instant = java.time.OffsetDateTime.parse(time).toInstant();
                return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
            }
        } catch (RuntimeException e) {
            LOG.debug("{}: the Docker engine's time is unknown ({}); using this machine's", service, e.toString());
        }
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private void broke(String what, Throwable e) {
        if (!broken) {
            broken = true;
            sink.problem("service \"" + service + "\": " + what + " on the Docker engine at " + engine.host() + " ("
                    + DockerFailure.rootMessage(e) + "); following it again once the engine answers");
        } else {
            LOG.debug("{}: the Docker engine at {} still does not answer: {}", service, engine.host(),
                    DockerFailure.rootMessage(e));
        }
    }

    private static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private long wakeups() {
        synchronized (lock) {
            return wakeups;
        }
    }

    /** Waits until woken after {@code seen}, closed, or {@code nanos} passed. */
    private void await(long seen, long nanos) {
        long deadline = System.nanoTime() + nanos;
        synchronized (lock) {
            while (!closed && wakeups == seen) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Waits {@code delay} (a wake-up ends it early: the runtime saw the engine come back) and returns the next. */
    private Duration pause(long seen, Duration delay) {
        await(seen, delay.toNanos());
        return DockerEngine.nextRetryDelay(delay);
    }

    private LogPosition loadPosition() {
        Optional<Path> directory = spec.stateDirectory();
        if (directory.isPresent()) {
            try {
                Optional<LogPosition> read = LogPosition.read(directory.get());
                if (read.isPresent()) {
                    return read.get();
                }
            } catch (IOException e) {
                sink.problem("service \"" + service + "\": cannot read " + directory.get().resolve(LogPosition.FILE)
                        + " (" + e.getMessage() + "); following its container's log from now on; delete the file if"
                        + " it is damaged");
            }
        }
        return new LogPosition();
    }

    private void save() {
        Optional<Path> directory = spec.stateDirectory();
        if (position == null || position.containerId() == null || !position.dirty() || directory.isEmpty()) {
            return;
        }
        try {
            java.nio.file.Files.createDirectories(directory.get());
            position.write(directory.get());
            saveFailed = false;
        } catch (IOException e) {
            if (!saveFailed) {
                saveFailed = true;
                sink.problem("service \"" + service + "\": cannot write " + directory.get().resolve(LogPosition.FILE)
                        + " (" + e.getMessage() + "); after a restart aegis may read lines of its container again or"
                        + " miss some");
            }
        }
    }

    /** Passes on to the engine's sink until the source is closed: no line after {@link #close()} returned. */
    private final class Guarded implements LogSink {
        private final LogSink delegate;

        Guarded(LogSink delegate) {
            this.delegate = delegate;
        }

        // Lines read while close() runs are still delivered: the decoder counts them as delivered, so the position
        // written at close includes them, and dropping them here lost them for good (the engine closes its sources
        // before it stops analysing). close() joins the reader, so nothing comes after it returns.
        @Override
        public void line(String origin, long lineNumber, byte[] bytes, int offset, int length, boolean cut) {
            delegate.line(origin, lineNumber, bytes, offset, length, cut);
        }

        @Override
        public void bytesRead(long count) {
            delegate.bytesRead(count);
        }

        @Override
        public void problem(String sentence) {
            if (!stopping) {
                delegate.problem(sentence);
            }
        }
    }
}
