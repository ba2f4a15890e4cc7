package io.aegis.runtimes.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.WorkloadStatus;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Exits seen at once from the fake agent's {@code /v1/event/stream} (NDJSON frames, {@code {}} heartbeats). */
class NomadEventStreamTest extends NomadTestSupport {

    private static final long T0 = 1764526000000000000L;

    @Test
    void aFailedAllocationReachesTheListenerAtOnceEvenWhenItsFrameIsSplitAcrossChunks() throws Exception {
        RuntimeAdapter runtime = runtime(settings());
        join(runtime.start());
        FakeNomadServer.StreamConnection stream = nomad.nextStream();
        assertThat(stream.request.query()).isEqualTo(Map.of("topic", "Allocation:web", "index", "101",
                "namespace", "shop"));
        assertThat(stream.request.token()).isEqualTo(TOKEN);

        String frame = frame(151, allocation(A1, "web", "api", "failed", "run",
                terminated(T0, 137, 9, true))) + "\n";
        stream.write(frame.substring(0, 40));
        stream.write(frame.substring(40, 200));
        stream.write(frame.substring(200));

        WorkloadStatus exit = exits.poll(5, TimeUnit.SECONDS);
        assertThat(exit).isNotNull();
        assertThat(exit.state()).isEqualTo(WorkloadStatus.State.EXITED);
        assertThat(exit.id()).contains(A1);
        assertThat(exit.exitCode()).isEqualTo(OptionalInt.of(137));
        assertThat(exit.exitReason()).contains("OOMKilled");
        assertThat(exit.version()).contains("5");
        assertThat(exit.description()).isEqualTo("allocation 8ba85cef (web.api[0]) task server: Terminated, exit code"
                + " 137, signal 9, OOM killed; allocation failed, job version 5");
    }

    @Test
    void aLostAllocationWithoutATaskEventIsAnExitToo() throws Exception {
        RuntimeAdapter runtime = runtime(settings());
        join(runtime.start());
        FakeNomadServer.StreamConnection stream = nomad.nextStream();

        ObjectNode lost = allocation(A2, "web", "api", "lost", "run");
        lost.put("ClientDescription", "alloc is lost since its node is down");
        stream.frame(frame(152, lost));

        WorkloadStatus exit = exits.poll(5, TimeUnit.SECONDS);
        assertThat(exit).isNotNull();
        assertThat(exit.description()).isEqualTo("allocation 3f2a1b9c (web.api[0]): lost (alloc is lost since its node"
                + " is down), job version 5");
        assertThat(exit.exitReason()).contains("lost");
        assertThat(exit.exitCode()).isEmpty();
    }

    @Test
    void heartbeatsRequestedRestartsOtherJobsStoppedAllocationsAndRepeatsAreNotExits() throws Exception {
        // A2 crashed before aegis looked: history, not news
        ArrayNode a2Events = (ArrayNode) nomad.allocation("web", "a2000000-0000-0000-0000-000000000000", "api",
                "running", 5).path("TaskStates").path("server").path("Events");
        a2Events.add(terminated(T0 - 10, 1, 0, false));
        a2Events.addObject().put("Type", "Restarting").put("Time", T0 - 9);
        a2Events.addObject().put("Type", "Started").put("Time", T0 - 8);
        RuntimeAdapter runtime = runtime(settings());
        join(runtime.start());
        FakeNomadServer.StreamConnection stream = nomad.nextStream();

        stream.frame("{}");
        stream.frame("{}");
        // a restart through the API (aegis' own): Restart Signaled, Terminated, Restarting, Started
        ObjectNode restarted = allocation(A1, "web", "api", "running", "run");
        ArrayNode events = (ArrayNode) restarted.path("TaskStates").path("server").path("Events");
        events.addObject().put("Type", "Restart Signaled").put("Time", T0);
        events.add(terminated(T0 + 1, 143, 15, false));
        events.addObject().put("Type", "Restarting").put("Time", T0 + 2);
        events.addObject().put("Type", "Started").put("Time", T0 + 3);
        stream.frame(frame(160, restarted));
        // the old crash of A2 repeated in an update
        ObjectNode repeated = allocation("a2000000-0000-0000-0000-000000000000", "web", "api", "running", "run");
        repeated.set("TaskStates", a2States(a2Events));
        stream.frame(frame(161, repeated));
        // another job, another group, and an allocation Nomad is stopping
        stream.frame(frame(162, allocation("0ther000-0000-0000-0000-000000000000", "db", "api", "failed", "run",
                terminated(T0, 1, 0, false)), allocation(A3, "web", "worker", "failed", "run",
                terminated(T0, 1, 0, false))));
        stream.frame(frame(163, allocation(A2, "web", "api", "complete", "stop", terminated(T0, 0, 0, false))));
        // then a real crash, twice in two frames: reported once
        String crash = frame(164, allocation(A1, "web", "api", "failed", "run", terminated(T0 + 50, 2, 0, false)));
        stream.frame(crash);
        stream.frame(crash.replace("\"Index\":164", "\"Index\":165"));

        WorkloadStatus exit = exits.poll(5, TimeUnit.SECONDS);
        assertThat(exit).isNotNull();
        assertThat(exit.id()).contains(A1);
        assertThat(exit.exitCode()).isEqualTo(OptionalInt.of(2));
        // the sentinel: frames are handled in order, so once this one is reported every earlier one has been
        stream.frame(frame(166, allocation(A2, "web", "api", "failed", "run", terminated(T0 + 60, 3, 0, false))));
        WorkloadStatus sentinel = exits.poll(5, TimeUnit.SECONDS);
        assertThat(sentinel).isNotNull();
        assertThat(sentinel.exitCode()).isEqualTo(OptionalInt.of(3));
        assertThat(exits).isEmpty();
    }

