package io.aegis.runtimes.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.WorkloadStatus;
import java.nio.file.Files;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The operations against a fake Nomad agent built from the API documentation (no Nomad binary runs here). */
class NomadRuntimeTest extends NomadTestSupport {

    @Test
    void outlivesTheEngineAndSupportsEveryOperation() {
        RuntimeAdapter runtime = runtime(settings());
        assertThat(runtime.outlivesEngine()).isTrue();
        assertThat(runtime.supportedOperations()).containsExactlyInAnyOrder(RuntimeOperation.values());
        assertThat(nomad.requests()).as("create calls nothing").isEmpty();
    }

    @Test
    void startReadsTheJobWithTokenNamespaceAndRegionAndCachesItsStatus() {
        Map<String, Object> settings = settings();
        settings.put("region", "eu");
        RuntimeAdapter runtime = runtime(settings);

        join(runtime.start());

        FakeNomadServer.Request read = nomad.requests().get(0);
        assertThat(read.method()).isEqualTo("GET");
        assertThat(read.path()).isEqualTo("/v1/job/web");
        assertThat(read.query()).isEqualTo(Map.of("namespace", "shop", "region", "eu"));
        assertThat(read.token()).isEqualTo(TOKEN);
        WorkloadStatus status = runtime.status().toCompletableFuture().getNow(null);
        assertThat(status.state()).isEqualTo(WorkloadStatus.State.RUNNING);
        assertThat(status.desiredInstances()).isEqualTo(OptionalInt.of(2));
        assertThat(status.readyInstances()).as("A1 and A2 of group api; A3 is of group worker")
                .isEqualTo(OptionalInt.of(2));
        assertThat(status.version()).contains("5");
        assertThat(status.id()).contains("web");
    }

    @Test
    void statusIsUnknownBeforeNomadWasRead() {
        assertThat(runtime(settings()).status().toCompletableFuture().getNow(null).state())
                .isEqualTo(WorkloadStatus.State.UNKNOWN);
    }

    @Test
    void aMissingJobIsASentenceNamingJobNamespaceAndAddress() {
        Map<String, Object> settings = settings();
        settings.put("job", "api");
        assertThat(failure(runtime(settings).start())).isEqualTo("cannot start service \"web\": Nomad job \"api\""
                + " (group \"api\") in namespace shop was not found at " + nomad.address() + "; register it"
                + " (nomad job run) or fix runtime.job and runtime.namespace");
    }

    @Test
    void aJobInAnotherNamespaceIsNotFound() {
        Map<String, Object> settings = settings();
        settings.put("namespace", "default");
        assertThat(failure(runtime(settings).start())).contains("in namespace default was not found at "
                + nomad.address());
    }

    @Test
    void aMissingGroupIsNamedWithTheGroupsTheJobHas() {
        Map<String, Object> settings = settings();
        settings.put("group", "db");
        assertThat(failure(runtime(settings).start())).isEqualTo("cannot start service \"web\": Nomad job \"web\" in"
                + " namespace shop at " + nomad.address() + " has no task group \"db\" (it has api, worker); fix"
                + " runtime.group");
    }

    @Test
    void aRefusedTokenSaysWhatToFixAndNeverShowsTheToken() {
        Map<String, Object> settings = settings();
        settings.put("token", "wrong-secret");
        String message = failure(runtime(settings).start());
        assertThat(message).isEqualTo("cannot start service \"web\": Nomad at " + nomad.address() + " refused the"
                + " token (403 ACL token not found) for GET /v1/job/web; set runtime.token or NOMAD_TOKEN to a token"
                + " with the read-job capability in namespace shop");
        assertThat(message).doesNotContain("wrong-secret");
    }

    @Test
    void withoutATokenNoHeaderIsSentAndTheRefusalSaysSo() {
        Map<String, Object> settings = settings();
        settings.remove("token");
        String message = failure(runtime(settings).restart());
        assertThat(nomad.requests()).allSatisfy(request -> assertThat(request.token()).isNull());
        assertThat(message).isEqualTo("cannot restart service \"web\": Nomad at " + nomad.address() + " refused the"
                + " request, which carried no token (403 Permission denied) for GET /v1/job/web/allocations; set"
                + " runtime.token or NOMAD_TOKEN to a token with the read-job capability in namespace shop");
    }

