package io.aegis.runtimes.nomad;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.WorkloadListener;
import io.aegis.api.WorkloadStatus;
import io.aegis.plugin.support.StateFiles;
import java.util.Properties;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The allocations of one Nomad job (or of one task group of it), as one service; see {@link NomadRuntimeFactory}
 * for what each operation does in Nomad's terms.
 *
 * <p>Operations run on the engine's blocking executor and call the HTTP API synchronously. The event stream is
 * asynchronous (HTTP client threads); status refreshes and the recording of the healthy version run on the
 * runtime's own scheduler thread, so {@link #status()} and {@link #workloadHealthy()} never wait for Nomad.
 */
final class NomadRuntime implements RuntimeAdapter {

    private static final System.Logger LOG = System.getLogger(NomadRuntime.class.getName());

    /**
     * Marks in the state directory that aegis stopped the job, so that a later start (even by another run of aegis)
     * may start it again.
     */
    static final String STOPPED_MARKER = "nomad-stopped-by-aegis";
    /** The job version aegis last saw healthy, kept so that a rollback after aegis restarted still finds it. */
    static final String HEALTHY_RECORD = "nomad-last-healthy.properties";

    private final String serviceName;
    private final NomadSettings settings;
    private final WorkloadListener listener;
    private final Executor blockingExecutor;
    private final Path stateDirectory;
    private final ExecutorService httpExecutor;
    private final HttpClient client;
    private final ScheduledExecutorService scheduler;
    private final NomadApi api;
    private final NomadEventStream stream;
    private final AllocationExits exits;
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private final AtomicBoolean recordQueued = new AtomicBoolean();

    private volatile WorkloadStatus cached = WorkloadStatus.unknown("not read from Nomad yet");
    private volatile OptionalLong jobVersion = OptionalLong.empty();
    private volatile OptionalLong lastHealthyVersion = OptionalLong.empty();
    /** The allocation of the last exit reported: the one isolate takes out of traffic, if it still runs. */
    private volatile String lastExitedAllocation;
    /** Allocations whose exit was reported since the last restart: the ones the next restart restarts. */
    private final Set<String> exitedSinceRestart = ConcurrentHashMap.newKeySet();
    /** Counts the events of the job's allocations, so that a listing read since the last one is known current. */
    private final AtomicLong allocationEvents = new AtomicLong();
    private volatile long listingAsOfEvents = -1;
    private volatile JsonNode lastListing;
    private volatile boolean closed;

    NomadRuntime(String serviceName, NomadSettings settings, WorkloadListener listener, Executor blockingExecutor,
            Path stateDirectory, ExecutorService httpExecutor, HttpClient client, ScheduledExecutorService scheduler,
            NomadApi api, NomadRuntimeFactory.Timings timings) {
        this.serviceName = serviceName;
        this.settings = settings;
        this.listener = listener;
        this.blockingExecutor = blockingExecutor;
        this.stateDirectory = stateDirectory;
        this.httpExecutor = httpExecutor;
        this.client = client;
        this.scheduler = scheduler;
        this.api = api;
        this.exits = new AllocationExits(settings);
        this.stream = new NomadEventStream(serviceName, api, client, scheduler, timings.streamIdleTimeout(),
                timings.firstReconnectDelay(), timings.maxReconnectDelay(), this::events);
        this.lastHealthyVersion = readHealthyVersion();
    }

    /** A Nomad job runs on without aegis: aegis never stops it when it exits or the service is removed. */
    @Override
    public boolean outlivesEngine() {
        return true;
    }

    @Override
    public Set<RuntimeOperation> supportedOperations() {
        return EnumSet.allOf(RuntimeOperation.class);
    }

    @Override
    public CompletionStage<Void> start() {
        return operation("start", () -> {
            long index = 0;
            try {
                JsonNode job = readJob();
                checkGroup(job);
                if (job.path("Stop").asBoolean(false)) {
                    if (!stoppedByAegis()) {
                        throw new NomadException(0, "Nomad " + settings.jobText() + " at " + settings.addressText()
                                + " is stopped, and not by aegis, which starts again only a job it stopped; start it"
                                + " with nomad job start " + settings.job());
                    }
                    ObjectNode running = ((ObjectNode) job).deepCopy();
                    running.put("Stop", false);
                    ObjectNode body = api.mapper().createObjectNode();
                    body.set("Job", running);
                    body.put("EnforceIndex", true);
                    body.put("JobModifyIndex", job.path("JobModifyIndex").asLong());
                    api.call("POST", jobPath(""), Map.of(), body, "the submit-job capability");
                    LOG.log(Level.INFO, "{0}: registered Nomad {1} again (version {2}), which aegis had stopped",
                            serviceName, settings.jobText(), job.path("Version").asText());
                    markStopped(false);
                } else {
                    // someone started the job since aegis stopped it: from now on it is theirs again
                    markStopped(false);
                }
                index = refreshNow().index().orElse(0);
            } finally {
                // also when Nomad cannot be read now: the stream retries until it can, so no exit is missed
                stream.start(index);
            }
            return null;
        });
    }

