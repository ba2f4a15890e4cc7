package io.aegis.runtimes.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.WorkloadStatus;
import io.aegis.plugin.support.DaemonThreadFactory;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime against fabric8's protocol-faithful Kubernetes mock (CRUD mode, real HTTP and WebSocket watches on
 * loopback): no API server can run on these machines. The mock runs no controllers, so the tests play the Deployment
 * controller where an operation waits for one (statuses, ReplicaSets, replacement pods).
 */
class KubernetesRuntimeTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Instant NOW = Instant.parse("2026-11-30T18:00:00Z");
    private static final AtomicInteger NAMESPACES = new AtomicInteger();

    private static MockCluster cluster;

    private final BlockingQueue<WorkloadStatus> exits = new LinkedBlockingQueue<>();
    private final List<RuntimeAdapter> runtimes = new ArrayList<>();
    private ExecutorService executor;
    private String ns;

    @BeforeAll
    static void startCluster() {
        cluster = new MockCluster();
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @BeforeEach
    void setUp() {
        // a namespace per test: the mock server is shared by the class
        ns = "shop" + NAMESPACES.incrementAndGet();
        executor = Executors.newCachedThreadPool(new DaemonThreadFactory("test-blocking"));
        cluster.writes.clear();
    }

    @AfterEach
    void tearDown() {
        runtimes.forEach(RuntimeAdapter::close);
        executor.shutdownNow();
    }

    private RuntimeAdapter runtime(Map<String, Object> extra) {
        return runtime(ns, extra);
    }

    private RuntimeAdapter runtime(String namespace, Map<String, Object> extra) {
        RuntimeAdapter runtime = cluster.runtime(namespace, extra, exits::add, executor,
                Clock.fixed(NOW, ZoneOffset.UTC));
        runtimes.add(runtime);
        return runtime;
    }

    private KubernetesRuntime runtime(java.nio.file.Path stateDirectory, java.util.concurrent.Executor executor) {
        KubernetesRuntime runtime = (KubernetesRuntime) cluster.runtime(ns, Map.of(), exits::add, executor,
                Clock.fixed(NOW, ZoneOffset.UTC), stateDirectory);
        runtimes.add(runtime);
        return runtime;
    }

    private static void done(java.util.concurrent.CompletionStage<Void> stage) {
        assertThat(stage.toCompletableFuture()).succeedsWithin(WAIT);
    }

    private static String failure(java.util.concurrent.CompletionStage<Void> stage) {
        CompletableFuture<Void> future = stage.toCompletableFuture();
        assertThat(future).failsWithin(WAIT);
        return future.handle((ignored, e) -> e instanceof java.util.concurrent.CompletionException ? e.getCause()
                .getMessage() : e.getMessage()).join();
    }

    @Test
    void rolloutRestartSendsKubectlsRestartedAtAnnotationAsAMergePatchAndWaitsForTheRollout() {
        cluster.deployment(ns, 3, 2, "web:2");
        cluster.pod(ns, "web-abc-1", MockCluster.ready(0));
        cluster.pod(ns, "web-abc-2", MockCluster.ready(0));
        RuntimeAdapter runtime = runtime(Map.of("restart", "rollout"));
        done(runtime.start());
        // the restart is not done while the controller has not rolled out the new template
        cluster.deploymentStatus(ns, 4, 2, 1, 0);
        CompletableFuture<Void> restart = runtime.restart().toCompletableFuture();

        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());
        assertThat(cluster.writes("PATCH")).containsExactly("PATCH /apis/apps/v1/namespaces/" + ns
                + "/deployments/web application/merge-patch+json {\"spec\":{\"template\":{\"metadata\":{\"annotations\":"
                + "{\"kubectl.kubernetes.io/restartedAt\":\"2026-11-30T18:00:00Z\"}}}}}");
        Deployment patched = cluster.client.apps().deployments().inNamespace(ns).withName("web").get();
        assertThat(patched.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("kubectl.kubernetes.io/restartedAt", "2026-11-30T18:00:00Z");
        assertThat(patched.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("web:2");
        assertThat(restart).isNotDone();

        cluster.deploymentStatus(ns, 3, 3, 3, MockCluster.generation(patched));
        assertThat(restart).succeedsWithin(WAIT);
        assertThat(cluster.writes("DELETE")).isEmpty();
    }

    @Test
    void aRolloutThatExceededItsProgressDeadlineFailsAtOnceWithASentenceRatherThanAtTheRolloutTimeout() {
        cluster.deployment(ns, 2, 2, "web:2");
        RuntimeAdapter runtime = runtime(Map.of("restart", "rollout", "rolloutTimeout", "1h"));
        done(runtime.start());
        CompletableFuture<Void> restart = runtime.restart().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());

        // the Deployment controller saw the new template and gave up on it: kubectl rollout status fails here
        Deployment patched = cluster.client.apps().deployments().inNamespace(ns).withName("web").get();
        patched.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(3)
                .withReadyReplicas(2).withAvailableReplicas(2).withUpdatedReplicas(1)
                .withObservedGeneration(MockCluster.generation(patched)).addNewCondition().withType("Progressing")
                .withStatus("False").withReason("ProgressDeadlineExceeded")
                .withMessage("ReplicaSet \"web-def\" has timed out progressing.").endCondition().build());
        cluster.client.apps().deployments().inNamespace(ns).resource(patched).updateStatus();

        assertThat(failure(restart)).isEqualTo("service web: restart deployment " + ns + "/web failed: Kubernetes"
                + " gave up on the rollout, which exceeded its progress deadline (spec.progressDeadlineSeconds;"
                + " ReplicaSet \"web-def\" has timed out progressing.); see kubectl describe pods -n " + ns
                + " for the pods that do not become ready");
    }

    @Test
    void aProgressDeadlineExceededBeforeTheControllerSawTheRestartDoesNotFailIt() {
        cluster.deployment(ns, 2, 2, "web:2");
        Deployment stale = cluster.client.apps().deployments().inNamespace(ns).withName("web").get();
        stale.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(2)
                .withReadyReplicas(2).withAvailableReplicas(2).withUpdatedReplicas(2)
                .withObservedGeneration(MockCluster.generation(stale)).addNewCondition().withType("Progressing")
                .withStatus("False").withReason("ProgressDeadlineExceeded").endCondition().build());
        cluster.client.apps().deployments().inNamespace(ns).resource(stale).updateStatus();
        RuntimeAdapter runtime = runtime(Map.of("restart", "rollout"));
        done(runtime.start());

        CompletableFuture<Void> restart = runtime.restart().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());
        cluster.rolledOut(ns, 2);
        assertThat(restart).succeedsWithin(WAIT);
    }

    @Test
    void aRollbackFromAReleaseThatHadExceededItsProgressDeadlineIsNotFailedByThatOldCondition() {
        Deployment deployment = cluster.deployment(ns, 2, 2, "web:2");
        cluster.replicaSet(ns, deployment, "web-aaa", 1, "web:1", "aaa");
        cluster.replicaSet(ns, deployment, "web-bbb", 2, "web:2", "bbb");
        // revision 2 never became ready: the controller timed it out long ago
        io.fabric8.kubernetes.api.model.apps.DeploymentCondition timedOut =
                new io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder().withType("Progressing")
                        .withStatus("False").withReason("ProgressDeadlineExceeded")
                        .withLastUpdateTime("2026-11-30T17:00:00Z").withLastTransitionTime("2026-11-30T17:00:00Z")
                        .withMessage("ReplicaSet \"web-bbb\" has timed out progressing.").build();
        Deployment stuck = cluster.client.apps().deployments().inNamespace(ns).withName("web").get();
        stuck.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(2)
                .withReadyReplicas(0).withAvailableReplicas(0).withUpdatedReplicas(2)
                .withObservedGeneration(MockCluster.generation(stuck)).withConditions(timedOut).build());
        cluster.client.apps().deployments().inNamespace(ns).resource(stuck).updateStatus();
        RuntimeAdapter runtime = runtime(Map.of("rolloutTimeout", "1h"));
        done(runtime.start());

        CompletableFuture<Void> rollback = runtime.rollback().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("/spec/template").isEmpty());
        // the sync that observes the rollback keeps the timed-out condition as it was (no progress made yet)
        Deployment observed = cluster.client.apps().deployments().inNamespace(ns).withName("web").get();
        observed.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(3)
                .withReadyReplicas(1).withAvailableReplicas(1).withUpdatedReplicas(1)
                .withObservedGeneration(MockCluster.generation(observed)).withConditions(timedOut).build());
        cluster.client.apps().deployments().inNamespace(ns).resource(observed).updateStatus();
        await().atMost(WAIT).until(() -> runtime.status().toCompletableFuture().join().readyInstances()
                .equals(java.util.OptionalInt.of(1)));
        assertThat(rollback).isNotDone();

        cluster.rolledOut(ns, 2);
        assertThat(rollback).succeedsWithin(WAIT);
    }

    @Test
    void restartDeletesTheOneCrashLoopingPodWhenTheOthersAreReadyAndWaitsForItsReplacement() {
        cluster.deployment(ns, 3, 2, "web:2");
        cluster.pod(ns, "web-abc-1", MockCluster.ready(0));
        cluster.pod(ns, "web-abc-2", MockCluster.crashLooping(4));
        cluster.pod(ns, "web-abc-3", MockCluster.ready(0));
        RuntimeAdapter runtime = runtime(Map.of());
        done(runtime.start());

        CompletableFuture<Void> restart = runtime.restart().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("DELETE").isEmpty());
        assertThat(cluster.writes).containsExactly("DELETE /api/v1/namespaces/" + ns + "/pods/web-abc-2");
        assertThat(restart).isNotDone();
        // the ReplicaSet's replacement becomes ready
        cluster.pod(ns, "web-abc-4", MockCluster.ready(0));
        assertThat(restart).succeedsWithin(WAIT);
        assertThat(exits).isEmpty();
    }

    @Test
    void restartDoesNotDeleteTheOneBadPodWhenItIsPendingForWantOfANodeAndSaysWhy() {
        cluster.deployment(ns, 3, 2, "web:2");
        cluster.pod(ns, "web-abc-1", MockCluster.ready(0));
        cluster.pod(ns, "web-abc-2", MockCluster.ready(0));
        cluster.pod(ns, "web-abc-3", new PodStatusBuilder().withPhase("Pending").addNewCondition()
                .withType("PodScheduled").withStatus("False").withReason("Unschedulable")
                .withMessage("0/3 nodes are available: 3 Insufficient cpu.").endCondition().build());
        RuntimeAdapter runtime = runtime(Map.of());
        done(runtime.start());

        assertThat(failure(runtime.restart())).isEqualTo("service web: cannot restart deployment " + ns + "/web: its"
                + " bad pod " + ns + "/web-abc-3 is Pending because no node can take it (0/3 nodes are available:"
                + " 3 Insufficient cpu.); a new pod would wait the same way, so free capacity in the cluster or lower"
                + " the pod's resource requests");
        assertThat(cluster.writes).isEmpty();
    }

    @Test
    void restartRollsOutWhenMoreThanOnePodIsBad() {
        cluster.deployment(ns, 2, 2, "web:2");
        cluster.pod(ns, "web-abc-1", MockCluster.crashLooping(1));
        cluster.pod(ns, "web-abc-2", MockCluster.crashLooping(2));
        RuntimeAdapter runtime = runtime(Map.of());
        done(runtime.start());

        CompletableFuture<Void> restart = runtime.restart().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());
        cluster.rolledOut(ns, 2);
        assertThat(restart).succeedsWithin(WAIT);
        assertThat(cluster.writes("DELETE")).isEmpty();
        assertThat(cluster.writes("PATCH")).singleElement().asString().contains("restartedAt");
    }

    @Test
    void rollbackGoesToThePreviousOwnedRevisionWithoutThePodTemplateHash() {
        Deployment deployment = cluster.deployment(ns, 3, 3, "web:3");
        cluster.replicaSet(ns, deployment, "web-aaa", 1, "web:1", "aaa");
        cluster.replicaSet(ns, deployment, "web-bbb", 2, "web:2", "bbb");
        cluster.replicaSet(ns, deployment, "web-ccc", 3, "web:3", "ccc");
        cluster.replicaSet(ns, null, "other-zzz", 7, "other:7", "zzz"); // same labels, not owned: not history
        RuntimeAdapter runtime = runtime(Map.of());
        done(runtime.start());

        CompletableFuture<Void> rollback = runtime.rollback().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());
        cluster.rolledOut(ns, 3);
        assertThat(rollback).succeedsWithin(WAIT);

        assertThat(cluster.writes("PATCH")).containsExactly("PATCH /apis/apps/v1/namespaces/" + ns
                + "/deployments/web application/json-patch+json [{\"op\":\"replace\",\"path\":\"/spec/template\","
                + "\"value\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"web:2\","
                + "\"name\":\"app\"}]}}},{\"op\":\"replace\",\"path\":\"/metadata/annotations\",\"value\":{"
                + "\"deployment.kubernetes.io/revision\":\"3\"}}]");
        Deployment rolledBack = cluster.client.apps().deployments().inNamespace(ns).withName("web").get();
        assertThat(rolledBack.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("web:2");
        assertThat(rolledBack.getSpec().getTemplate().getMetadata().getLabels()).isEqualTo(Map.of("app", "web"));
    }

    @Test
    void rollbackPrefersTheRevisionLastSeenHealthy() {
        Deployment deployment = cluster.deployment(ns, 3, 1, "web:1");
        cluster.replicaSet(ns, deployment, "web-aaa", 1, "web:1", "aaa");
        KubernetesRuntime runtime = (KubernetesRuntime) runtime(Map.of());
        done(runtime.start());
        runtime.workloadHealthy(); // revision 1 serves well
        assertThat(runtime.lastHealthy()).contains("1");
        // two bad releases later
        cluster.replicaSet(ns, deployment, "web-bbb", 2, "web:2", "bbb");
        cluster.replicaSet(ns, deployment, "web-ccc", 3, "web:3", "ccc");
        cluster.client.apps().deployments().inNamespace(ns).withName("web").patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"replace\",\"path\":\"/metadata/annotations/deployment.kubernetes.io~1revision\","
                        + "\"value\":\"3\"},{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\","
                        + "\"value\":\"web:3\"}]");
        await().atMost(WAIT).until(() -> runtime.status().toCompletableFuture().join().version()
                .equals(java.util.Optional.of("revision 3")));
        cluster.writes.clear();

        CompletableFuture<Void> rollback = runtime.rollback().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());
        cluster.rolledOut(ns, 3);
        assertThat(rollback).succeedsWithin(WAIT);

        Deployment rolledBack = cluster.client.apps().deployments().inNamespace(ns).withName("web").get();
        assertThat(rolledBack.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("web:1");
        assertThat(rolledBack.getSpec().getTemplate().getMetadata().getLabels()).doesNotContainKey("pod-template-hash");
    }

    @Test
    void theRevisionLastSeenHealthySurvivesARestartOfAegis(@TempDir java.nio.file.Path state) {
        Deployment deployment = cluster.deployment(ns, 3, 1, "web:1");
        cluster.replicaSet(ns, deployment, "web-aaa", 1, "web:1", "aaa");
        KubernetesRuntime first = runtime(state, executor);
        done(first.start());
        first.workloadHealthy(); // revision 1 serves well
        await().atMost(WAIT).until(() -> java.nio.file.Files.exists(state.resolve(HealthyRevision.FILE)));
        first.close(); // aegis exits; the Deployment keeps running
        // two bad releases while aegis is down
        cluster.replicaSet(ns, deployment, "web-bbb", 2, "web:2", "bbb");
        cluster.replicaSet(ns, deployment, "web-ccc", 3, "web:3", "ccc");
        cluster.client.apps().deployments().inNamespace(ns).withName("web").patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"replace\",\"path\":\"/metadata/annotations/deployment.kubernetes.io~1revision\","
                        + "\"value\":\"3\"},{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\","
                        + "\"value\":\"web:3\"}]");

        KubernetesRuntime second = runtime(state, executor); // the next aegis run, same state directory
        assertThat(second.lastHealthy()).contains("1");
        done(second.start());
        cluster.writes.clear();
        CompletableFuture<Void> rollback = second.rollback().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());
        cluster.rolledOut(ns, 3);
        assertThat(rollback).succeedsWithin(WAIT);

        // kubectl's previous revision would be web:2
        Deployment rolledBack = cluster.client.apps().deployments().inNamespace(ns).withName("web").get();
        assertThat(rolledBack.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("web:1");
    }

    @Test
    void theHealthyRevisionIsWrittenOnTheRuntimesExecutorNotOnTheCaller(@TempDir java.nio.file.Path state)
            throws Exception {
        cluster.deployment(ns, 3, 1, "web:1");
        BlockingQueue<Runnable> held = new LinkedBlockingQueue<>();
        java.util.concurrent.atomic.AtomicBoolean hold = new java.util.concurrent.atomic.AtomicBoolean();
        KubernetesRuntime runtime = runtime(state, task -> {
            if (hold.get()) {
                held.add(task);
            } else {
                executor.execute(task);
            }
        });
        done(runtime.start());
        hold.set(true);

        runtime.workloadHealthy();
        assertThat(runtime.lastHealthy()).contains("1");
        assertThat(state.resolve(HealthyRevision.FILE)).doesNotExist();
        assertThat(held).hasSize(1);
        held.take().run();

        assertThat(HealthyRevision.read(state)).contains(new HealthyRevision(ns, "deployment", "web", "1"));
        assertThat(state.resolve(HealthyRevision.FILE + ".tmp")).doesNotExist();
    }

    @Test
    void aRecordOfAnotherTargetOrAnUnreadableOneIsIgnored(@TempDir java.nio.file.Path state) throws Exception {
        new HealthyRevision("elsewhere", "deployment", "web", "1").write(state);
        assertThat(runtime(state, executor).lastHealthy()).isEmpty();
        new HealthyRevision(ns, "statefulset", "web", "web-7c9d").write(state);
        assertThat(runtime(state, executor).lastHealthy()).isEmpty();
        java.nio.file.Files.writeString(state.resolve(HealthyRevision.FILE), "revision=\\u00zz\n");
        assertThat(runtime(state, executor).lastHealthy()).isEmpty();
        java.nio.file.Files.writeString(state.resolve(HealthyRevision.FILE), "revision=4\n");
        assertThat(runtime(state, executor).lastHealthy()).isEmpty();
        new HealthyRevision(ns, "deployment", "web", "4").write(state);
        assertThat(runtime(state, executor).lastHealthy()).contains("4");
    }

    @Test
    void aRevisionStillRollingOutIsNotRecordedHealthyThoughTheOldPodsPassTheChecks() {
        Deployment deployment = cluster.deployment(ns, 3, 1, "web:1");
        KubernetesRuntime runtime = (KubernetesRuntime) runtime(Map.of());
        done(runtime.start());
        runtime.workloadHealthy();
        assertThat(runtime.lastHealthy()).contains("1");
        // revision 2 is rolling out: one new pod so far, the checks still reach the two old ones
        cluster.client.apps().deployments().inNamespace(ns).withName("web").patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"replace\",\"path\":\"/metadata/annotations/deployment.kubernetes.io~1revision\","
                        + "\"value\":\"2\"},{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\","
                        + "\"value\":\"web:2\"}]");
        Deployment rolling = cluster.client.apps().deployments().inNamespace(ns).withName("web").get();
        cluster.deploymentStatus(ns, 4, 3, 1, MockCluster.generation(rolling));
        await().atMost(WAIT).until(() -> runtime.status().toCompletableFuture().join().version()
                .equals(java.util.Optional.of("revision 2")) && runtime.status().toCompletableFuture().join()
                .readyInstances().equals(java.util.OptionalInt.of(3)));

        runtime.workloadHealthy();
        assertThat(runtime.lastHealthy()).contains("1");

        cluster.rolledOut(ns, 3);
        await().atMost(WAIT).untilAsserted(() -> {
            runtime.workloadHealthy();
            assertThat(runtime.lastHealthy()).contains("2");
        });
    }

    @Test
    void rollbackFindsTheRevisionLastSeenHealthyInTheRevisionHistoryOfAReplicaSetThatWasRenumbered() {
        Deployment deployment = cluster.deployment(ns, 3, 1, "web:1");
        KubernetesRuntime runtime = (KubernetesRuntime) runtime(Map.of());
        done(runtime.start());
        runtime.workloadHealthy(); // revision 1 serves well
        // revision 2 was bad and rolled back: web:1's ReplicaSet became revision 3 (history 1); then 4 and 5 came
        cluster.replicaSet(ns, deployment, "web-aaa", 3, "web:1", "aaa");
        cluster.client.apps().replicaSets().inNamespace(ns).withName("web-aaa").patch(
                PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"deployment.kubernetes.io/revision-history\":\"1\"}}}");
        cluster.replicaSet(ns, deployment, "web-bbb", 2, "web:2", "bbb");
        cluster.replicaSet(ns, deployment, "web-ddd", 4, "web:4", "ddd");
        cluster.replicaSet(ns, deployment, "web-eee", 5, "web:5", "eee");
        cluster.client.apps().deployments().inNamespace(ns).withName("web").patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"replace\",\"path\":\"/metadata/annotations/deployment.kubernetes.io~1revision\","
                        + "\"value\":\"5\"},{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\","
                        + "\"value\":\"web:5\"}]");
        await().atMost(WAIT).until(() -> runtime.status().toCompletableFuture().join().version()
                .equals(java.util.Optional.of("revision 5")));
        cluster.writes.clear();

        CompletableFuture<Void> rollback = runtime.rollback().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());
        cluster.rolledOut(ns, 3);
        assertThat(rollback).succeedsWithin(WAIT);

        Deployment rolledBack = cluster.client.apps().deployments().inNamespace(ns).withName("web").get();
        assertThat(rolledBack.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("web:1");
    }

    @Test
    void rollbackWithoutAnEarlierRevisionFailsWithASentence() {
        Deployment deployment = cluster.deployment(ns, 3, 1, "web:1");
        cluster.replicaSet(ns, deployment, "web-aaa", 1, "web:1", "aaa");
        RuntimeAdapter runtime = runtime(Map.of());

        assertThat(failure(runtime.rollback())).isEqualTo("service web: cannot roll back deployment " + ns
                + "/web: it has no earlier revision to go back to (revisions in its history: 1)");
        assertThat(cluster.writes("PATCH")).isEmpty();
    }

    @Test
    void aStatefulSetRollsBackToThePreviousControllerRevisionsTemplate() {
        StatefulSet set = cluster.statefulSet(ns, 2, "db:3", "db-ccc");
        cluster.controllerRevision(ns, set, "db-aaa", 1, "db:1");
        cluster.controllerRevision(ns, set, "db-bbb", 2, "db:2");
        cluster.controllerRevision(ns, set, "db-ccc", 3, "db:3");
        RuntimeAdapter runtime = runtime(Map.of("statefulSet", "db"));
        done(runtime.start());

        CompletableFuture<Void> rollback = runtime.rollback().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());
        assertThat(cluster.writes("PATCH")).containsExactly("PATCH /apis/apps/v1/namespaces/" + ns
                + "/statefulsets/db application/json-patch+json [{\"op\":\"replace\",\"path\":\"/spec/template\","
                + "\"value\":{\"metadata\":{\"labels\":{\"app\":\"db\"}},\"spec\":{\"containers\":[{\"image\":"
                + "\"db:2\",\"name\":\"db\"}]}}}]");
        StatefulSet rolledBack = cluster.client.apps().statefulSets().inNamespace(ns).withName("db").get();
        assertThat(rolledBack.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("db:2");
        // the StatefulSet controller rolls it out
        rolledBack.setStatus(new io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder().withReplicas(2)
                .withReadyReplicas(2).withUpdatedReplicas(2).withCurrentRevision("db-bbb").withUpdateRevision("db-bbb")
                .withObservedGeneration(rolledBack.getMetadata().getGeneration()).build());
        cluster.client.apps().statefulSets().inNamespace(ns).resource(rolledBack).updateStatus();
        assertThat(rollback).succeedsWithin(WAIT);
    }

    @Test
    void aPartitionedStatefulSetHasRolledOutWhenThePodsFromThePartitionUpAreUpdatedAsKubectlJudgesIt() {
        cluster.statefulSet(ns, 3, "db:1", "db-aaa");
        // a canary: only db-2 takes a new template, db-0 and db-1 stay on the current revision on purpose
        cluster.client.apps().statefulSets().inNamespace(ns).withName("db").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":2}}}}");
        RuntimeAdapter runtime = runtime(Map.of("statefulSet", "db", "restart", "rollout"));
        done(runtime.start());

        CompletableFuture<Void> restart = runtime.restart().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("restartedAt").isEmpty());
        StatefulSet patched = cluster.client.apps().statefulSets().inNamespace(ns).withName("db").get();
        patched.setStatus(new io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder().withReplicas(3)
                .withReadyReplicas(3).withUpdatedReplicas(1).withCurrentRevision("db-aaa").withUpdateRevision("db-bbb")
                .withObservedGeneration(patched.getMetadata().getGeneration()).build());
        cluster.client.apps().statefulSets().inNamespace(ns).resource(patched).updateStatus();

        assertThat(restart).succeedsWithin(WAIT);
    }

    @Test
    void anOnDeleteStatefulSetIsNotRestartedByARolloutThatWouldReplaceNothing() {
        cluster.statefulSet(ns, 2, "db:1", "db-aaa");
        cluster.client.apps().statefulSets().inNamespace(ns).withName("db").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"updateStrategy\":{\"type\":\"OnDelete\"}}}");
        cluster.writes.clear();
        RuntimeAdapter runtime = runtime(Map.of("statefulSet", "db", "restart", "rollout"));
        done(runtime.start());

        assertThat(failure(runtime.restart())).isEqualTo("service web: cannot restart statefulset " + ns + "/db by"
                + " a rollout: its spec.updateStrategy is OnDelete, so Kubernetes replaces a pod only when it is"
                + " deleted; delete its pods yourself (kubectl delete pod -n " + ns + " <pod>) or switch it to the"
                + " RollingUpdate strategy");
        assertThat(cluster.writes).isEmpty();
    }

    @Test
    void anOnDeleteStatefulSetsRollbackIsDoneOnceTheControllerRecordedTheTemplate() {
        StatefulSet set = cluster.statefulSet(ns, 2, "db:2", "db-bbb");
        cluster.controllerRevision(ns, set, "db-aaa", 1, "db:1");
        cluster.controllerRevision(ns, set, "db-bbb", 2, "db:2");
        cluster.client.apps().statefulSets().inNamespace(ns).withName("db").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"updateStrategy\":{\"type\":\"OnDelete\"}}}");
        RuntimeAdapter runtime = runtime(Map.of("statefulSet", "db"));
        done(runtime.start());

        CompletableFuture<Void> rollback = runtime.rollback().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("/spec/template").isEmpty());
        StatefulSet patched = cluster.client.apps().statefulSets().inNamespace(ns).withName("db").get();
        // the controller records the new revision; no pod changes until someone deletes it
        patched.setStatus(new io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder().withReplicas(2)
                .withReadyReplicas(2).withUpdatedReplicas(0).withCurrentRevision("db-bbb").withUpdateRevision("db-aaa")
                .withObservedGeneration(patched.getMetadata().getGeneration()).build());
        cluster.client.apps().statefulSets().inNamespace(ns).resource(patched).updateStatus();
        assertThat(rollback).succeedsWithin(WAIT);
    }

    @Test
    void aStatefulSetRollbackDeletesThePodsOfTheBadRevisionThatAreBrokenAsAForcedRollbackNeeds() {
        StatefulSet set = cluster.statefulSet(ns, 2, "db:3", "db-bbb");
        cluster.controllerRevision(ns, set, "db-aaa", 1, "db:1");
        cluster.controllerRevision(ns, set, "db-bbb", 2, "db:2");
        cluster.controllerRevision(ns, set, "db-ccc", 3, "db:3");
        // the rolling update to db-ccc replaced db-1 first, which crash-loops: the controller waits for it forever
        statefulSetPod("db-0", "db-bbb", MockCluster.ready(0));
        statefulSetPod("db-1", "db-ccc", MockCluster.crashLooping(6));
        RuntimeAdapter runtime = runtime(Map.of("statefulSet", "db"));
        done(runtime.start());

        CompletableFuture<Void> rollback = runtime.rollback().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("DELETE").isEmpty());
        assertThat(cluster.writes("DELETE")).containsExactly("DELETE /api/v1/namespaces/" + ns + "/pods/db-1");
        assertThat(cluster.writes("/spec/template")).hasSize(1);
        StatefulSet rolledBack = cluster.client.apps().statefulSets().inNamespace(ns).withName("db").get();
        rolledBack.setStatus(new io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder().withReplicas(2)
                .withReadyReplicas(2).withUpdatedReplicas(2).withCurrentRevision("db-bbb").withUpdateRevision("db-bbb")
                .withObservedGeneration(rolledBack.getMetadata().getGeneration()).build());
        cluster.client.apps().statefulSets().inNamespace(ns).resource(rolledBack).updateStatus();
        assertThat(rollback).succeedsWithin(WAIT);
        assertThat(exits).isEmpty();
    }

    private void statefulSetPod(String name, String revision, io.fabric8.kubernetes.api.model.PodStatus status) {
        Pod pod = cluster.client.pods().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).addToLabels("app", "db")
                .addToLabels("controller-revision-hash", revision).endMetadata().withNewSpec().addNewContainer()
                .withName("db").withImage("db").endContainer().endSpec().build()).create();
        pod.setStatus(status);
        cluster.client.pods().inNamespace(ns).resource(pod).updateStatus();
    }

    @Test
    void isolateTakesTheBadPodOutOfItsServiceAndMarksIt() {
        cluster.deployment(ns, 3, 2, "web:2");
        cluster.client.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("web")
                .endMetadata().withNewSpec().addToSelector("app", "web").endSpec().build()).create();
        cluster.pod(ns, "web-abc-1", MockCluster.ready(0));
        cluster.pod(ns, "web-abc-2", MockCluster.crashLooping(5));
        cluster.pod(ns, "web-abc-3", MockCluster.ready(0));
        RuntimeAdapter runtime = runtime(Map.of());
        done(runtime.start());

        done(runtime.isolate());

        assertThat(cluster.writes("PATCH")).containsExactly("PATCH /api/v1/namespaces/" + ns + "/pods/web-abc-2"
                + " application/json-patch+json [{\"op\":\"test\",\"path\":\"/metadata/labels/app\",\"value\":\"web\"},"
                + "{\"op\":\"remove\",\"path\":\"/metadata/labels/app\"},{\"op\":\"add\",\"path\":"
                + "\"/metadata/labels/aegis.io~1isolated\",\"value\":\"true\"},{\"op\":\"add\",\"path\":"
                + "\"/metadata/annotations\",\"value\":{\"aegis.io/isolated-labels\":\"app=web\","
                + "\"aegis.io/isolated-at\":\"2026-11-30T18:00:00Z\"}}]");
        Pod isolated = cluster.client.pods().inNamespace(ns).withName("web-abc-2").get();
        assertThat(isolated.getMetadata().getLabels())
                .isEqualTo(Map.of("pod-template-hash", "abc", "aegis.io/isolated", "true"));
        assertThat(isolated.getMetadata().getAnnotations()).containsEntry("aegis.io/isolated-labels", "app=web");
        assertThat(cluster.writes("DELETE")).isEmpty();
        // the pod leaving the watched selector is no exit
        assertThat(exits).isEmpty();
    }

    @Test
    void isolateLeavesAPodThatNoNodeCanTakeAndTheGoodOnesAloneAndSaysWhy() {
        cluster.deployment(ns, 3, 2, "web:2");
        cluster.client.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("web")
                .endMetadata().withNewSpec().addToSelector("app", "web").endSpec().build()).create();
        cluster.pod(ns, "web-abc-1", MockCluster.ready(3));
        cluster.pod(ns, "web-abc-2", MockCluster.ready(0));
        cluster.pod(ns, "web-abc-3", new PodStatusBuilder().withPhase("Pending").addNewCondition()
                .withType("PodScheduled").withStatus("False").withReason("Unschedulable")
                .withMessage("0/3 nodes are available: 3 Insufficient memory.").endCondition().build());
        RuntimeAdapter runtime = runtime(Map.of());
        done(runtime.start());

        assertThat(failure(runtime.isolate())).isEqualTo("service web: cannot isolate a pod of deployment " + ns
                + "/web: its bad pod " + ns + "/web-abc-3 is Pending because no node can take it (0/3 nodes are"
                + " available: 3 Insufficient memory.), so it serves no traffic and a replacement would wait the same"
                + " way; free capacity in the cluster or lower the pod's resource requests");
        assertThat(cluster.writes).isEmpty();
    }

    @Test
    void isolateRemovesALabelWithASlashInItsKeyThroughItsEscapedJsonPointer() {
        cluster.deployment(ns, 2, 2, "web:2");
        cluster.client.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("web")
                .endMetadata().withNewSpec().addToSelector("app.kubernetes.io/name", "web").endSpec().build()).create();
        cluster.pod(ns, "web-abc-1", MockCluster.ready(0));
        cluster.pod(ns, "web-abc-2", MockCluster.crashLooping(2));
        for (String pod : List.of("web-abc-1", "web-abc-2")) {
            cluster.client.pods().inNamespace(ns).withName(pod).patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"web\"}}}");
        }
        RuntimeAdapter runtime = runtime(Map.of());
        done(runtime.start());
        cluster.writes.clear();

        done(runtime.isolate());

        assertThat(cluster.writes("PATCH")).singleElement().asString().contains("{\"op\":\"test\",\"path\":"
                + "\"/metadata/labels/app.kubernetes.io~1name\",\"value\":\"web\"},{\"op\":\"remove\",\"path\":"
                + "\"/metadata/labels/app.kubernetes.io~1name\"}");
        assertThat(cluster.client.pods().inNamespace(ns).withName("web-abc-2").get().getMetadata().getLabels())
                .isEqualTo(Map.of("app", "web", "pod-template-hash", "abc", "aegis.io/isolated", "true"));
    }

    @Test
    void aContainerTerminationIsReportedFromTheWatchAtOnce() throws Exception {
        cluster.deployment(ns, 2, 2, "web:2");
        cluster.pod(ns, "web-abc-1", MockCluster.ready(0));
        Pod pod = cluster.pod(ns, "web-abc-2", MockCluster.ready(0));
        RuntimeAdapter runtime = runtime(Map.of());
        done(runtime.start());

        pod.setStatus(new PodStatusBuilder().withPhase("Running").addToContainerStatuses(new ContainerStatusBuilder()
                .withName("app").withRestartCount(0).withNewState().withNewTerminated().withExitCode(137)
                .withReason("OOMKilled").endTerminated().endState().build()).build());
        cluster.client.pods().inNamespace(ns).resource(pod).updateStatus();

        WorkloadStatus exit = exits.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(exit).isNotNull();
        assertThat(exit.state()).isEqualTo(WorkloadStatus.State.EXITED);
        assertThat(exit.description()).isEqualTo("pod web-abc-2 container app terminated: OOMKilled (exit 137)");
        assertThat(exit.id()).contains("web-abc-2");
        assertThat(exit.exitCode()).hasValue(137);
        assertThat(exit.exitReason()).contains("OOMKilled");
        // the kubelet restarts it: the same termination, now in lastState, is not reported twice
        pod = cluster.client.pods().inNamespace(ns).withName("web-abc-2").get();
        pod.setStatus(new PodStatusBuilder().withPhase("Running").addToContainerStatuses(new ContainerStatusBuilder()
                .withName("app").withRestartCount(1).withNewState().withNewRunning().endRunning().endState()
                .withNewLastState().withNewTerminated().withExitCode(137).withReason("OOMKilled").endTerminated()
                .endLastState().build()).build());
        cluster.client.pods().inNamespace(ns).resource(pod).updateStatus();
        cluster.pod(ns, "web-abc-3", MockCluster.ready(0)); // an event after it, to know the one before was seen
        await().atMost(WAIT).until(() -> cluster.client.pods().inNamespace(ns).list().getItems().size() == 3);
        assertThat(exits.poll(500, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void aRestartCountThatGoesUpIsReportedWithTheLastTermination() throws Exception {
        cluster.deployment(ns, 1, 2, "web:2");
        Pod pod = cluster.pod(ns, "web-abc-1", MockCluster.ready(2));
        RuntimeAdapter runtime = runtime(Map.of());
        done(runtime.start());

        pod.setStatus(new PodStatusBuilder().withPhase("Running").addToContainerStatuses(new ContainerStatusBuilder()
                .withName("app").withRestartCount(3).withNewState().withNewRunning().endRunning().endState()
                .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error").endTerminated()
                .endLastState().build()).build());
        cluster.client.pods().inNamespace(ns).resource(pod).updateStatus();

        WorkloadStatus exit = exits.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(exit).isNotNull();
        assertThat(exit.description()).isEqualTo("pod web-abc-1 container app terminated: Error (exit 1)");
        assertThat(exit.exitCode()).hasValue(1);
    }

    @Test
    void statusComesFromTheWatchedDeployment() {
        cluster.deployment(ns, 3, 4, "web:4");
        cluster.deploymentStatus(ns, 3, 2, 3, 0);
        RuntimeAdapter runtime = runtime(Map.of());
        assertThat(runtime.status().toCompletableFuture()).isCompletedWithValueMatching(
                s -> s.state() == WorkloadStatus.State.UNKNOWN);
        done(runtime.start());

        WorkloadStatus status = runtime.status().toCompletableFuture().getNow(null);
        assertThat(status.state()).isEqualTo(WorkloadStatus.State.RUNNING);
        assertThat(status.id()).contains(ns + "/web");
        assertThat(status.desiredInstances()).hasValue(3);
        assertThat(status.readyInstances()).hasValue(2);
        assertThat(status.version()).contains("revision 4");
        cluster.deploymentStatus(ns, 3, 3, 3, 0);
        await().atMost(WAIT).until(() -> runtime.status().toCompletableFuture().getNow(null).readyInstances()
                .equals(java.util.OptionalInt.of(3)));
        assertThat(runtime.outlivesEngine()).isTrue();
        assertThat(runtime.supportedOperations()).contains(RuntimeOperation.ROLLBACK, RuntimeOperation.ISOLATE);
    }

    @Test
    void stopScalesToZeroRememberingTheReplicasAndStartScalesBack() {
        cluster.deployment(ns, 3, 2, "web:2");
        RuntimeAdapter runtime = runtime(Map.of());
        done(runtime.start());

        CompletableFuture<Void> stop = runtime.stop().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());
        assertThat(cluster.writes("PATCH")).containsExactly("PATCH /apis/apps/v1/namespaces/" + ns + "/deployments/web"
                + " application/json-patch+json [{\"op\":\"add\",\"path\":\"/metadata/annotations/aegis.io~1replicas\","
                + "\"value\":\"3\"},{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":0}]");
        assertThat(stop).isNotDone(); // the pods are still there
        cluster.deploymentStatus(ns, 0, 0, 0, 0);
        assertThat(stop).succeedsWithin(WAIT);
        assertThat(runtime.status().toCompletableFuture().join().state()).isEqualTo(WorkloadStatus.State.STOPPED);

        cluster.writes.clear();
        CompletableFuture<Void> start = runtime.start().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());
        assertThat(cluster.writes("PATCH")).containsExactly("PATCH /apis/apps/v1/namespaces/" + ns + "/deployments/web"
                + " application/json-patch+json [{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3},"
                + "{\"op\":\"remove\",\"path\":\"/metadata/annotations/aegis.io~1replicas\"}]");
        Deployment started = cluster.client.apps().deployments().inNamespace(ns).withName("web").get();
        assertThat(started.getSpec().getReplicas()).isEqualTo(3);
        assertThat(started.getMetadata().getAnnotations()).doesNotContainKey(KubernetesRuntime.REPLICAS_ANNOTATION);
        cluster.deploymentStatus(ns, 3, 3, 3, 0);
        assertThat(start).succeedsWithin(WAIT);
    }

    @Test
    void restartOfADeploymentAegisScaledToZeroScalesItBackRatherThanRollingOutNothing() {
        cluster.deployment(ns, 2, 2, "web:2");
        cluster.client.apps().deployments().inNamespace(ns).withName("web").patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":0},{\"op\":\"add\",\"path\":"
                        + "\"/metadata/annotations/aegis.io~1replicas\",\"value\":\"2\"}]");
        cluster.deploymentStatus(ns, 0, 0, 0, 0);
        cluster.writes.clear();
        RuntimeAdapter runtime = runtime(Map.of());

        CompletableFuture<Void> restart = runtime.restart().toCompletableFuture();
        await().atMost(WAIT).until(() -> !cluster.writes("PATCH").isEmpty());
        assertThat(cluster.writes("PATCH")).containsExactly("PATCH /apis/apps/v1/namespaces/" + ns + "/deployments/web"
                + " application/json-patch+json [{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":2},"
                + "{\"op\":\"remove\",\"path\":\"/metadata/annotations/aegis.io~1replicas\"}]");
        cluster.deploymentStatus(ns, 2, 2, 2, 0);
        assertThat(restart).succeedsWithin(WAIT);
    }

    @Test
    void startLeavesADeploymentSomeoneElseScaledToZeroAndSaysHowToScaleIt() {
        cluster.deployment(ns, 0, 2, "web:2");
        RuntimeAdapter runtime = runtime(Map.of());

        assertThat(failure(runtime.start())).isEqualTo("service web: deployment " + ns + "/web is scaled to 0"
                + " replicas and aegis did not scale it down; scale it up yourself (kubectl scale deployment/web -n "
                + ns + " --replicas=N) if it should run");
        assertThat(cluster.writes("PATCH")).isEmpty();
    }

    @Test
    void aMissingDeploymentIsASentenceNamingTheKeysToCheck() {
        RuntimeAdapter runtime = runtime(Map.of());

        assertThat(failure(runtime.start())).isEqualTo("service web: deployment " + ns + "/web does not exist in the"
                + " cluster at " + cluster.client.getMasterUrl() + "; check services.web.runtime.namespace and"
                + " services.web.runtime.deployment");
    }

    @Test
    void aRefusedRequestSaysWhichPermissionIsMissing() {
        RuntimeAdapter runtime = runtime(MockCluster.FORBIDDEN, Map.of());

        assertThat(failure(runtime.start())).startsWith("service web: the Kubernetes API server at "
                + cluster.client.getMasterUrl() + " refused to let aegis get deployment locked/web (403 Forbidden:")
                .endsWith("grant the user or service account aegis runs as the RBAC permission on deployments in"
                        + " namespace locked (get, list, watch, patch; delete for pods)");
    }

    @Test
    void closeStopsTheWatchesAndTheRuntimesThread() {
        cluster.deployment(ns, 1, 1, "web:1");
        RuntimeAdapter runtime = runtime(Map.of());
        done(runtime.start());

        runtime.close();

        await().atMost(WAIT).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("aegis-k8s-web") && t.isAlive()));
        assertThat(failure(runtime.restart())).isEqualTo("service web: aegis no longer supervises deployment " + ns
                + "/web");
    }
}