    @Test
    void anUnreachableAgentIsASentence() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Map<String, Object> settings = settings();
        settings.put("address", "http://127.0.0.1:" + closedPort);
        String message = failure(runtime(settings).start());
        assertThat(message).startsWith("cannot start service \"web\": Nomad at http://127.0.0.1:" + closedPort
                + " is unreachable (").endsWith("); start the Nomad agent there, or set runtime.address or NOMAD_ADDR"
                + " to the address of one");
    }

    @Test
    void restartRestartsEachRunningAllocationOfTheGroupInPlace() {
        nomad.allocation("web", "dead0000-0000-0000-0000-000000000000", "api", "failed", 5);
        Map<String, Object> settings = settings();
        settings.put("task", "server");
        RuntimeAdapter runtime = runtime(settings);

        join(runtime.restart());

        List<FakeNomadServer.Request> restarts = nomad.requests("POST", p -> p.endsWith("/restart"));
        assertThat(restarts).extracting(FakeNomadServer.Request::path).containsExactly(
                "/v1/client/allocation/" + A1 + "/restart", "/v1/client/allocation/" + A2 + "/restart");
        assertThat(restarts).allSatisfy(request -> {
            assertThat(request.json().toString()).isEqualTo("{\"TaskName\":\"server\"}");
            assertThat(request.query()).isEqualTo(Map.of("namespace", "shop"));
            assertThat(request.token()).isEqualTo(TOKEN);
        });
    }

    @Test
    void restartWithoutATaskRestartsEveryRunningTask() {
        Map<String, Object> settings = settings();
        settings.remove("group");
        join(runtime(settings).restart());

        List<FakeNomadServer.Request> restarts = nomad.requests("POST", p -> p.endsWith("/restart"));
        assertThat(restarts).hasSize(3).allSatisfy(request -> assertThat(request.body()).isEqualTo("{}"));
    }

    @Test
    void restartWithNoRunningAllocationFailsWithASentence() {
        Map<String, Object> settings = settings();
        settings.put("job", "batch");
        nomad.job("batch", "shop", 0, List.of(), List.of("api"), 1);
        nomad.allocation("batch", "dead0000-0000-0000-0000-000000000000", "api", "failed", 0);
        assertThat(failure(runtime(settings).restart())).isEqualTo("cannot restart service \"web\": Nomad job"
                + " \"batch\" (group \"api\") in namespace shop at " + nomad.address() + " has no running allocation"
                + " to restart; Nomad reschedules failed allocations itself (see nomad job status batch)");
        assertThat(nomad.requests("POST", p -> p.endsWith("/restart"))).isEmpty();
    }

    @Test
    void rollbackRevertsToTheNewestStableVersionEnforcingTheCurrentOne() {
        join(runtime(settings()).rollback());

        List<FakeNomadServer.Request> reverts = nomad.requests("POST", p -> p.equals("/v1/job/web/revert"));
        assertThat(reverts).hasSize(1);
        assertThat(reverts.get(0).json().toString())
                .isEqualTo("{\"JobID\":\"web\",\"JobVersion\":4,\"EnforcePriorVersion\":5}");
        assertThat(reverts.get(0).query()).isEqualTo(Map.of("namespace", "shop"));
        assertThat(reverts.get(0).token()).isEqualTo(TOKEN);
        assertThat(nomad.current("web").path("Version").asLong()).isEqualTo(6);
    }

    @Test
    void rollbackPrefersTheVersionAegisSawHealthy() {
        RuntimeAdapter runtime = runtime(settings());
        // every allocation of group api runs version 3 and the checks pass: 3 is the last healthy version
        replaceAllocations(3);
        runtime.workloadHealthy();
        await().atMost(Duration.ofSeconds(10)).until(() -> ((NomadRuntime) runtime).lastHealthyVersion().isPresent());
        assertThat(((NomadRuntime) runtime).lastHealthyVersion()).hasValue(3);

        join(runtime.rollback());

        assertThat(nomad.requests("POST", p -> p.endsWith("/revert")).get(0).json().toString())
                .isEqualTo("{\"JobID\":\"web\",\"JobVersion\":3,\"EnforcePriorVersion\":5}");
    }

    @Test
    void theVersionLastSeenHealthySurvivesARestartOfAegis() {
        RuntimeAdapter before = runtime(settings());
        replaceAllocations(3);
        before.workloadHealthy();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(stateDirectory.resolve(
                NomadRuntime.HEALTHY_RECORD)));
        before.close();

        RuntimeAdapter after = runtime(settings());
        join(after.rollback());

        assertThat(nomad.requests("POST", p -> p.endsWith("/revert")).get(0).json().toString())
                .as("the version the earlier aegis saw healthy, not the newest stable one (4)")
                .isEqualTo("{\"JobID\":\"web\",\"JobVersion\":3,\"EnforcePriorVersion\":5}");
    }

    @Test
    void aHealthyVersionEqualToTheCurrentOneFallsBackToTheNewestStableVersion() {
        RuntimeAdapter runtime = runtime(settings());
        runtime.workloadHealthy();
        await().atMost(Duration.ofSeconds(10)).until(() -> ((NomadRuntime) runtime).lastHealthyVersion().isPresent());
        assertThat(((NomadRuntime) runtime).lastHealthyVersion()).hasValue(5);

        join(runtime.rollback());

        assertThat(nomad.requests("POST", p -> p.endsWith("/revert")).get(0).json().path("JobVersion").asLong())
                .isEqualTo(4);
    }

    @Test
    void theHealthyVersionIsTheOldestAmongTheRunningAllocations() {
        RuntimeAdapter runtime = runtime(settings());
        replaceAllocations(5);
        nomad.allocation("web", "0ld00000-0000-0000-0000-000000000000", "api", "running", 4);
        runtime.workloadHealthy();
        await().atMost(Duration.ofSeconds(10)).until(() -> ((NomadRuntime) runtime).lastHealthyVersion().isPresent());
        assertThat(((NomadRuntime) runtime).lastHealthyVersion()).hasValue(4);
    }

    @Test
    void workloadHealthyReturnsAtOnceWithoutCallingNomadOnTheCallersThread() throws Exception {
        RuntimeAdapter runtime = runtime(settings());
        String caller = Thread.currentThread().getName();
        runtime.workloadHealthy();
        await().atMost(Duration.ofSeconds(10)).until(() -> ((NomadRuntime) runtime).lastHealthyVersion().isPresent());
        assertThat(caller).doesNotStartWith("aegis-nomad");
    }

    @Test
    void rollbackWithoutAStableOrHealthyVersionFailsAndRevertsNothing() {
        nomad.job("web", "shop", 2, List.of(), List.of("api", "worker"), 2);
        assertThat(failure(runtime(settings()).rollback())).isEqualTo("cannot roll back service \"web\": Nomad job"
                + " \"web\" (group \"api\") in namespace shop at " + nomad.address() + " has no stable version below"
                + " its current version 2, and aegis has seen no other version healthy; Nomad marks a version stable"
                + " when its deployment succeeds, so give the job an update block, or revert by hand with nomad job"
                + " revert");
        assertThat(nomad.requests("POST", p -> p.endsWith("/revert"))).isEmpty();
    }

    @Test
    void aRevertRefusedBecauseSomeoneDeployedMeanwhileFailsWithNomadsWords() {
        // version 6 is deployed between aegis reading the versions and asking for the revert
        nomad.beforeRevert(() -> nomad.deploy("web"));
        assertThat(failure(runtime(settings()).rollback())).isEqualTo("cannot roll back service \"web\": Nomad at "
                + nomad.address() + " answered 500 (Current job has version 6; enforcing version 5) to POST"
                + " /v1/job/web/revert");
        assertThat(nomad.current("web").path("Version").asLong()).as("nothing reverted").isEqualTo(6);
    }

    @Test
    void isolateDeletesTheServiceRegistrationsOfTheRunningAllocationsAndStopsNothing() {
        nomad.service(A1, "web", "http");
        nomad.service(A1, "web-admin", "admin");
        nomad.service(A2, "web", "http");
        RuntimeAdapter runtime = runtime(settings());

        join(runtime.isolate());

        assertThat(nomad.requests("GET", p -> p.endsWith("/services"))).extracting(FakeNomadServer.Request::path)
                .containsExactly("/v1/allocation/" + A1 + "/services", "/v1/allocation/" + A2 + "/services");
        List<FakeNomadServer.Request> deletes = nomad.requests("DELETE", p -> p.startsWith("/v1/service/"));
        assertThat(deletes).extracting(FakeNomadServer.Request::path).containsExactly(
                "/v1/service/web/_nomad-task-" + A1 + "-group-api-web-http",
                "/v1/service/web-admin/_nomad-task-" + A1 + "-group-api-web-admin-admin",
                "/v1/service/web/_nomad-task-" + A2 + "-group-api-web-http");
        assertThat(deletes).allSatisfy(request -> {
            assertThat(request.query()).isEqualTo(Map.of("namespace", "shop"));
            assertThat(request.token()).isEqualTo(TOKEN);
        });
        assertThat(nomad.servicesOf(A1)).isEmpty();
        assertThat(nomad.requests()).noneSatisfy(request -> assertThat(request.method()).isIn("POST", "PUT"));
        assertThat(nomad.requests("DELETE", p -> p.startsWith("/v1/job"))).isEmpty();
    }

    @Test
    void isolateWithoutNomadRegisteredServicesSaysThatConsulServicesAreNotTouched() {
        assertThat(failure(runtime(settings()).isolate())).isEqualTo("cannot isolate service \"web\": Nomad job"
                + " \"web\" (group \"api\") in namespace shop at " + nomad.address() + " has no service registered in"
                + " Nomad's catalog for its running allocations, so aegis has nothing to take out of traffic; services"
                + " with provider = \"consul\" live in Consul, which this runtime does not change");
    }

    @Test
    void stopDeregistersWithoutPurgeAndStartRegistersTheStoppedJobAgain() {
        RuntimeAdapter runtime = runtime(settings());
        join(runtime.stop());

        FakeNomadServer.Request stop = nomad.requests("DELETE", p -> p.equals("/v1/job/web")).get(0);
        assertThat(stop.query()).isEqualTo(Map.of("namespace", "shop"));
        assertThat(runtime.status().toCompletableFuture().getNow(null).state())
                .isEqualTo(WorkloadStatus.State.STOPPED);
        long stoppedIndex = nomad.current("web").path("JobModifyIndex").asLong();

        join(runtime.start());

        FakeNomadServer.Request register = nomad.requests("POST", p -> p.equals("/v1/job/web")).get(0);
        JsonNode body = register.json();
        assertThat(body.path("Job").path("ID").asText()).isEqualTo("web");
        assertThat(body.path("Job").path("Stop").asBoolean()).isFalse();
        assertThat(body.path("EnforceIndex").asBoolean()).isTrue();
        assertThat(body.path("JobModifyIndex").asLong()).isEqualTo(stoppedIndex);
        assertThat(nomad.current("web").path("Stop").asBoolean()).isFalse();
    }

    @Test
    void startLeavesAJobSomeoneElseStoppedAlone() {
        nomad.current("web").put("Stop", true);
        assertThat(failure(runtime(settings()).start())).isEqualTo("cannot start service \"web\": Nomad job \"web\""
                + " (group \"api\") in namespace shop at " + nomad.address() + " is stopped, and not by aegis, which"
                + " starts again only a job it stopped; start it with nomad job start web");
        assertThat(nomad.requests("POST", p -> true)).isEmpty();
    }

    @Test
    void closedRuntimeRefusesOperations() {
        RuntimeAdapter runtime = runtime(settings());
        runtime.close();
        assertThat(failure(runtime.restart())).isEqualTo("cannot restart service \"web\": its Nomad runtime is closed");
    }

    private void replaceAllocations(long version) {
        nomad.job("web", "shop", 5, List.of(3L, 4L), List.of("api", "worker"), 2);
        // job() keeps the allocation list; rebuild it at the given version
        clearAllocations();
        nomad.allocation("web", A1, "api", "running", version);
        nomad.allocation("web", A2, "api", "running", version);
    }

    private void clearAllocations() {
        nomad.clearAllocations("web");
    }
}