    /**
     * Stops the job as {@code nomad job stop} does, without purging it: its versions stay, and {@link #start()}
     * registers it again. Only a restart ladder configured as stop-then-start gets here: the engine never stops a
     * workload that outlives it.
     */
    @Override
    public CompletionStage<Void> stop() {
        return operation("stop", () -> {
            try {
                api.call("DELETE", jobPath(""), Map.of(), null, "the submit-job capability");
            } catch (NomadException e) {
                if (e.status() != 404) {
                    throw e;
                }
                return null;
            }
            markStopped(true);
            cached = WorkloadStatus.stopped().withId(settings.job());
            requestRefresh();
            return null;
        });
    }

    /**
     * Restarts in place the running allocations that exited since the last restart (Nomad restarted their tasks, or
     * they are still failing), or every running allocation of the job (group) when none did: one crashed instance
     * of several is restarted alone. Only {@code task} in each, when set.
     */
    @Override
    public CompletionStage<Void> restart() {
        return operation("restart", () -> {
            List<JsonNode> running = runningAllocations(allocations().body());
            Set<String> exited = Set.copyOf(exitedSinceRestart);
            List<JsonNode> crashed = running.stream().filter(a -> exited.contains(a.path("ID").asText()))
                    .collect(Collectors.toList());
            if (!crashed.isEmpty()) {
                running = crashed;
            }
            exitedSinceRestart.removeAll(exited);
            if (running.isEmpty()) {
                throw new NomadException(0, "Nomad " + settings.jobText() + " at " + settings.addressText()
                        + " has no running allocation to restart; Nomad reschedules failed allocations itself"
                        + " (see nomad job status " + settings.job() + ")");
            }
            ObjectNode body = api.mapper().createObjectNode();
            settings.task().ifPresent(task -> body.put("TaskName", task));
            for (JsonNode allocation : running) {
                String id = allocation.path("ID").asText();
                api.call("POST", "/v1/client/allocation/" + NomadApi.segment(id) + "/restart", Map.of(), body,
                        "the alloc-lifecycle capability");
                LOG.log(Level.INFO, "{0}: restarted allocation {1} of Nomad {2}", serviceName,
                        AllocationExits.shortId(id), settings.jobText());
            }
            requestRefresh();
            return null;
        });
    }

    /**
     * Reverts the job to the version recorded as last healthy, when it differs from the current one, else to the
     * newest stable version below the current one; {@code EnforcePriorVersion} makes Nomad refuse the revert when
     * someone deployed meanwhile.
     */
    @Override
    public CompletionStage<Void> rollback() {
        return operation("roll back", () -> {
            JsonNode versions = api.get(jobPath("/versions"), "the read-job capability").body().path("Versions");
            if (versions.size() == 0) {
                throw new NomadException(0, "Nomad has no versions of " + settings.jobText() + " at "
                        + settings.addressText());
            }
            long current = versions.get(0).path("Version").asLong();
            for (JsonNode version : versions) {
                current = Math.max(current, version.path("Version").asLong());
            }
            OptionalLong target = target(versions, current);
            if (target.isEmpty()) {
                throw new NomadException(0, "Nomad " + settings.jobText() + " at " + settings.addressText()
                        + " has no stable version below its current version " + current + ", and aegis has seen no"
                        + " other version healthy; Nomad marks a version stable when its deployment succeeds, so give"
                        + " the job an update block, or revert by hand with nomad job revert");
            }
            ObjectNode body = api.mapper().createObjectNode();
            body.put("JobID", settings.job());
            body.put("JobVersion", target.getAsLong());
            body.put("EnforcePriorVersion", current);
            api.call("POST", jobPath("/revert"), Map.of(), body, "the submit-job or revert-job capability");
            LOG.log(Level.INFO, "{0}: reverted Nomad {1} from version {2} to version {3}", serviceName,
                    settings.jobText(), Long.toString(current), Long.toString(target.getAsLong()));
            requestRefresh();
            return null;
        });
    }

