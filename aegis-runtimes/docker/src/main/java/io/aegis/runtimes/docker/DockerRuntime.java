package io.aegis.runtimes.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.RestartPolicy;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.WorkloadListener;
import io.aegis.api.WorkloadStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The container of one service on a Docker engine: runs it from an image (image mode) or supervises an existing one
 * (container mode); see {@link DockerRuntimeFactory} for what each operation does.
 *
 * <p>Operations run one after another on the engine's blocking executor. What the container is doing is kept in a
 * cache that the operations and the engine's event stream update, so {@link #status()} answers at once and a
 * container that dies is reported from its {@code die} event. A death is reported once per run (a run is told apart
 * by its start time in the engine's clock), and never when aegis caused it: while aegis stops, restarts or replaces
 * the container, and after it stopped it.
 */
final class DockerRuntime implements RuntimeAdapter, DockerEngine.Subscriber {
    private static final Logger LOG = LoggerFactory.getLogger(DockerRuntime.class);
    private static final Duration STREAM_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration PULL_TIMEOUT = Duration.ofMinutes(5);
    /** How long a container that Docker is removing (docker rm -f) may take to be gone. */
    private static final Duration REMOVAL_TIMEOUT = Duration.ofSeconds(30);
    /** How long a start, restart or rollback waits for an engine that went away (dockerd restarting) to return. */
    static final Duration ENGINE_RETURN_TIMEOUT = Duration.ofSeconds(60);
    /** How soon an engine that answered an operation with an error must stop answering to count as going away. */
    private static final Duration ENGINE_AWAY_WITHIN = Duration.ofSeconds(5);
    private static final String LAST_HEALTHY_TAG = "last-healthy";
    private static final java.util.regex.Pattern CONTAINER_ID = java.util.regex.Pattern.compile("[0-9a-f]{12,64}");

    private final String serviceName;
    private final DockerRuntimeSettings settings;
    private final DockerEngine engine;
    private final DockerClient docker;
    private final WorkloadListener listener;
    private final Executor executor;
    private final Path stateDirectory;
    /** The {@code runtime.isolate} hook; null when none is set. */
    private final IsolateHookRun isolateHook;
    private final Object lock = new Object();

    // Everything below is guarded by lock.
    private CompletableFuture<Void> lastOperation = CompletableFuture.completedFuture(null);
    private boolean closed;
    private boolean subscribed;
    /** The container of this service, once found or created. */
    private String containerId;
    /** The image id it runs. */
    private String imageId;
    private long pid;
    /** When its current run started, in the engine's clock (epoch nanoseconds); 0 when unknown. */
    private long runStartedNanos;
    private WorkloadStatus.State state = WorkloadStatus.State.STOPPED;
    private Integer exitCode;
    private String exitReason;
    private boolean oomInRun;
    /** The run whose death was already reported. */
    private long reportedRun = -1;
    /** How many operations that stop or replace the container run now: its deaths meanwhile are aegis' doing. */
    private int replacing;
    /** Whether aegis stopped the container (and has not started it since). */
    private boolean stoppedByAegis;
    /** Docker's HEALTHCHECK verdict, when the image has one. */
    private String dockerHealth;
    private ContainerRecord record;
    /** The last healthy image id being recorded now. */
    private String healthyBeingRecorded;
    /** After a rollback: the image id running instead of the tag, and what the tag pointed to then. */
    private String rolledBackTo;
    private String rolledBackFrom;
    /** The networks isolate disconnected the container from; it is connected again at the next (re)start. */
    private final List<String> isolatedFrom = new ArrayList<>();
    /** Containers aegis removed whose destroy event has not come yet: their death and removal are aegis' doing. */
    private final Set<String> removedByAegis = new HashSet<>();
    /** The containers this runtime (re)started in this aegis run: every line of their current run is new. */
    private final Set<String> startedHere = new HashSet<>();
    /** The sources following the container's output; woken by its events. */
    private final List<ContainerLogSource> logSources = new java.util.concurrent.CopyOnWriteArrayList<>();

    DockerRuntime(String serviceName, DockerRuntimeSettings settings, DockerEngine engine, WorkloadListener listener,
            Executor executor, Path stateDirectory, ContainerRecord record) {
        this.serviceName = serviceName;
        this.settings = settings;
        this.engine = engine;
        this.docker = engine.client();
        this.listener = listener;
        this.executor = executor;
        this.stateDirectory = stateDirectory;
        this.record = record;
        this.isolatedFrom.addAll(record.isolatedFrom());
        this.isolateHook = settings.isolateHook().map(hook -> new IsolateHookRun(serviceName, hook, executor))
                .orElse(null);
    }

    // ---------------------------------------------------------------------------------------------- operations

    @Override
    public CompletionStage<Void> start() {
        return enqueue("start", true, () -> {
            synchronized (lock) {
                stoppedByAegis = false;
            }
            ensureEventStream();
            if (settings.createsContainer()) {
                startFromImage(true);
            } else {
                startExisting();
            }
        });
    }

    @Override
    public CompletionStage<Void> stop() {
        return enqueue("stop", () -> {
            String id;
            boolean stoppedBefore;
            synchronized (lock) {
                stoppedBefore = stoppedByAegis;
                stoppedByAegis = true;
                id = containerId;
            }
            if (id == null) {
                return; // never started by this runtime: nothing of it runs
            }
            boolean[] alreadyStopped = {false};
            replacing(() -> {
                try {
                    docker.stopContainerCmd(id).withTimeout(settings.stopTimeout()).exec();
                } catch (NotModifiedException e) {
                    alreadyStopped[0] = true;
                } catch (NotFoundException e) {
                    // gone
                }
            });
            if (alreadyStopped[0] && !stoppedBefore) {
                try {
                    tellIfEndedBeforeStop(docker.inspectContainerCmd(id).exec());
                } catch (NotFoundException e) {
                    // removed since: refresh says so
                }
            }
            refresh(id);
            LOG.info("{}: stopped container {}", serviceName, settings.containerReference());
        });
    }

    /**
     * The Engine API's restart with the stop timeout; when the container is gone, a new one is created (image mode).
     * After a rollback the rolled-back image keeps running until the configured tag points to another image.
     */
    @Override
    public CompletionStage<Void> restart() {
        return enqueue("restart", true, () -> {
            boolean stoppedBefore;
            synchronized (lock) {
                stoppedBefore = stoppedByAegis;
                stoppedByAegis = false;
            }
            ensureEventStream();
            if (settings.createsContainer() && tagMovedSinceRollback()) {
                startFromImage(false);
                return;
            }
            Optional<InspectContainerResponse> container = findContainer();
            if (container.isPresent() && !stoppedBefore) {
                tellIfEndedBeforeStop(container.get());
            }
            if (container.isEmpty()) {
                if (settings.createsContainer()) {
                    LOG.warn("{}: its container {} is gone; creating it again", serviceName, settings.name());
                    startFromImage(false);
                    return;
                }
                throw notFound();
            }
            String id = container.get().getId();
            reconnectNetworks(id);
            boolean restarted;
            try {
                markStartedHere(id);
                restarted = restartUnlessRemoved(id);
            } catch (com.github.dockerjava.api.exception.InternalServerErrorException e) {
                if (!settings.createsContainer() || !String.valueOf(e.getMessage()).contains("already exists")) {
                    throw e;
                }
                // "task <id>: already exists": a restart of dockerd that raced with a restart of the container left
                // containerd a task of it, and every start of that container fails so until containerd restarts; a
                // new container (same settings, same image) does not have one.
                String image = container.get().getImageId();
                LOG.warn("{}: the Docker engine cannot start container {} again ({}); replacing it with a new one"
                        + " from the same image {}", serviceName, settings.name(), DockerFailure.engineMessage(e),
                        shortId(image));
                replacing(() -> remove(id));
                create(image);
                return;
            }
            if (!restarted) {
                if (settings.createsContainer()) {
                    LOG.warn("{}: its container {} was removed; creating it again", serviceName, settings.name());
                    startFromImage(false);
                    return;
                }
                throw notFound();
            }
            refresh(id);
            LOG.info("{}: restarted container {} ({})", serviceName, settings.containerReference(), describeRun());
        });
    }

    /**
     * Recreates the container from the last image id that ran while the service was healthy, with the same settings;
     * fails, changing nothing, when none is recorded or it is the one running.
     */
    @Override
    public CompletionStage<Void> rollback() {
        if (!settings.createsContainer()) {
            return RuntimeAdapter.super.rollback();
        }
        return enqueue("roll back", true, () -> {
            String target;
            String running;
            synchronized (lock) {
                target = record.lastHealthy().orElse(null);
                running = imageId;
            }
            if (target == null) {
                throw new DockerFailure("cannot roll back service \"" + serviceName + "\": no image has run healthy"
                        + " under aegis yet (aegis records the running image id after each healthy check cycle), so"
                        + " there is nothing known-good to go back to");
            }
            if (runsImage(target)) { // judged from the container itself: the cache may describe one that is gone
                throw new DockerFailure("cannot roll back service \"" + serviceName + "\": it already runs its last"
                        + " healthy image " + shortId(target) + " and no older healthy image is known");
            }
            try {
                docker.inspectImageCmd(target).exec();
            } catch (NotFoundException e) {
                throw new DockerFailure("cannot roll back service \"" + serviceName + "\": its last healthy image "
                        + target + " is no longer on the Docker engine at " + engine.host() + " (was aegis/"
                        + repositoryName() + ":" + LAST_HEALTHY_TAG + " removed?)");
            }
            String tagNow = localImageId(settings.image().orElseThrow()).orElse(running);
            synchronized (lock) {
                rolledBackTo = target;
                rolledBackFrom = tagNow;
                stoppedByAegis = false;
            }
            LOG.warn("{}: rolling back from image {} to its last healthy image {}; restarts keep running it until {}"
                    + " points to another image", serviceName, shortId(running), shortId(target),
                    settings.image().orElseThrow());
            ensureEventStream();
            Optional<InspectContainerResponse> existing = findOwnContainer();
            replacing(() -> existing.ifPresent(c -> remove(c.getId())));
            create(target);
        });
    }

    /**
     * Disconnects the container from every network it is on and keeps it running ({@code docker exec} still works),
     * then runs the {@code runtime.isolate} hook if one is set. A container that shares the host's (or another
     * container's) network cannot be disconnected: the hook alone isolates it then, and without one isolate fails,
     * with a sentence saying so, and the container keeps running.
     */
    @Override
    public CompletionStage<Void> isolate() {
        return enqueue("isolate", () -> {
            InspectContainerResponse container = findContainer().orElseThrow(this::notFound);
            String id = container.getId();
            String mode = container.getHostConfig() == null ? null : container.getHostConfig().getNetworkMode();
            boolean shared = "host".equals(mode) || mode != null && mode.startsWith("container:");
            if (shared && isolateHook == null) {
                String what = "host".equals(mode) ? "network mode host" : "network mode " + mode;
                throw new DockerFailure("cannot isolate service \"" + serviceName + "\": " + what + " cannot be"
                        + " disconnected (Docker refuses it), so container " + settings.containerReference()
                        + " still serves on " + ("host".equals(mode) ? "the host's network" : "that network")
                        + "; it was kept running, and aegis no longer restarts it once its recovery gives up; set"
                        + " runtime.isolate.command to a command that takes it out of traffic (e.g. drains it from a"
                        + " load balancer), run it on a user-defined network (runtime.network) to make isolate"
                        + " possible, or stop it by hand");
            }
            List<String> left = shared ? List.of() : disconnect(container);
            if (isolateHook != null) {
                String name = container.getName() == null ? settings.containerReference()
                        : container.getName().replaceFirst("^/", "");
                try {
                    isolateHook.run(id, name);
                } catch (DockerFailure e) {
                    if (left.isEmpty()) {
                        throw e;
                    }
                    throw new DockerFailure(e.getMessage() + "; it was disconnected from " + left + " already (a"
                            + " restart connects it again)", e);
                }
            }
            if (shared) {
                LOG.warn("{}: isolated: network mode {} cannot be disconnected; isolated by {}; kept running for"
                        + " docker exec", serviceName, mode, isolateHook.describe());
            } else if (left.isEmpty()) {
                LOG.warn("{}: isolated: container {} is on no network (network mode {}), so nothing reaches it{};"
                        + " kept running for docker exec", serviceName, settings.containerReference(), mode,
                        isolateHook == null ? "" : "; " + isolateHook.describe() + " ran");
            } else {
                LOG.warn("{}: isolated: container {} disconnected from {}{}; kept running for docker exec",
                        serviceName, settings.containerReference(), left,
                        isolateHook == null ? "" : "; " + isolateHook.describe() + " ran");
            }
        });
    }

    /** Disconnects the container from every network it is on and records them; returns their names. */
    private List<String> disconnect(InspectContainerResponse container) {
        String id = container.getId();
        Map<String, ContainerNetwork> networks = container.getNetworkSettings() == null ? Map.of()
                : Optional.ofNullable(container.getNetworkSettings().getNetworks()).orElse(Map.of());
        List<String> left = new ArrayList<>();
        for (String network : networks.keySet()) {
            if (network.equals("none")) {
                continue;
            }
            try {
                docker.disconnectFromNetworkCmd().withNetworkId(network).withContainerId(id).exec();
                left.add(network);
            } catch (RuntimeException e) {
                throw DockerFailure.of(serviceName, engine.host(), "disconnect container "
                        + settings.containerReference() + " from network " + network + " (disconnected so far: "
                        + left + ")", e);
            }
        }
        synchronized (lock) {
            isolatedFrom.addAll(left);
            containerId = id;
        }
        saveRecord();
        return left;
    }

    @Override
    public CompletionStage<WorkloadStatus> status() {
        synchronized (lock) {
            return CompletableFuture.completedFuture(statusNow());
        }
    }

    /** Records the running image as the rollback target, once per image, without blocking the caller. */
    @Override
    public void workloadHealthy() {
        if (!settings.createsContainer()) {
            return;
        }
        String image;
        synchronized (lock) {
            if (closed || state != WorkloadStatus.State.RUNNING || imageId == null
                    || record.lastHealthy().filter(imageId::equals).isPresent() || imageId.equals(healthyBeingRecorded)) {
                return;
            }
            image = imageId;
            healthyBeingRecorded = image;
        }
        try {
            executor.execute(() -> recordHealthy(image));
        } catch (RuntimeException e) {
            synchronized (lock) {
                healthyBeingRecorded = null;
            }
            LOG.debug("{}: cannot record the healthy image now: {}", serviceName, e.toString());
        }
    }

    /**
     * Follows the container's stdout and stderr through the Engine API's log stream, across restarts and
     * replacements of the container and restarts of dockerd; see {@link ContainerLogSource}. Lines come with the
     * origin {@code container <name> stdout} (or {@code stderr}); how far they were read is kept in the spec's state
     * directory.
     */
    @Override
    public Optional<io.aegis.api.LogSource> logSource(io.aegis.api.LogSourceSpec spec) {
        ContainerLogSource source = new ContainerLogSource(this, engine, spec, serviceName, engine.firstRetryDelay());
        logSources.add(source);
        return Optional.of(source);
    }

    /**
     * The container whose output the log source follows now: the one known, else the one recorded, else the one with
     * the configured name (in image mode only when aegis created it for this service); empty when there is none.
     * Throws when the engine does not answer.
     */
    Optional<InspectContainerResponse> logContainer() {
        String known;
        synchronized (lock) {
            if (closed) {
                return Optional.empty();
            }
            known = containerId != null ? containerId : record.containerId().orElse(null);
        }
        if (known != null) {
            Optional<InspectContainerResponse> byId = inspect(known);
            if (byId.isPresent()) {
                return byId;
            }
        }
        Optional<InspectContainerResponse> byName = inspect(settings.containerReference());
        return settings.createsContainer()
                ? byName.filter(c -> serviceName.equals(labels(c).get(DockerRuntimeSettings.SERVICE_LABEL))) : byName;
    }

    /** Whether this runtime (re)started container {@code id} in this aegis run. */
    boolean startedHere(String id) {
        synchronized (lock) {
            return startedHere.contains(id);
        }
    }

    private void markStartedHere(String id) {
        synchronized (lock) {
            startedHere.add(id);
        }
    }

    private void wakeLogSources() {
        for (ContainerLogSource source : logSources) {
            source.wake();
        }
    }

    @Override
    public boolean outlivesEngine() {
        return !settings.createsContainer();
    }

    /**
     * A restart or rollback may take the whole stop timeout, then a create and a start; an isolate the whole
     * {@code isolate.timeout} of its hook.
     */
    @Override
    public Duration operationTimeout() {
        Duration needed = Duration.ofSeconds(2L * settings.stopTimeout()).plus(Duration.ofMinutes(1));
        if (isolateHook != null && isolateHook.longest().plus(Duration.ofMinutes(1)).compareTo(needed) > 0) {
            needed = isolateHook.longest().plus(Duration.ofMinutes(1));
        }
        return needed.compareTo(Duration.ofMinutes(2)) > 0 ? needed : Duration.ofMinutes(2);
    }

    @Override
    public Set<RuntimeOperation> supportedOperations() {
        Set<RuntimeOperation> operations = EnumSet.of(RuntimeOperation.START, RuntimeOperation.STOP,
                RuntimeOperation.RESTART, RuntimeOperation.ISOLATE);
        if (settings.createsContainer()) {
            operations.add(RuntimeOperation.ROLLBACK);
        }
        return operations;
    }

    /**
     * Stops listening to the engine's events and kills a running isolate hook; the container is left as it is (the
     * engine stops it first if due).
     */
    @Override
    public void close() {
        boolean wasSubscribed;
        synchronized (lock) {
            closed = true;
            wasSubscribed = subscribed;
            subscribed = false;
        }
        if (isolateHook != null) {
            isolateHook.close();
        }
        for (ContainerLogSource source : logSources) {
            source.close(); // the engine closes them first; this covers an embedder that only closes the runtime
        }
        if (wasSubscribed) {
            engine.unsubscribe(this);
        }
    }

    @Override
    public String toString() {
        return "DockerRuntime[" + serviceName + ": " + settings.image().map(i -> "image " + i)
                .orElse("container " + settings.containerReference()) + " on " + engine.host() + "]";
    }

    // ----------------------------------------------------------------------------------------------- events

    @Override
    public void onEvent(Event event) {
        String id = event.getId();
        Map<String, String> attributes = event.getActor() == null || event.getActor().getAttributes() == null
                ? Map.of() : event.getActor().getAttributes();
        String action = String.valueOf(event.getAction());
        WorkloadStatus report = null;
        boolean lookAgain = false;
        synchronized (lock) {
            if (closed || id == null) {
                return;
            }
            boolean current = id.equals(containerId);
            boolean sameName = settings.containerReference().equals(attributes.get("name"))
                    || !settings.createsContainer() && CONTAINER_ID.matcher(settings.containerReference()).matches()
                            && id.startsWith(settings.containerReference());
            if (!current && !sameName) {
                return;
            }
            if (!logSources.isEmpty() && !action.startsWith("health_status")) {
                wakeLogSources(); // started, died, or replaced: its log stream begins or ends
            }
            boolean ownRemoval = action.equals("destroy") && removedByAegis.remove(id);
            if (action.equals("destroy")) {
                lock.notifyAll(); // wakes a wait for this container's removal
            }
            if (action.equals("oom") && current) {
                oomInRun = true;
            } else if (action.equals("die") && current) {
                report = died(event, attributes);
            } else if (action.startsWith("health_status") && current) {
                String health = action.substring(action.indexOf(':') + 1).trim();
                if (!health.equals(dockerHealth)) {
                    LOG.info("{}: Docker reports container {} {}", serviceName, settings.containerReference(), health);
                }
                dockerHealth = health;
            } else if (action.equals("start") && replacing == 0) {
                // Started by someone else (docker start, a deploy tool that recreated it under the same name).
                lookAgain = !current || state != WorkloadStatus.State.RUNNING;
            } else if (action.equals("destroy") && current && replacing == 0 && !ownRemoval) {
                LOG.warn("{}: container {} was removed by someone else", serviceName, settings.containerReference());
            }
        }
        if (report != null) {
            tell(report);
        }
        if (lookAgain) {
            runQuietly("look at container " + settings.containerReference() + " again", () -> findContainer()
                    .ifPresent(c -> refresh(c.getId())));
        }
    }

    /** A die event of the current container; called with the lock held. Returns the status to report, if any. */
    private WorkloadStatus died(Event event, Map<String, String> attributes) {
        long nanos = event.getTimeNano() != null ? event.getTimeNano() : 0;
        Integer code = parseInt(attributes.get("exitCode"));
        if (replacing > 0 || stoppedByAegis || removedByAegis.contains(event.getId())) {
            return null; // aegis' own doing; the operation looks at the container when it ends
        }
        if (nanos != 0 && runStartedNanos != 0 && nanos < runStartedNanos) {
            return null; // the end of an earlier run, reported late
        }
        state = WorkloadStatus.State.EXITED;
        exitCode = code;
        exitReason = oomInRun ? "OOMKilled" : null;
        if (reportedRun == runStartedNanos) {
            return null;
        }
        reportedRun = runStartedNanos;
        return statusNow();
    }

    /** The stream was away: look at the container again and report a death it missed. */
    @Override
    public void resync() {
        wakeLogSources(); // the engine is back: so is the log stream
        synchronized (lock) {
            if (closed || containerId == null) {
                return;
            }
        }
        runQuietly("look at container " + settings.containerReference() + " again after the event stream came back",
                () -> {
                    WorkloadStatus report = null;
                    Optional<InspectContainerResponse> container = findContainer();
                    synchronized (lock) {
                        if (replacing > 0 || stoppedByAegis || state != WorkloadStatus.State.RUNNING) {
                            return;
                        }
                        if (container.isEmpty() || !container.get().getId().equals(containerId)
                                || !Boolean.TRUE.equals(container.get().getState().getRunning())) {
                            if (container.isPresent() && container.get().getId().equals(containerId)) {
                                InspectContainerResponse.ContainerState s = container.get().getState();
                                exitCode = s.getExitCodeLong() == null ? null : s.getExitCodeLong().intValue();
                                exitReason = Boolean.TRUE.equals(s.getOOMKilled()) ? "OOMKilled" : null;
                            }
                            state = WorkloadStatus.State.EXITED;
                            if (reportedRun != runStartedNanos) {
                                reportedRun = runStartedNanos;
                                report = statusNow();
                            }
                        }
                    }
                    if (report != null) {
                        tell(report);
                    } else if (container.isPresent()) {
                        refresh(container.get().getId());
                    }
                });
    }

    /**
     * A look before aegis stops or restarts the container found it ended on its own, and its die event has not been
     * handled yet (the event stream is away, or a failed check set off the restart first): told now, once, as an end
     * before the stop, which the engine counts and does not act on. Its die event, when it comes during or after the
     * operation, is taken for aegis' own doing; without this the crash would be lost.
     */
    private void tellIfEndedBeforeStop(InspectContainerResponse container) {
        InspectContainerResponse.ContainerState s = container.getState();
        WorkloadStatus ended;
        synchronized (lock) {
            if (closed || !container.getId().equals(containerId) || Boolean.TRUE.equals(s.getRunning())
                    || parseTime(s.getStartedAt()) != runStartedNanos || reportedRun == runStartedNanos) {
                return;
            }
            state = WorkloadStatus.State.EXITED;
            exitCode = s.getExitCodeLong() == null ? null : s.getExitCodeLong().intValue();
            exitReason = Boolean.TRUE.equals(s.getOOMKilled()) ? "OOMKilled" : null;
            reportedRun = runStartedNanos;
            ended = statusNow();
        }
        LOG.warn("{}: container {} had ended before aegis stopped it: {}", serviceName,
                settings.containerReference(), ended.description());
        try {
            listener.workloadExitedBeforeStop(ended);
        } catch (RuntimeException e) {
            LOG.warn("{}: the workload listener failed on {}", serviceName, ended.description(), e);
        }
    }

    private void tell(WorkloadStatus status) {
        LOG.warn("{}: container {} ended: {}", serviceName, settings.containerReference(), status.description());
        try {
            listener.workloadExited(status);
        } catch (RuntimeException e) {
            LOG.warn("{}: the workload listener failed on {}", serviceName, status.description(), e);
        }
    }

    // ------------------------------------------------------------------------------------------- machinery

    private interface Step {
        void run();
    }

    /** Runs {@code body} on the executor after every operation queued before it, whether those succeeded or not. */
    private CompletionStage<Void> enqueue(String what, Step body) {
        return enqueue(what, false, body);
    }

    /**
     * As {@link #enqueue(String, Step)}; with {@code waitForEngine}, a body that fails because the engine went away
     * (dockerd restarting: it answers 500 while it shuts down, then not at all) is run again once the engine's event
     * stream is back, for up to {@link #ENGINE_RETURN_TIMEOUT}: a restart of dockerd then costs the service one
     * recovery step that waits, not every step of its ladder failing within a second.
     */
    private CompletionStage<Void> enqueue(String what, boolean waitForEngine, Step body) {
        CompletableFuture<Void> result;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(new DockerFailure("service \"" + serviceName + "\": cannot "
                        + what + ": its docker runtime is closed"));
            }
            result = lastOperation.handle((ignored, failure) -> null).thenComposeAsync(ignored -> attempt(what, body,
                    waitForEngine, System.nanoTime() + ENGINE_RETURN_TIMEOUT.toNanos()), executor);
            lastOperation = result;
        }
        // A copy, so a caller that cancels or times out its stage cannot reorder the queue.
        return result.copy();
    }

    private CompletableFuture<Void> attempt(String what, Step body, boolean waitForEngine, long deadline) {
        try {
            body.run();
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            DockerFailure failure = DockerFailure.of(serviceName, engine.host(), what + " container "
                    + settings.containerReference(), e);
            CompletableFuture<Void> back = waitForEngine ? engineBack(what, e, deadline) : null;
            if (back == null) {
                LOG.debug("{}: {} failed", serviceName, what, failure);
                return CompletableFuture.failedFuture(failure);
            }
            return back.handle((ignored, notBack) -> notBack).thenComposeAsync(notBack -> {
                Throwable why = notBack instanceof java.util.concurrent.CompletionException && notBack.getCause() != null
                        ? notBack.getCause() : notBack;
                if (why instanceof EngineStayedUp) {
                    LOG.debug("{}: {} failed", serviceName, what, failure);
                    return CompletableFuture.<Void>failedFuture(failure); // it meant it
                }
                if (why != null) {
                    LOG.debug("{}: {} failed; the Docker engine did not come back", serviceName, what, failure);
                    return CompletableFuture.<Void>failedFuture(new DockerFailure(failure.getMessage() + " (the"
                            + " engine went away and did not come back within " + ENGINE_RETURN_TIMEOUT.toSeconds()
                            + " s)", failure));
                }
                LOG.info("{}: the Docker engine at {} is back; trying to {} again", serviceName, engine.host(), what);
                return attempt(what, body, waitForEngine, deadline);
            }, executor);
        }
    }

    /**
     * When {@code failure} looks like the engine going away (unreachable, or an error answer from a dockerd that
     * then stops answering: a 500 while it shuts down) and it answered earlier in this run: a stage that completes
     * once its event stream broke and connected again, failing after the deadline. Null when it is not that, so the
     * failure is reported at once: a wrong address or a refusal is not waited out.
     */
    private CompletableFuture<Void> engineBack(String what, RuntimeException failure, long deadline) {
        EventStream stream = engine.stream();
        long left = deadline - System.nanoTime();
        // The engine's own error answer to the operation's call; one aegis already turned into a sentence (a pull
        // the registry refused: HTTP 500 too) is final.
        boolean serverError = failure instanceof com.github.dockerjava.api.exception.DockerException
                && ((com.github.dockerjava.api.exception.DockerException) failure).getHttpStatus() >= 500;
        boolean connectionLost = DockerFailure.isUnreachable(failure);
        if (left <= 0 || !serverError && !connectionLost) {
            return null;
        }
        if (stream == null || !stream.everConnected()) {
            if (!connectionLost || what.equals("start")) {
                return null; // the first start says at once that the engine does not answer (a wrong address?)
            }
            // Not reached yet in this run, e.g. aegis started before dockerd at boot: the start failed at once
            // saying so; the recovery's restart waits for the engine to answer, as after a restart of dockerd.
            LOG.warn("{}: cannot {}: the Docker engine at {} does not answer ({}); trying again once it does (waiting"
                    + " at most {} s)", serviceName, what, engine.host(), DockerFailure.rootMessage(failure),
                    TimeUnit.NANOSECONDS.toSeconds(left));
            return engineAnswers(deadline);
        }
        LOG.warn("{}: cannot {} now ({}); if the Docker engine at {} is restarting, trying again once it is back"
                + " (waiting at most {} s)", serviceName, what, DockerFailure.rootMessage(failure), engine.host(),
                TimeUnit.NANOSECONDS.toSeconds(left));
        // A dockerd that answered with an error but does not go away within a few seconds meant it.
        long away = Math.min(left, ENGINE_AWAY_WITHIN.toNanos());
        CompletableFuture<Void> wentDown = stream.whenDown().orTimeout(away, TimeUnit.NANOSECONDS);
        if (connectionLost) {
            // The stream stayed up: a connection the pool kept from before dockerd restarted, cut; try again.
            wentDown = wentDown.exceptionally(stillUp -> null);
        } else {
            wentDown = wentDown.exceptionally(stillUp -> {
                throw new EngineStayedUp();
            });
        }
        return wentDown.thenCompose(down -> stream.whenUp().orTimeout(Math.max(1, deadline - System.nanoTime()),
                TimeUnit.NANOSECONDS));
    }

    /** The engine answered an operation with an error and did not go away: it meant it. */
    private static final class EngineStayedUp extends RuntimeException {
        private static final long serialVersionUID = 1L;

        EngineStayedUp() {
            super(null, null, false, false);
        }
    }

    /** Completes once the engine answers a ping (asked every second on the executor), failing after the deadline. */
    private CompletableFuture<Void> engineAnswers(long deadline) {
        return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS, executor))
                .thenCompose(waited -> {
                    try {
                        docker.pingCmd().exec();
                        return CompletableFuture.<Void>completedFuture(null);
                    } catch (RuntimeException e) {
                        return System.nanoTime() - deadline >= 0 ? CompletableFuture.<Void>failedFuture(e)
                                : engineAnswers(deadline);
                    }
                });
    }

    private void runQuietly(String what, Step step) {
        try {
            executor.execute(() -> {
                try {
                    step.run();
                } catch (RuntimeException e) {
                    LOG.warn("{}: cannot {}: {}", serviceName, what, DockerFailure.rootMessage(e));
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("{}: not going to {}: {}", serviceName, what, e.toString());
        }
    }

    /** Runs a step that stops or replaces the container: deaths meanwhile are aegis' doing. */
    private void replacing(Step step) {
        synchronized (lock) {
            replacing++;
        }
        try {
            step.run();
        } finally {
            synchronized (lock) {
                replacing--;
            }
        }
    }

    /** Opens (or joins) the engine's event stream before anything is started, so no death can be missed. */
    private void ensureEventStream() {
        EventStream stream;
        synchronized (lock) {
            subscribed = true;
        }
        docker.pingCmd().exec(); // an unreachable engine is said as such, not as a stream that does not open
        stream = engine.subscribe(this);
        synchronized (lock) {
            if (closed) {
                // closed while subscribing: close() may have missed the subscription
                engine.unsubscribe(this);
                throw new DockerFailure("service \"" + serviceName + "\": its docker runtime was closed");
            }
        }
        try {
            if (!stream.awaitConnected(STREAM_CONNECT_TIMEOUT)) {
                throw new DockerFailure("service \"" + serviceName + "\": the Docker engine at " + engine.host()
                        + " did not open its event stream within " + STREAM_CONNECT_TIMEOUT.toSeconds() + " s, so"
                        + " aegis would not see the container die; is dockerd overloaded?");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DockerFailure("service \"" + serviceName + "\": interrupted while connecting to the Docker"
                    + " engine's event stream");
        }
    }

    /** Container mode: starts the configured container unless it runs, then adopts it. */
    private void startExisting() {
        InspectContainerResponse container = findContainer().orElseThrow(this::notFound);
        String id = container.getId();
        if (Boolean.TRUE.equals(container.getState().getRunning())) {
            refresh(id);
            LOG.info("{}: supervising running container {} ({})", serviceName, settings.containerReference(),
                    describeRun());
            return;
        }
        reconnectNetworks(id);
        markStartedHere(id); // before: the start event may wake a log source at once
        docker.startContainerCmd(id).exec();
        refresh(id);
        LOG.info("{}: started container {} ({})", serviceName, settings.containerReference(), describeRun());
    }

    /**
     * Image mode: finds the image (pulling as configured), then adopts the container aegis created earlier when it
     * runs that image with the same settings, starts it when it stopped, or replaces it.
     */
    private void startFromImage(boolean atStart) {
        String wanted = wantedImage(atStart);
        Optional<InspectContainerResponse> existing = findOwnContainer();
        if (existing.isPresent()) {
            InspectContainerResponse container = existing.get();
            String id = container.getId();
            String digest = labels(container).get(DockerRuntimeSettings.CONFIG_LABEL);
            if (wanted.equals(container.getImageId()) && settings.configDigest().equals(digest)) {
                if (Boolean.TRUE.equals(container.getState().getRunning())) {
                    refresh(id);
                    remember(id, container.getImageId());
                    LOG.info("{}: adopted its running container {} ({})", serviceName, settings.name(), describeRun());
                    return;
                }
                reconnectNetworks(id);
                markStartedHere(id); // before: the start event may wake a log source at once
                docker.startContainerCmd(id).exec();
                refresh(id);
                remember(id, container.getImageId());
                LOG.info("{}: started its container {} ({})", serviceName, settings.name(), describeRun());
                return;
            }
            LOG.info("{}: replacing container {}: {}", serviceName, settings.name(),
                    wanted.equals(container.getImageId()) ? "its settings changed"
                            : "it runs image " + shortId(container.getImageId()) + ", not " + shortId(wanted));
            replacing(() -> remove(id));
        }
        create(wanted);
    }

    /** The image id to run: the configured image (pulled as configured), or the rolled-back one. */
    private String wantedImage(boolean atStart) {
        String reference = settings.image().orElseThrow();
        if (atStart && settings.pull() == DockerRuntimeSettings.Pull.ALWAYS) {
            pull(reference);
        }
        Optional<String> id = localImageId(reference);
        if (id.isEmpty()) {
            if (settings.pull() == DockerRuntimeSettings.Pull.NEVER) {
                throw new DockerFailure("service \"" + serviceName + "\": image " + reference + " is not on the Docker"
                        + " engine at " + engine.host() + "; pull it or set pull: missing");
            }
            pull(reference);
            id = localImageId(reference);
            if (id.isEmpty()) {
                throw new DockerFailure("service \"" + serviceName + "\": image " + reference + " was pulled but the"
                        + " Docker engine at " + engine.host() + " does not have it; check the image name");
            }
        }
        synchronized (lock) {
            if (rolledBackTo != null) {
                if (id.get().equals(rolledBackFrom)) {
                    return rolledBackTo;
                }
                LOG.info("{}: {} points to image {} now, no longer to {}; running it instead of the rolled-back {}",
                        serviceName, reference, shortId(id.get()), shortId(rolledBackFrom), shortId(rolledBackTo));
                rolledBackTo = null;
                rolledBackFrom = null;
            }
        }
        return id.get();
    }

    /** Whether a rollback happened and the configured tag has moved since (a new image was deployed). */
    private boolean tagMovedSinceRollback() {
        String from;
        synchronized (lock) {
            from = rolledBackFrom;
        }
        if (from == null) {
            return false;
        }
        return localImageId(settings.image().orElseThrow()).filter(id -> !id.equals(from)).isPresent();
    }

    private Optional<String> localImageId(String reference) {
        try {
            return Optional.ofNullable(docker.inspectImageCmd(reference).exec().getId());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    private void pull(String reference) {
        String repository = reference;
        String tag = "latest";
        int at = reference.indexOf('@');
        int slash = reference.lastIndexOf('/');
        int colon = reference.lastIndexOf(':');
        if (at >= 0) {
            repository = reference.substring(0, at);
            tag = reference.substring(at + 1);
        } else if (colon > slash) {
            repository = reference.substring(0, colon);
            tag = reference.substring(colon + 1);
        }
        LOG.info("{}: pulling image {}", serviceName, reference);
        QuietPull callback = new QuietPull();
        try {
            boolean done = docker.pullImageCmd(repository).withTag(tag).exec(callback)
                    .awaitCompletion(PULL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (callback.failure != null) {
                throw callback.failure;
            }
            if (!done) {
                throw new DockerFailure("service \"" + serviceName + "\": pulling image " + reference + " took longer"
                        + " than " + PULL_TIMEOUT.toMinutes() + " minutes; pull it beforehand (docker pull " + reference
                        + ") or check the registry");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DockerFailure("service \"" + serviceName + "\": interrupted while pulling image " + reference);
        } catch (DockerFailure e) {
            throw e;
        } catch (RuntimeException e) {
            if (DockerFailure.isUnreachable(e) && !(e instanceof com.github.dockerjava.api.exception.DockerException)) {
                throw DockerFailure.of(serviceName, engine.host(), "pull image " + reference, e);
            }
            String why = e instanceof com.github.dockerjava.api.exception.DockerException
                    ? DockerFailure.engineMessage((com.github.dockerjava.api.exception.DockerException) e)
                    : DockerFailure.rootMessage(e);
            throw new DockerFailure("service \"" + serviceName + "\": image " + reference + " is not on the Docker"
                    + " engine at " + engine.host() + " and pulling it failed: " + why + "; check the image name and"
                    + " the registry, or load the image onto the engine (docker pull, docker load)", e);
        }
    }

    /**
     * A pull's progress; a failure is kept for the caller rather than logged with its stack trace by docker-java
     * (the caller turns it into one sentence).
     */
    private static final class QuietPull extends PullImageResultCallback {
        volatile RuntimeException failure;

        @Override
        public void onError(Throwable throwable) {
            failure = throwable instanceof RuntimeException ? (RuntimeException) throwable
                    : new IllegalStateException(throwable.getMessage(), throwable);
            try {
                close();
            } catch (IOException e) {
                // closing a failed pull's stream: nothing left to release
            }
        }
    }

    /** Creates and starts the container from {@code image} (an id), and records it. */
    private void create(String image) {
        Map<String, String> labels = new LinkedHashMap<>(settings.labels());
        labels.put(DockerRuntimeSettings.SERVICE_LABEL, serviceName);
        labels.put(DockerRuntimeSettings.CONFIG_LABEL, settings.configDigest());
        HostConfig host = HostConfig.newHostConfig().withRestartPolicy(RestartPolicy.noRestart());
        settings.network().ifPresent(host::withNetworkMode);
        if (settings.init()) {
            host.withInit(true);
        }
        if (!settings.volumes().isEmpty()) {
            host.withBinds(settings.volumes().stream().map(Bind::parse).toArray(Bind[]::new));
        }
        List<ExposedPort> exposed = new ArrayList<>();
        if (!settings.ports().isEmpty()) {
            PortBinding[] bindings = settings.ports().stream().map(PortBinding::parse).toArray(PortBinding[]::new);
            host.withPortBindings(bindings);
            for (PortBinding binding : bindings) {
                exposed.add(binding.getExposedPort());
            }
        }
        CreateContainerCmd command = docker.createContainerCmd(image).withName(settings.name()).withLabels(labels)
                .withHostConfig(host).withStopTimeout(settings.stopTimeout());
        if (!exposed.isEmpty()) {
            command.withExposedPorts(exposed);
        }
        if (!settings.command().isEmpty()) {
            command.withCmd(settings.command());
        }
        if (!settings.environment().isEmpty()) {
            command.withEnv(settings.environment().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .toList());
        }
        String id;
        try {
            id = command.exec().getId();
        } catch (ConflictException e) {
            throw nameConflict();
        }
        synchronized (lock) {
            isolatedFrom.clear(); // a new container is on its configured networks
        }
        remember(id, image);
        try {
            markStartedHere(id); // before: the start event may wake a log source at once
            docker.startContainerCmd(id).exec();
        } catch (RuntimeException e) {
            throw DockerFailure.of(serviceName, engine.host(), "start container " + settings.name() + " (created from"
                    + " image " + shortId(image) + ")", e);
        }
        refresh(id);
        String tagged = settings.image().orElseThrow();
        synchronized (lock) {
            tagged = image.equals(rolledBackTo) ? "its last healthy image" : tagged;
        }
        LOG.info("{}: created and started container {} from {} ({})", serviceName, settings.name(), tagged,
                describeRun());
    }

    /** Stops (gracefully) and removes a container aegis created. */
    private void remove(String id) {
        try {
            docker.stopContainerCmd(id).withTimeout(settings.stopTimeout()).exec();
        } catch (NotModifiedException | NotFoundException e) {
            // already stopped, or gone
        }
        synchronized (lock) {
            removedByAegis.add(id); // its destroy event may come after this operation ended
        }
        try {
            // Anonymous volumes are kept: they may hold the only copy of the service's data.
            docker.removeContainerCmd(id).withForce(true).exec();
        } catch (NotFoundException e) {
            synchronized (lock) {
                removedByAegis.remove(id); // gone already: removed by someone else
            }
        }
    }

    /** The container of this service: the one known, else the one recorded, else the one with its name. */
    private Optional<InspectContainerResponse> findContainer() {
        return settings.createsContainer() ? findOwnContainer() : inspectUnlessRemoved(settings.containerReference());
    }

    /**
     * Image mode: the container aegis created for this service, by id (kept or recorded), else by name; a container
     * with the name that aegis did not create for this service is a conflict a person must resolve.
     */
    private Optional<InspectContainerResponse> findOwnContainer() {
        String known;
        synchronized (lock) {
            known = containerId != null ? containerId : record.containerId().orElse(null);
        }
        if (known != null) {
            Optional<InspectContainerResponse> byId = inspectUnlessRemoved(known);
            if (byId.isPresent()) {
                return byId;
            }
        }
        Optional<InspectContainerResponse> byName = inspectUnlessRemoved(settings.name());
        if (byName.isPresent() && !serviceName.equals(labels(byName.get()).get(DockerRuntimeSettings.SERVICE_LABEL))) {
            throw nameConflict();
        }
        return byName;
    }

    /**
     * The container, unless Docker is removing it ({@code docker rm -f}, a deploy tool): that one cannot be started
     * again, so this waits, bounded, until it is gone and says empty. Its destroy event wakes the wait; an inspection
     * every quarter second covers an event stream that is away.
     */
    private Optional<InspectContainerResponse> inspectUnlessRemoved(String reference) {
        Optional<InspectContainerResponse> found = inspect(reference);
        if (found.isEmpty() || !beingRemoved(found.get())) {
            return found;
        }
        String id = found.get().getId();
        LOG.info("{}: container {} ({}) is being removed; waiting until it is gone", serviceName,
                settings.containerReference(), shortId(id));
        long deadline = System.nanoTime() + REMOVAL_TIMEOUT.toNanos();
        while (found.isPresent() && beingRemoved(found.get())) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new DockerFailure("service \"" + serviceName + "\": container " + settings.containerReference()
                        + " (" + shortId(id) + ") was still being removed by the Docker engine at " + engine.host()
                        + " after " + REMOVAL_TIMEOUT.toSeconds() + " s; once it is gone (docker ps -a), restart the"
                        + " service");
            }
            try {
                synchronized (lock) {
                    lock.wait(Math.min(left, 250));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DockerFailure("service \"" + serviceName + "\": interrupted while waiting for the removal of"
                        + " container " + settings.containerReference());
            }
            found = inspect(id);
        }
        return found;
    }

    private static boolean beingRemoved(InspectContainerResponse container) {
        return container.getState() != null && "removing".equals(container.getState().getStatus());
    }

    /**
     * The Engine API's restart; false when the container turned out to be removed meanwhile (Docker refuses to start
     * a container marked for removal), once it is gone.
     */
    private boolean restartUnlessRemoved(String id) {
        try {
            replacing(() -> docker.restartContainerCmd(id).withTimeout(settings.stopTimeout()).exec());
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("marked for removal")) {
                throw e;
            }
            if (inspectUnlessRemoved(id).isPresent()) {
                throw e;
            }
            return false;
        }
    }

    /** Whether a container of this service runs {@code image} (an id) now. */
    private boolean runsImage(String image) {
        return findOwnContainer().filter(c -> image.equals(c.getImageId()))
                .filter(c -> c.getState() != null && Boolean.TRUE.equals(c.getState().getRunning())).isPresent();
    }

    private Optional<InspectContainerResponse> inspect(String reference) {
        try {
            return Optional.of(docker.inspectContainerCmd(reference).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /** Reads the container's state into the cache. */
    private void refresh(String id) {
        InspectContainerResponse container;
        try {
            container = docker.inspectContainerCmd(id).exec();
        } catch (NotFoundException e) {
            synchronized (lock) {
                if (id.equals(containerId)) {
                    state = stoppedByAegis ? WorkloadStatus.State.STOPPED : WorkloadStatus.State.EXITED;
                    exitReason = "container removed";
                }
            }
            return;
        }
        InspectContainerResponse.ContainerState s = container.getState();
        synchronized (lock) {
            long started = parseTime(s.getStartedAt());
            if (!container.getId().equals(containerId) || started != runStartedNanos) {
                oomInRun = false;
            }
            // The inspection's verdict: a health_status event may have come before this inspection of a new run.
            dockerHealth = s.getHealth() == null || s.getHealth().getStatus() == null
                    || s.getHealth().getStatus().isBlank() ? null : s.getHealth().getStatus();
            containerId = container.getId();
            imageId = container.getImageId();
            runStartedNanos = started;
            pid = s.getPidLong() == null ? 0 : s.getPidLong();
            if (Boolean.TRUE.equals(s.getRunning())) {
                state = WorkloadStatus.State.RUNNING;
                exitCode = null;
                exitReason = null;
            } else {
                state = stoppedByAegis ? WorkloadStatus.State.STOPPED : WorkloadStatus.State.EXITED;
                exitCode = s.getExitCodeLong() == null ? null : s.getExitCodeLong().intValue();
                exitReason = Boolean.TRUE.equals(s.getOOMKilled()) ? "OOMKilled" : null;
            }
        }
    }

    /** Records the container aegis created (image mode), so the next aegis run finds it. */
    private void remember(String id, String image) {
        synchronized (lock) {
            containerId = id;
            record = record.withContainer(id, image);
        }
        saveRecord();
        wakeLogSources();
    }

    /**
     * Writes the record with the networks isolate left: in image mode always, in container mode while the container
     * is isolated (so the next aegis run connects it again); a supervised container is never removed for its record,
     * which names no container aegis created.
     */
    private void saveRecord() {
        ContainerRecord updated;
        synchronized (lock) {
            record = record.withIsolatedFrom(isolatedFrom);
            if (!settings.createsContainer() && containerId != null) {
                record = record.withContainer(containerId, imageId == null ? "" : imageId);
            }
            updated = record;
        }
        writeRecord(updated);
    }

    private void recordHealthy(String image) {
        try {
            ContainerRecord updated;
            try {
                // Tagged so that docker image prune keeps it even after the service's tag moved on.
                docker.tagImageCmd(image, "aegis/" + repositoryName(), LAST_HEALTHY_TAG).exec();
            } catch (RuntimeException e) {
                LOG.warn("{}: cannot tag its healthy image {} as aegis/{}:{}, so docker image prune may remove it: {}",
                        serviceName, shortId(image), repositoryName(), LAST_HEALTHY_TAG, DockerFailure.rootMessage(e));
            }
            synchronized (lock) {
                record = record.withLastHealthy(image);
                updated = record;
            }
            writeRecord(updated);
            LOG.info("{}: image {} ran healthy; it is the rollback target now", serviceName, shortId(image));
        } finally {
            synchronized (lock) {
                if (image.equals(healthyBeingRecorded)) {
                    healthyBeingRecorded = null;
                }
            }
        }
    }

    private void writeRecord(ContainerRecord toWrite) {
        try {
            toWrite.write(stateDirectory);
        } catch (IOException e) {
            LOG.warn("{}: cannot write {} in {}: {}; the next aegis run may not find its container or last healthy"
                    + " image", serviceName, ContainerRecord.FILE, stateDirectory, e.getMessage());
        }
    }

    /** Connects a container that isolate disconnected to its networks again, before it is (re)started. */
    private void reconnectNetworks(String id) {
        List<String> networks;
        synchronized (lock) {
            networks = List.copyOf(isolatedFrom);
            isolatedFrom.clear();
        }
        if (networks.isEmpty()) {
            return;
        }
        saveRecord();
        for (String network : networks) {
            try {
                docker.connectToNetworkCmd().withNetworkId(network).withContainerId(id).exec();
                LOG.info("{}: connected container {} to network {} again", serviceName, settings.containerReference(),
                        network);
            } catch (RuntimeException e) {
                LOG.warn("{}: cannot connect container {} to network {} again: {}", serviceName,
                        settings.containerReference(), network, DockerFailure.rootMessage(e));
            }
        }
    }

    /** The status from the cache; called with the lock held. */
    private WorkloadStatus statusNow() {
        WorkloadStatus status;
        String name = settings.containerReference();
        switch (state) {
            case RUNNING:
                status = WorkloadStatus.running("container " + name + " (" + shortId(containerId) + ", image "
                        + shortId(imageId) + (dockerHealth == null ? "" : ", " + dockerHealth) + ")");
                if (pid > 0) {
                    status = status.withPid(pid);
                }
                break;
            case EXITED:
                status = WorkloadStatus.exited("container " + name + " (" + shortId(containerId) + ") exited"
                        + (exitCode == null ? "" : " with code " + exitCode) + (exitReason == null ? ""
                        : " (" + exitReason + ")"));
                if (pid > 0) {
                    status = status.withPid(pid);
                }
                if (exitCode != null) {
                    status = status.withExitCode(exitCode);
                }
                if (exitReason != null) {
                    status = status.withExitReason(exitReason);
                }
                break;
            default:
                return WorkloadStatus.stopped();
        }
        status = status.withId(containerId);
        return imageId == null ? status : status.withVersion(imageId);
    }

    private String describeRun() {
        synchronized (lock) {
            return "id " + shortId(containerId) + ", image " + shortId(imageId) + (pid > 0 ? ", pid " + pid : "");
        }
    }

    private DockerFailure notFound() {
        if (settings.createsContainer()) {
            return new DockerFailure("service \"" + serviceName + "\": its container " + settings.name() + " is not on"
                    + " the Docker engine at " + engine.host() + " (removed by someone?); restart the service and aegis"
                    + " creates it again");
        }
        return new DockerFailure("service \"" + serviceName + "\": container " + settings.containerReference()
                + " is not on the Docker engine at " + engine.host() + "; create it first (docker create --name "
                + settings.containerReference() + " ...), or let aegis run one with runtime.image");
    }

    private DockerFailure nameConflict() {
        String name = settings.name();
        return new DockerFailure("service \"" + serviceName + "\": a container named " + name + " already exists on"
                + " the Docker engine at " + engine.host() + " and aegis did not create it for this service (it lacks"
                + " the label " + DockerRuntimeSettings.SERVICE_LABEL + "=" + serviceName + "); remove it (docker rm -f "
                + name + "), set runtime.name to another name, or supervise it with runtime.container: " + name);
    }

    /** The repository aegis tags the last healthy image under: {@code aegis/<service>} in Docker's spelling. */
    String repositoryName() {
        return repositoryName(serviceName);
    }

    static String repositoryName(String serviceName) {
        String name = serviceName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-")
                .replaceAll("^[._-]+|[._-]+$", "");
        return name.isEmpty() ? "service" : name;
    }

    private static Map<String, String> labels(InspectContainerResponse container) {
        return container.getConfig() == null || container.getConfig().getLabels() == null ? new HashMap<>()
                : container.getConfig().getLabels();
    }

    static String shortId(String id) {
        if (id == null) {
            return "?";
        }
        String hex = id.startsWith("sha256:") ? id.substring(7) : id;
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }

    private static Integer parseInt(String text) {
        try {
            return text == null ? null : Integer.valueOf(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Docker's RFC 3339 time with nanoseconds, as epoch nanoseconds; 0 when absent or the zero time. */
    static long parseTime(String text) {
        if (text == null || text.isBlank() || text.startsWith("0001-")) {
            return 0;
        }
        try {
            Instant instant = Instant.parse(text);
            return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
        } catch (DateTimeParseException e) {
            return 0;
        }
    }
}
