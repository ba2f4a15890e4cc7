package io.aegis.runtimes.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.aegis.core.Engine;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.StateChanged;
import io.aegis.core.event.WorkloadExited;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes runtime as the engine finds and drives it (ServiceLoader, a kubeconfig file), against fabric8's
 * mock API server: no real API server can run on these machines.
 */
class KubernetesEngineTest {
    private static final Duration AWAIT = Duration.ofSeconds(30);
    private static final String NAMESPACE = "shop";

    @TempDir
    Path dir;

    private MockCluster cluster;
    private HttpServer endpoint;
    private Engine engine;
    private final List<StateChanged> changes = new CopyOnWriteArrayList<>();
    private final List<WorkloadExited> exits = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        cluster = new MockCluster();
        endpoint = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        endpoint.createContext("/health", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        endpoint.start();
    }

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        endpoint.stop(0);
        cluster.close();
    }

    @Test
    void aMissingDeploymentIsASentenceForThatServiceTheOthersAreSupervisedAndNoneIsScaledDownAtExit()
            throws IOException {
        cluster.deployment(NAMESPACE, 2, 3, "web:3");
        cluster.pod(NAMESPACE, "web-abc-1", MockCluster.ready(0));
        cluster.pod(NAMESPACE, "web-abc-2", MockCluster.ready(0));
        engine = engine(service("web", "web"), service("ghost", "ghost")).start();

        await().atMost(AWAIT).until(() -> engine.service("web").orElseThrow().state() == ServiceState.HEALTHY);
        StateChanged failure = await().atMost(AWAIT).until(() -> changes.stream()
                .filter(change -> change.serviceName().equals("ghost") && change.to() == ServiceState.UNHEALTHY)
                .findFirst().orElse(null), change -> change != null);
        assertThat(failure.cause()).startsWith("could not start the workload: ")
                .contains("deployment shop/ghost does not exist in the cluster at " + cluster.client.getMasterUrl())
                .contains("check services[ghost].runtime.namespace and services[ghost].runtime.deployment")
                .doesNotContain("Exception").doesNotContain("\n");

        cluster.writes.clear();
        engine.close();
        engine = null;

        assertThat(cluster.writes).as("aegis never scales a Deployment down when it exits").isEmpty();
        assertThat(cluster.client.apps().deployments().inNamespace(NAMESPACE).withName("web").get().getSpec()
                .getReplicas()).isEqualTo(2);
    }

    @Test
    void aContainerTerminationSeenByTheWatchReachesTheEngineAtOnceAndStartsARecovery() throws IOException {
        cluster.deployment(NAMESPACE, 2, 3, "web:3");
        cluster.pod(NAMESPACE, "web-abc-1", MockCluster.ready(0));
        Pod pod = cluster.pod(NAMESPACE, "web-abc-2", MockCluster.ready(0));
        engine = engine(service("web", "web")).start();
        await().atMost(AWAIT).until(() -> engine.service("web").orElseThrow().state() == ServiceState.HEALTHY);

        pod.setStatus(new PodStatusBuilder().withPhase("Running").addToContainerStatuses(new ContainerStatusBuilder()
                .withName("app").withRestartCount(0).withNewState().withNewTerminated().withExitCode(137)
                .withReason("OOMKilled").endTerminated().endState().build()).build());
        cluster.client.pods().inNamespace(NAMESPACE).resource(pod).updateStatus();

        WorkloadExited exit = await().atMost(AWAIT).until(() -> exits.stream().findFirst().orElse(null),
                event -> event != null);
        assertThat(exit.serviceName()).isEqualTo("web");
        assertThat(exit.status().description()).isEqualTo("pod web-abc-2 container app terminated: OOMKilled (exit 137)");
        // The check still passes (the other pod serves): only the watch can have told the engine, which restarts
        // the one bad pod (restart: auto) by deleting it.
        await().atMost(AWAIT).until(() -> !cluster.writes("DELETE").isEmpty());
        assertThat(cluster.writes("DELETE")).singleElement().asString().endsWith("/namespaces/shop/pods/web-abc-2");
    }

    private ServiceDefinition service(String name, String deployment) throws IOException {
        return ServiceDefinition.builder(name)
                .check("http", "http://127.0.0.1:" + endpoint.getAddress().getPort() + "/health")
                .interval(Duration.ofMillis(200)).onFailure("restart")
                .runtime("kubernetes", Map.of("deployment", deployment, "namespace", NAMESPACE,
                        "kubeconfig", kubeconfig().toString()))
                .build();
    }

    private Engine engine(ServiceDefinition... services) {
        Engine.Builder builder = Engine.builder().metricsEnabled(false).stateDirectory(dir.resolve("state"))
                .listener(StateChanged.class, changes::add).listener(WorkloadExited.class, exits::add);
        for (ServiceDefinition service : services) {
            builder.service(service);
        }
        return builder.build();
    }

    private Path kubeconfig() throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: %s
                contexts:
                - name: mock
                  context:
                    cluster: mock
                    user: aegis
                current-context: mock
                users:
                - name: aegis
                  user:
                    token: t0ken
                """.formatted(cluster.client.getMasterUrl()));
        return file;
    }
}
