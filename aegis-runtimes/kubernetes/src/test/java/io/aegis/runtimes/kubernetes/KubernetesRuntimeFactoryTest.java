package io.aegis.runtimes.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadListener;
import io.aegis.plugin.support.DaemonThreadFactory;
import io.aegis.testkit.StalledServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code runtime:} keys, the kubeconfig handling and what a user sees when the API server is not there. */
class KubernetesRuntimeFactoryTest {

    @TempDir
    Path dir;

    private final ExecutorService executor = Executors.newCachedThreadPool(new DaemonThreadFactory("test-blocking"));
    private final KubernetesRuntimeFactory factory = new KubernetesRuntimeFactory();

    @AfterEach
    void tearDown() {
        factory.close();
        executor.shutdownNow();
    }

    private RuntimeAdapter create(Map<String, Object> values) {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("type", "kubernetes");
        all.putAll(values);
        return factory.create(new RuntimeSpec("web", Settings.of("services.web.runtime", all), WorkloadListener.NONE,
                executor, dir));
    }

    private static List<String> problems(ConfigException e) {
        return e.problems().stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void isFoundByTheServiceLoaderAsTypeKubernetes() {
        assertThat(ServiceLoader.load(RuntimeAdapterFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(f -> f.type().equals("kubernetes")).findFirst()).get()
                .isInstanceOf(KubernetesRuntimeFactory.class);
    }

    @Test
    void aMissingTargetIsAProblemOfTheDeploymentKey() {
        assertThatThrownBy(() -> create(Map.of("namespace", "shop")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(problems(e)).containsExactly(
                        "services.web.runtime.deployment: missing: expected the name of the Deployment to supervise"
                                + " (or statefulSet: the name of a StatefulSet)"));
    }

    @Test
    void everyInvalidKeyIsReportedAtOnce() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("deployment", "Web_1");
        values.put("statefulSet", "db");
        values.put("namespace", "Shop_1");
        values.put("kubeconfig", dir.resolve("nope").toString());
        values.put("restart", "sometimes");
        values.put("rolloutTimeout", "2h");
        assertThatThrownBy(() -> create(values)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(problems(e)).containsExactly(
                        "services.web.runtime.statefulSet: expected either deployment or statefulSet, found both;"
                                + " keep the one aegis supervises",
                        "services.web.runtime.deployment: expected the name of a Deployment (lower-case letters,"
                                + " digits, '-' and '.', at most 253 characters, as Kubernetes names are), found"
                                + " \"Web_1\"",
                        "services.web.runtime.namespace: expected a namespace name (lower-case letters, digits, '-'"
                                + " and '.', at most 63 characters, as Kubernetes names are), found \"Shop_1\"",
                        "services.web.runtime.kubeconfig: no readable kubeconfig file at " + dir.resolve("nope")
                                + "; give the file kubectl uses (kubectl config view --minify shows it) or remove the"
                                + " key for the in-cluster config, $KUBECONFIG or ~/.kube/config",
                        "services.web.runtime.restart: expected auto (delete the one bad pod, else a rollout restart)"
                                + " or rollout (always a rollout restart), found \"sometimes\"",
                        "services.web.runtime.rolloutTimeout: expected a duration from 1s to 1h, found 2h"));
    }

    @Test
    void anUnknownContextIsAProblemOfTheContextKey() throws IOException {
        Path kubeconfig = kubeconfig("http://127.0.0.1:1");
        assertThatThrownBy(() -> create(Map.of("deployment", "web", "kubeconfig", kubeconfig.toString(),
                "context", "staging"))).isInstanceOfSatisfying(ConfigException.class,
                        e -> assertThat(problems(e)).containsExactly("services.web.runtime.context: no context"
                                + " \"staging\" in the kubeconfig; it has prod"));
    }

    @Test
    void aKubeconfigThatIsNoKubeconfigIsOneSentenceOfTheKubeconfigKey() throws IOException {
        Path kubeconfig = dir.resolve("broken");
        Files.writeString(kubeconfig, "users: [ {name: u, user: {token: s3cret-t0ken\n  - oops\n");
        assertThatThrownBy(() -> create(Map.of("deployment", "web", "kubeconfig", kubeconfig.toString())))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(problems(e)).singleElement()
                        .asString().startsWith("services.web.runtime.kubeconfig: cannot read the kubeconfig "
                                + kubeconfig + " (while parsing a flow mapping")
                        .endsWith("); fix it (kubectl config view --kubeconfig " + kubeconfig + " shows what is"
                                + " wrong) or give the file kubectl uses")
                        .doesNotContain("\n").doesNotContain("s3cret"));
    }

    @Test
    void theNamespaceDefaultsToTheContexts() throws IOException {
        RuntimeAdapter runtime = create(Map.of("deployment", "web", "kubeconfig",
                kubeconfig("http://127.0.0.1:1").toString(), "context", "prod"));
        assertThat(runtime.status().toCompletableFuture().join().id()).contains("shop/web");
        runtime.close();
    }

    @Test
    void aStatefulSetTargetSupportsEveryOperation() throws IOException {
        RuntimeAdapter runtime = create(Map.of("statefulSet", "db", "kubeconfig",
                kubeconfig("http://127.0.0.1:1").toString()));
        assertThat(runtime.supportedOperations()).containsExactlyInAnyOrder(RuntimeOperation.values());
        assertThat(runtime.status().toCompletableFuture().join().id()).contains("shop/db");
        runtime.close();
    }

    @Test
    void anUnreachableApiServerIsASentenceNamingWhatToCheck() throws IOException {
        int port = StalledServer.refusedAddress().getPort();
        RuntimeAdapter runtime = create(Map.of("deployment", "web", "kubeconfig",
                kubeconfig("http://127.0.0.1:" + port).toString()));

        CompletableFuture<Void> start = runtime.start().toCompletableFuture();
        assertThat(start).failsWithin(Duration.ofSeconds(30));
        String message = start.handle((ignored, e) -> e.getCause() == null ? e.getMessage() : e.getCause()
                .getMessage()).join();
        assertThat(message).isEqualTo("service web: cannot reach the Kubernetes API server at http://127.0.0.1:" + port
                + "/ to get deployment shop/web (connection refused); check services.web.runtime.kubeconfig and services.web.runtime.context"
                + " (or the in-cluster service account) and that the cluster is up");
        runtime.close();
    }

    private Path kubeconfig(String server) throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: c
                  cluster:
                    server: %s
                contexts:
                - name: prod
                  context:
                    cluster: c
                    user: u
                    namespace: shop
                current-context: prod
                users:
                - name: u
                  user:
                    token: t0ken
                """.formatted(server));
        return file;
    }
}