    private OptionalLong target(JsonNode versions, long current) {
        OptionalLong healthy = lastHealthyVersion;
        if (healthy.isPresent() && healthy.getAsLong() < current) {
            for (JsonNode version : versions) {
                if (version.path("Version").asLong() == healthy.getAsLong()) {
                    return healthy;
                }
            }
        }
        long best = -1;
        for (JsonNode version : versions) {
            long number = version.path("Version").asLong();
            if (version.path("Stable").asBoolean(false) && number < current && number > best) {
                best = number;
            }
        }
        return best < 0 ? OptionalLong.empty() : OptionalLong.of(best);
    }

    /**
     * Deletes the Nomad service registrations of the allocation that last exited (if it still runs) or else of
     * every running allocation, so that consumers of Nomad's catalog stop sending it traffic; the allocation keeps
     * running for a person to inspect. Nomad registers them again when a task of it restarts.
     */
    @Override
    public CompletionStage<Void> isolate() {
        return operation("isolate", () -> {
            List<JsonNode> running = runningAllocations(allocations().body());
            String suspect = lastExitedAllocation;
            List<JsonNode> targets = running.stream().filter(a -> a.path("ID").asText().equals(suspect))
                    .collect(Collectors.toList());
            if (targets.isEmpty()) {
                targets = running;
            }
            if (targets.isEmpty()) {
                throw new NomadException(0, "Nomad " + settings.jobText() + " at " + settings.addressText()
                        + " has no running allocation to isolate");
            }
            Map<String, JsonNode> registrations = new java.util.LinkedHashMap<>();
            for (JsonNode allocation : targets) {
                String id = allocation.path("ID").asText();
                registrations.put(id, api.get("/v1/allocation/" + NomadApi.segment(id) + "/services",
                        "the read-job capability").body());
            }
            if (registrations.values().stream().allMatch(services -> services.size() == 0)) {
                throw new NomadException(0, "Nomad " + settings.jobText() + " at " + settings.addressText()
                        + " has no service registered in Nomad's catalog for its running allocations, so aegis has"
                        + " nothing to take out of traffic; services with provider = \"consul\" live in Consul,"
                        + " which this runtime does not change");
            }
            for (Map.Entry<String, JsonNode> entry : registrations.entrySet()) {
                for (JsonNode service : entry.getValue()) {
                    api.call("DELETE", "/v1/service/" + NomadApi.segment(service.path("ServiceName").asText()) + "/"
                            + NomadApi.segment(service.path("ID").asText()), Map.of(), null,
                            "the submit-job or delete-service-registration capability");
                }
                if (entry.getValue().size() > 0) {
                    LOG.log(Level.WARNING, "{0}: isolated allocation {1} of Nomad {2}: deleted its {3} service"
                            + " registration(s); it keeps running until a person restarts or stops it", serviceName,
                            AllocationExits.shortId(entry.getKey()), settings.jobText(),
                            Integer.toString(entry.getValue().size()));
                }
            }
            return null;
        });
    }

    @Override
    public CompletionStage<WorkloadStatus> status() {
        return CompletableFuture.completedFuture(cached);
    }