    @Test
    void afterTheStreamBreaksItIsOpenedAgainFromTheLastIndexSeen() throws Exception {
        RuntimeAdapter runtime = runtime(settings());
        join(runtime.start());
        FakeNomadServer.StreamConnection first = nomad.nextStream();
        first.frame(frame(151, allocation(A1, "web", "api", "running", "run")));
        first.end();

        FakeNomadServer.StreamConnection second = nomad.nextStream();
        assertThat(second.request.query()).containsEntry("index", "152").containsEntry("topic", "Allocation:web");
        assertThat(second.request.token()).isEqualTo(TOKEN);
        second.frame(frame(152, allocation(A1, "web", "api", "failed", "run", terminated(T0, 1, 0, false))));
        WorkloadStatus exit = exits.poll(5, TimeUnit.SECONDS);
        assertThat(exit).isNotNull();
        assertThat(exit.id()).contains(A1);
    }

    @Test
    void aSilentStreamIsReplacedAfterTheIdleTimeout() throws Exception {
        NomadRuntimeFactory.Timings quick = new NomadRuntimeFactory.Timings(Duration.ofSeconds(10),
                Duration.ofSeconds(5), Duration.ofMillis(600), Duration.ofMillis(50), Duration.ofMillis(400));
        RuntimeAdapter runtime = runtime(settings(), quick);
        join(runtime.start());
        FakeNomadServer.StreamConnection first = nomad.nextStream();
        first.frame(frame(170, allocation(A1, "web", "api", "running", "run")));
        // then nothing, not even a heartbeat

        FakeNomadServer.StreamConnection second = nomad.nextStream();
        assertThat(second.request.query()).containsEntry("index", "171");
    }

