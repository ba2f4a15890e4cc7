package io.aegis.runtimes.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.aegis.core.Engine;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.StateChanged;
import io.aegis.core.event.WorkloadExited;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Nomad runtime driven by the real engine, against the fake agent (no Nomad binary runs here). */
class NomadEngineTest extends NomadTestSupport {

    private static final Duration AWAIT = Duration.ofSeconds(20);

    /** What the service serves: always healthy, so only the workload's exit can trigger a recovery. */
    private HttpServer endpoint;
    private Engine engine;
    private final List<StateChanged> changes = new CopyOnWriteArrayList<>();
    private final List<WorkloadExited> exited = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startEndpoint() throws IOException {
        endpoint = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        endpoint.createContext("/health", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        endpoint.start();
    }

    @AfterEach
    void stopEngine() {
        if (engine != null) {
            engine.close();
        }
        endpoint.stop(0);
    }

    @Test
    void aFailedAllocationSeenOnTheEventStreamMakesTheEngineRestartIt() throws Exception {
        engine = engine(service("web", settings())).start();
        FakeNomadServer.StreamConnection stream = nomad.nextStream();
        await().atMost(AWAIT).until(() -> engine.service("web").orElseThrow().state() == ServiceState.HEALTHY);

        // A2's task is killed: Nomad restarts it in place, and the allocation is running again
        ObjectNode allocation = FakeNomadServer.MAPPER.createObjectNode();
        allocation.put("ID", A2).put("Name", "web.api[1]").put("Namespace", "shop").put("JobID", "web")
                .put("TaskGroup", "api").put("ClientStatus", "running").put("DesiredStatus", "run");
        allocation.putObject("TaskStates").putObject("server").putArray("Events").addObject()
                .put("Type", "Terminated").put("Time", 1764526000000000000L).put("ExitCode", 137).put("Signal", 9);
        stream.frame("{\"Index\":200,\"Events\":[{\"Topic\":\"Allocation\",\"Type\":\"AllocationUpdated\",\"Key\":\""
                + A2 + "\",\"Namespace\":\"shop\",\"Index\":200,\"Payload\":{\"Allocation\":" + allocation + "}}]}");

        await().atMost(AWAIT).until(() -> !nomad.requests("POST", p -> p.endsWith("/restart")).isEmpty());
        assertThat(exited).singleElement().satisfies(event -> {
            assertThat(event.serviceName()).isEqualTo("web");
            assertThat(event.status().id()).contains(A2);
            assertThat(event.status().exitCode()).hasValue(137);
        });
        assertThat(nomad.requests("POST", p -> p.endsWith("/restart"))).as("only the allocation that crashed")
                .extracting(FakeNomadServer.Request::path).containsExactly("/v1/client/allocation/" + A2 + "/restart");
    }

    @Test
    void aRefusedTokenIsASentenceForThatServiceAndTheOthersAreStillSupervised() {
        Map<String, Object> refused = settings();
        refused.put("token", "revoked-token");
        Map<String, Object> good = settings();
        good.put("job", "web");
        engine = engine(service("web", refused), service("api", good)).start();

        await().atMost(AWAIT).until(() -> engine.service("api").orElseThrow().state() == ServiceState.HEALTHY);
        StateChanged failure = await().atMost(AWAIT).until(() -> changes.stream()
                .filter(change -> change.serviceName().equals("web") && change.to() == ServiceState.UNHEALTHY)
                .findFirst().orElse(null), change -> change != null);
        assertThat(failure.cause()).isEqualTo("could not start the workload: cannot start service \"web\": Nomad at "
                + nomad.address() + " refused the token (403 ACL token not found) for GET /v1/job/web; set"
                + " runtime.token or NOMAD_TOKEN to a token with the read-job capability in namespace shop");
        assertThat(failure.cause()).doesNotContain("revoked-token");
    }

    @Test
    void theEngineNeverStopsTheJobWhenItCloses() {
        engine = engine(service("web", settings())).start();
        await().atMost(AWAIT).until(() -> engine.service("web").orElseThrow().state() == ServiceState.HEALTHY);

        engine.close();
        engine = null;

        assertThat(nomad.requests("DELETE", p -> p.startsWith("/v1/job"))).isEmpty();
        assertThat(nomad.current("web").path("Stop").asBoolean()).isFalse();
    }

    private ServiceDefinition service(String name, Map<String, Object> runtime) {
        Map<String, Object> settings = new java.util.LinkedHashMap<>(runtime);
        settings.remove("type");
        return ServiceDefinition.builder(name)
                .check("http", "http://127.0.0.1:" + endpoint.getAddress().getPort() + "/health")
                .interval(Duration.ofMillis(200)).onFailure("restart")
                .runtime("nomad", settings).build();
    }

    private Engine engine(ServiceDefinition... services) {
        Engine.Builder builder = Engine.builder().metricsEnabled(false).stateDirectory(stateDirectory.resolve("state"))
                .listener(StateChanged.class, changes::add).listener(WorkloadExited.class, exited::add);
        for (ServiceDefinition service : services) {
            builder.service(service);
        }
        return builder.build();
    }
}