    /** Records, on the runtime's thread, the job version the running allocations have as the rollback target. */
    @Override
    public void workloadHealthy() {
        if (closed || !recordQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            scheduler.execute(() -> {
                recordQueued.set(false);
                try {
                    OptionalLong version = runningVersion();
                    if (version.isPresent() && !version.equals(lastHealthyVersion)) {
                        LOG.log(Level.DEBUG, "{0}: Nomad job version {1} is healthy", serviceName,
                                Long.toString(version.getAsLong()));
                        lastHealthyVersion = version;
                        writeHealthyVersion(version.getAsLong());
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.DEBUG, "{0}: cannot read the healthy version: {1}", serviceName, e.getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            recordQueued.set(false);
        }
    }

    /** Whether the event stream is open and delivering, for tests. */
    boolean eventStreamLive() {
        return stream.live();
    }

    /** The version recorded as last healthy, for tests. */
    OptionalLong lastHealthyVersion() {
        return lastHealthyVersion;
    }

    /**
     * The oldest job version among the running allocations: during a rolling deployment the new version has not
     * proved itself until every allocation runs it.
     */
    private OptionalLong runningVersion() {
        JsonNode listing = lastListing;
        // with the stream live and no event since the last listing, the listing is current: no need to ask Nomad
        if (listing == null || !stream.live() || listingAsOfEvents != allocationEvents.get()) {
            listing = refreshNow().body();
        }
        return runningAllocations(listing).stream()
                .filter(a -> a.has("JobVersion")).mapToLong(a -> a.path("JobVersion").asLong()).min()
                .stream().mapToObj(OptionalLong::of).findFirst().orElse(OptionalLong.empty());
    }

    @Override
    public Duration operationTimeout() {
        return Duration.ofMinutes(2);
    }

    /** Closes the event stream, the runtime's thread and the HTTP client; the job runs on. */
    @Override
    public void close() {
        closed = true;
        stream.close();
        scheduler.shutdownNow();
        httpExecutor.shutdownNow();
        // JDK 21's HttpClient is AutoCloseable; on 17 its selector thread ends once the client is unreachable.
        if (client instanceof AutoCloseable) {
            try {
                ((AutoCloseable) client).close();
            } catch (Exception e) {
                LOG.log(Level.DEBUG, "{0}: closing the HTTP client: {1}", serviceName, e.getMessage());
            }
        }
    }

    @Override
    public String toString() {
        return "NomadRuntime[" + serviceName + ": " + settings.jobText() + " at " + settings.addressText() + "]";
    }

    private void events(long index, JsonNode events) {
        boolean ours = false;
        for (JsonNode event : events) {
            JsonNode allocation = event.path("Payload").path("Allocation");
            if (!"Allocation".equals(event.path("Topic").asText()) || allocation.isMissingNode()
                    || !exits.concerns(allocation)) {
                continue;
            }
            ours = true;
            allocationEvents.incrementAndGet();
            if (closed) {
                return;
            }
            Optional<WorkloadStatus> exit = exits.update(allocation, jobVersion);
            if (exit.isPresent()) {
                lastExitedAllocation = allocation.path("ID").asText();
                exitedSinceRestart.add(lastExitedAllocation);
                LOG.log(Level.WARNING, "{0}: {1}", serviceName, exit.get().description());
                listener.workloadExited(exit.get());
            }
        }
        if (ours) {
            requestRefresh();
        }
    }

    private void requestRefresh() {
        if (closed || !refreshQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            scheduler.execute(() -> {
                refreshQueued.set(false);
                try {
                    refreshNow();
                } catch (RuntimeException e) {
                    LOG.log(Level.DEBUG, "{0}: cannot refresh the status: {1}", serviceName, e.getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            refreshQueued.set(false);
        }
    }

    /**
     * Reads the job and its allocations into the status cache (UNKNOWN when Nomad cannot be read); returns the
     * allocation listing, whose index is where the event stream continues.
     */
    private NomadApi.Answer refreshNow() {
        try {
            long asOf = allocationEvents.get();
            JsonNode job = readJob();
            NomadApi.Answer listing = allocations();
            lastListing = listing.body();
            listingAsOfEvents = asOf;
            for (JsonNode allocation : listing.body()) {
                exits.baseline(allocation);
            }
            cached = summarize(job, listing.body());
            return listing;
        } catch (NomadException e) {
            cached = WorkloadStatus.unknown(e.getMessage()).withId(settings.job());
            throw e;
        }
    }

    private WorkloadStatus summarize(JsonNode job, JsonNode allocations) {
        long version = job.path("Version").asLong();
        jobVersion = OptionalLong.of(version);
        if (job.path("Stop").asBoolean(false)) {
            return WorkloadStatus.stopped().withId(settings.job()).withVersion(Long.toString(version));
        }
        int desired = 0;
        for (JsonNode group : job.path("TaskGroups")) {
            if (settings.group().map(g -> g.equals(group.path("Name").asText())).orElse(true)) {
                desired += group.path("Count").asInt(0);
            }
        }
        int running = runningAllocations(allocations).size();
        long pending = stream(allocations).filter(exits::concerns)
                .filter(a -> "run".equals(a.path("DesiredStatus").asText("run")))
                .filter(a -> "pending".equals(a.path("ClientStatus").asText())).count();
        String what = "Nomad job " + settings.job() + settings.group().map(g -> " group " + g).orElse("") + " version "
                + version;
        WorkloadStatus status;
        if (running > 0) {
            status = WorkloadStatus.running(what + ": " + running + " of " + desired + " allocations running");
        } else if (pending > 0) {
            status = WorkloadStatus.unknown(what + ": " + pending + " allocations pending, none running yet");
        } else {
            status = WorkloadStatus.exited(what + ": no allocation runs");
        }
        return status.withId(settings.job()).withInstances(desired, running).withVersion(Long.toString(version));
    }

    private List<JsonNode> runningAllocations(JsonNode allocations) {
        return stream(allocations).filter(exits::concerns)
                .filter(a -> "run".equals(a.path("DesiredStatus").asText("run")))
                .filter(a -> "running".equals(a.path("ClientStatus").asText()))
                .collect(Collectors.toList());
    }

    private static java.util.stream.Stream<JsonNode> stream(JsonNode array) {
        List<JsonNode> items = new ArrayList<>();
        array.forEach(items::add);
        return items.stream();
    }

    private JsonNode readJob() {
        try {
            return api.get(jobPath(""), "the read-job capability").body();
        } catch (NomadException e) {
            if (e.status() == 404) {
                throw new NomadException(404, "Nomad " + settings.jobText() + " was not found at "
                        + settings.addressText() + "; register it (nomad job run) or fix runtime.job and"
                        + " runtime.namespace");
            }
            throw e;
        }
    }

    private NomadApi.Answer allocations() {
        return api.get(jobPath("/allocations"), "the read-job capability");
    }

    private void checkGroup(JsonNode job) {
        if (settings.group().isEmpty()) {
            return;
        }
        List<String> groups = stream(job.path("TaskGroups")).map(g -> g.path("Name").asText())
                .collect(Collectors.toList());
        if (!groups.contains(settings.group().get())) {
            throw new NomadException(0, "Nomad job \"" + settings.job() + "\" in namespace " + settings.namespace()
                    + " at " + settings.addressText() + " has no task group \"" + settings.group().get()
                    + "\" (it has " + String.join(", ", groups) + "); fix runtime.group");
        }
    }

    private String jobPath(String rest) {
        return "/v1/job/" + NomadApi.segment(settings.job()) + rest;
    }

    private boolean stoppedByAegis() {
        try {
            Path marker = stateDirectory.resolve(STOPPED_MARKER);
            return Files.isRegularFile(marker)
                    && Files.readString(marker, StandardCharsets.UTF_8).strip().equals(markerText());
        } catch (IOException e) {
            return false;
        }
    }

    private void markStopped(boolean stopped) {
        Path marker = stateDirectory.resolve(STOPPED_MARKER);
        try {
            if (stopped) {
                Files.writeString(marker, markerText() + "\n", StandardCharsets.UTF_8);
            } else {
                Files.deleteIfExists(marker);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "{0}: cannot record in {1} that aegis stopped the Nomad job: {2}", serviceName,
                    marker, e.getMessage());
        }
    }

    /** The recorded healthy version when the record is about this job at this agent; else none. */
    private OptionalLong readHealthyVersion() {
        try {
            Optional<Properties> record = StateFiles.readProperties(stateDirectory, HEALTHY_RECORD);
            if (record.isEmpty()) {
                return OptionalLong.empty();
            }
            if (!markerText().equals(record.get().getProperty("job"))) {
                LOG.log(Level.WARNING, "{0}: ignoring {1}: it is about another Nomad job ({2})", serviceName,
                        stateDirectory.resolve(HEALTHY_RECORD), record.get().getProperty("job"));
                return OptionalLong.empty();
            }
            return OptionalLong.of(Long.parseLong(record.get().getProperty("version", "")));
        } catch (IOException | NumberFormatException e) {
            LOG.log(Level.WARNING, "{0}: ignoring {1}: {2}", serviceName, stateDirectory.resolve(HEALTHY_RECORD),
                    e.getMessage());
            return OptionalLong.empty();
        }
    }

    private void writeHealthyVersion(long version) {
        Properties record = new Properties();
        record.setProperty("job", markerText());
        record.setProperty("version", Long.toString(version));
        try {
            StateFiles.writeProperties(stateDirectory, HEALTHY_RECORD, record,
                    "written by the aegis nomad runtime: the job version last seen healthy; do not edit");
        } catch (IOException e) {
            LOG.log(Level.WARNING, "{0}: cannot record the healthy job version in {1}: {2}", serviceName,
                    stateDirectory.resolve(HEALTHY_RECORD), e.getMessage());
        }
    }

    private String markerText() {
        return settings.addressText() + " " + settings.namespace() + " " + settings.job();
    }

    /** Runs {@code step} on the blocking executor; a failure becomes one sentence naming the service. */
    private CompletionStage<Void> operation(String verb, Supplier<Void> step) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("cannot " + verb + " service \""
                    + serviceName + "\": its Nomad runtime is closed"));
        }
        return CompletableFuture.runAsync(() -> {
            try {
                step.get();
            } catch (NomadException e) {
                throw new CompletionException(new IllegalStateException("cannot " + verb + " service \"" + serviceName
                        + "\": " + e.getMessage()));
            }
        }, blockingExecutor);
    }
}