    @Test
    void aRefusedStreamIsRetriedWithBackoff() {
        nomad.refuseStreams();
        RuntimeAdapter runtime = runtime(settings());
        join(runtime.start());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> nomad.requests("GET", p -> p.equals("/v1/event/stream")).size() >= 3);
        assertThat(exits).isEmpty();
    }

    @Test
    void theStatusFollowsTheEvents() throws Exception {
        RuntimeAdapter runtime = runtime(settings());
        join(runtime.start());
        assertThat(runtime.status().toCompletableFuture().getNow(null).readyInstances()).hasValue(2);
        FakeNomadServer.StreamConnection stream = nomad.nextStream();

        nomad.clearAllocations("web");
        nomad.allocation("web", A1, "api", "running", 5);
        nomad.allocation("web", A2, "api", "failed", 5);
        stream.frame(frame(180, allocation(A2, "web", "api", "failed", "run", terminated(T0, 1, 0, false))));

        await().atMost(Duration.ofSeconds(10))
                .until(() -> runtime.status().toCompletableFuture().getNow(null).readyInstances().equals(
                        OptionalInt.of(1)));
        WorkloadStatus status = runtime.status().toCompletableFuture().getNow(null);
        assertThat(status.state()).isEqualTo(WorkloadStatus.State.RUNNING);
        assertThat(status.desiredInstances()).hasValue(2);
    }

    @Test
    void isolateTakesOutTheAllocationThatLastExitedWhenItStillRuns() throws Exception {
        nomad.service(A1, "web", "http");
        nomad.service(A2, "web", "http");
        RuntimeAdapter runtime = runtime(settings());
        join(runtime.start());
        FakeNomadServer.StreamConnection stream = nomad.nextStream();
        // A2's task crashed and Nomad restarted it in place: the allocation still runs
        stream.frame(frame(190, allocation(A2, "web", "api", "running", "run", terminated(T0, 1, 0, false))));
        assertThat(exits.poll(5, TimeUnit.SECONDS)).isNotNull();

        join(runtime.isolate());

        assertThat(nomad.requests("DELETE", p -> p.startsWith("/v1/service/")))
                .extracting(FakeNomadServer.Request::path)
                .containsExactly("/v1/service/web/_nomad-task-" + A2 + "-group-api-web-http");
        assertThat(nomad.servicesOf(A1)).hasSize(1);
    }

    @Test
    void whileTheStreamIsLiveTheHealthyVersionComesFromTheLastListingUntilAnEventArrives() throws Exception {
        NomadRuntime runtime = (NomadRuntime) runtime(settings());
        join(runtime.start());
        FakeNomadServer.StreamConnection stream = nomad.nextStream();
        await().atMost(Duration.ofSeconds(10)).until(runtime::eventStreamLive);
        int listings = nomad.requests("GET", p -> p.endsWith("/allocations")).size();

        runtime.workloadHealthy();
        await().atMost(Duration.ofSeconds(10)).until(() -> runtime.lastHealthyVersion().isPresent());
        assertThat(runtime.lastHealthyVersion()).hasValue(5);
        assertThat(nomad.requests("GET", p -> p.endsWith("/allocations"))).as("no call to Nomad").hasSize(listings);

        // a deployment moves both allocations of group api to version 6: events arrive, the listing is read again
        nomad.deploy("web");
        nomad.clearAllocations("web");
        nomad.allocation("web", A1, "api", "running", 6);
        nomad.allocation("web", A2, "api", "running", 6);
        stream.frame(frame(200, allocation(A1, "web", "api", "running", "run")));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            runtime.workloadHealthy();
            return runtime.lastHealthyVersion().equals(java.util.OptionalLong.of(6));
        });
    }

    @Test
    void closeEndsTheStreamAndTheRuntimesThreads() throws Exception {
        RuntimeAdapter runtime = runtime(settings());
        join(runtime.start());
        runtime.workloadHealthy();
        FakeNomadServer.StreamConnection stream = nomad.nextStream();
        assertThat(aegisThreads()).isPositive();

        runtime.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> {
            stream.write("{}\n");
            return stream.closedByClient;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> aegisThreads() == 0);
        assertThat(nomad.streams()).hasSize(1);
    }

    private static long aegisThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("aegis-nomad-web")).count();
    }

    private static ObjectNode a2States(ArrayNode events) {
        ObjectNode states = FakeNomadServer.MAPPER.createObjectNode();
        ObjectNode task = states.putObject("server");
        task.put("State", "running").put("Failed", false);
        task.set("Events", events.deepCopy());
        return states;
    }

    /** An allocation as the event payload carries it (Job removed), with events after Received and Started. */
    private static ObjectNode allocation(String id, String job, String group, String clientStatus, String desired,
            ObjectNode... events) {
        ObjectNode alloc = FakeNomadServer.MAPPER.createObjectNode();
        alloc.put("ID", id).put("Name", job + "." + group + "[0]").put("Namespace", "shop").put("JobID", job)
                .put("TaskGroup", group).put("ClientStatus", clientStatus).put("DesiredStatus", desired)
                .put("ModifyIndex", 150);
        ObjectNode task = alloc.putObject("TaskStates").putObject("server");
        task.put("State", clientStatus.equals("running") ? "running" : "dead")
                .put("Failed", clientStatus.equals("failed"));
        ArrayNode list = task.putArray("Events");
        list.addObject().put("Type", "Received").put("Time", 1764525600000000000L);
        list.addObject().put("Type", "Started").put("Time", 1764525601000000000L);
        for (ObjectNode event : events) {
            list.add(event);
        }
        return alloc;
    }

    private static ObjectNode terminated(long time, int exitCode, int signal, boolean oom) {
        ObjectNode event = FakeNomadServer.MAPPER.createObjectNode();
        event.put("Type", "Terminated").put("Time", time).put("ExitCode", exitCode).put("Signal", signal)
                .put("DisplayMessage", "Exit Code: " + exitCode);
        event.putObject("Details").put("exit_code", Integer.toString(exitCode)).put("signal", Integer.toString(signal))
                .put("oom_killed", Boolean.toString(oom));
        return event;
    }

    /** One NDJSON frame: {@code {"Index":n,"Events":[AllocationUpdated...]}}. */
    private static String frame(long index, ObjectNode... allocations) {
        ObjectNode frame = FakeNomadServer.MAPPER.createObjectNode();
        frame.put("Index", index);
        ArrayNode events = frame.putArray("Events");
        for (ObjectNode alloc : allocations) {
            ObjectNode event = events.addObject();
            event.put("Topic", "Allocation").put("Type", "AllocationUpdated").put("Key", alloc.path("ID").asText());
            event.putArray("FilterKeys").add(alloc.path("JobID").asText()).add("");
            event.put("Namespace", "shop").put("Index", index);
            event.putObject("Payload").set("Allocation", alloc);
        }
        return frame.toString();
    }
}
