package io.aegis.runtimes.kubernetes;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadListener;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ControllerRevisionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * fabric8's Kubernetes mock server in CRUD mode on loopback, which keeps the objects tests create and answers reads,
 * patches and watches as an API server does (no controller runs: tests play the Deployment controller by writing
 * ReplicaSets, pods and statuses). It records every write with its body, which the mock's own request log does not
 * keep, and answers 403 for the namespace {@value #FORBIDDEN}.
 */
final class MockCluster implements AutoCloseable {

    static final String FORBIDDEN = "locked";

    final List<String> writes = new CopyOnWriteArrayList<>();
    final KubernetesMockServer server;
    final KubernetesClient client;

    MockCluster() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of()) {
                    @Override
                    public MockResponse handlePatch(RecordedRequest request) {
                        writes.add("PATCH " + request.getPath() + " " + request.getHeader("Content-Type") + " "
                                + new String(request.getBody().getBytes(), StandardCharsets.UTF_8));
                        return super.handlePatch(request);
                    }

                    @Override
                    public MockResponse handleDelete(String path) {
                        writes.add("DELETE " + path);
                        return super.handleDelete(path);
                    }

                    @Override
                    public MockResponse handleGet(String path) {
                        if (path.contains("/namespaces/" + FORBIDDEN + "/")) {
                            return new MockResponse().setResponseCode(403).setBody("{\"kind\":\"Status\","
                                    + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403,"
                                    + "\"message\":\"deployments.apps \\\"web\\\" is forbidden: User \\\"aegis\\\" cannot get"
                                    + " resource \\\"deployments\\\" in API group \\\"apps\\\" in the namespace \\\"locked\\\"\"}");
                        }
                        return super.handleGet(path);
                    }
                }, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
    }

    /** The writes whose line contains {@code part}. */
    List<String> writes(String part) {
        return writes.stream().filter(w -> w.contains(part)).toList();
    }

    RuntimeAdapter runtime(String namespace, Map<String, Object> extra, WorkloadListener listener,
            java.util.concurrent.Executor executor, Clock clock) {
        return runtime(namespace, extra, listener, executor, clock, null);
    }

    /** A runtime with {@code stateDirectory} as its service's state directory (null: a fresh temporary one). */
    RuntimeAdapter runtime(String namespace, Map<String, Object> extra, WorkloadListener listener,
            java.util.concurrent.Executor executor, Clock clock, java.nio.file.Path stateDirectory) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("type", "kubernetes");
        values.put("namespace", namespace);
        values.put("deployment", "web");
        values.putAll(extra);
        if (extra.containsKey("statefulSet")) {
            values.remove("deployment");
        }
        KubernetesRuntimeFactory factory = new KubernetesRuntimeFactory(
                settings -> new KubernetesRuntimeFactory.Connection(client, "default"), clock);
        Settings settings = Settings.of("services.web.runtime", values);
        return factory.create(stateDirectory == null ? new RuntimeSpec("web", settings, listener, executor)
                : new RuntimeSpec("web", settings, listener, executor, stateDirectory));
    }

    static PodTemplateSpec template(String image, String hash) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app", "web");
        if (hash != null) {
            labels.put("pod-template-hash", hash);
        }
        return new PodTemplateSpecBuilder().withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage(image).endContainer().endSpec().build();
    }

    /** A Deployment {@code web} at {@code revision} running {@code image}, its status all ready. */
    Deployment deployment(String namespace, int replicas, long revision, String image) {
        Deployment created = client.apps().deployments().inNamespace(namespace).resource(new DeploymentBuilder()
                .withNewMetadata().withName("web").withNamespace(namespace)
                .addToAnnotations(RolloutHistory.REVISION, String.valueOf(revision)).endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().addToMatchLabels("app", "web").endSelector()
                .withTemplate(template(image, null)).endSpec().build()).create();
        return deploymentStatus(namespace, replicas, replicas, replicas, generation(created));
    }

    static long generation(Deployment deployment) {
        return deployment.getMetadata().getGeneration() == null ? 0 : deployment.getMetadata().getGeneration();
    }

    /** Plays the Deployment controller: writes the status. */
    Deployment deploymentStatus(String namespace, int replicas, int ready, int updated, long observedGeneration) {
        Deployment current = client.apps().deployments().inNamespace(namespace).withName("web").get();
        current.setStatus(new DeploymentStatusBuilder().withReplicas(replicas).withReadyReplicas(ready)
                .withUpdatedReplicas(updated).withAvailableReplicas(ready).withObservedGeneration(observedGeneration)
                .build());
        return client.apps().deployments().inNamespace(namespace).resource(current).updateStatus();
    }

    /** Plays the Deployment controller once the rollout of the current template has finished. */
    Deployment rolledOut(String namespace, int replicas) {
        Deployment current = client.apps().deployments().inNamespace(namespace).withName("web").get();
        return deploymentStatus(namespace, replicas, replicas, replicas, generation(current));
    }

    /** A ReplicaSet of {@code owner} (or of nobody) at {@code revision}, as the Deployment controller makes them. */
    void replicaSet(String namespace, Deployment owner, String name, long revision, String image, String hash) {
        ReplicaSetBuilder builder = new ReplicaSetBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .addToAnnotations(RolloutHistory.REVISION, String.valueOf(revision))
                .addToAnnotations("deployment.kubernetes.io/desired-replicas", "3")
                .addToLabels("app", "web").addToLabels("pod-template-hash", hash).endMetadata()
                .withNewSpec().withReplicas(0).withNewSelector().addToMatchLabels("app", "web")
                .addToMatchLabels("pod-template-hash", hash).endSelector().withTemplate(template(image, hash))
                .endSpec();
        if (owner != null) {
            OwnerReference reference = new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("Deployment")
                    .withName("web").withUid(owner.getMetadata().getUid()).withController(true).build();
            builder.editMetadata().withOwnerReferences(reference).endMetadata();
        }
        client.apps().replicaSets().inNamespace(namespace).resource(builder.build()).create();
    }

    /** A StatefulSet {@code db} running {@code image}, its status all ready. */
    StatefulSet statefulSet(String namespace, int replicas, String image, String currentRevision) {
        StatefulSet created = client.apps().statefulSets().inNamespace(namespace).resource(new StatefulSetBuilder()
                .withNewMetadata().withName("db").withNamespace(namespace).endMetadata()
                .withNewSpec().withReplicas(replicas).withServiceName("db").withNewSelector()
                .addToMatchLabels("app", "db").endSelector().withNewTemplate().withNewMetadata()
                .addToLabels("app", "db").endMetadata().withNewSpec().addNewContainer().withName("db").withImage(image)
                .endContainer().endSpec().endTemplate().endSpec().build()).create();
        created.setStatus(new StatefulSetStatusBuilder().withReplicas(replicas).withReadyReplicas(replicas)
                .withUpdatedReplicas(replicas).withCurrentRevision(currentRevision).withUpdateRevision(currentRevision)
                .withObservedGeneration(created.getMetadata().getGeneration()).build());
        return client.apps().statefulSets().inNamespace(namespace).resource(created).updateStatus();
    }

    /** A ControllerRevision of {@code owner} as the StatefulSet controller writes them: a strategic-merge patch. */
    void controllerRevision(String namespace, StatefulSet owner, String name, long revision, String image) {
        Map<String, Object> template = new LinkedHashMap<>();
        template.put("metadata", Map.of("labels", Map.of("app", "db")));
        template.put("spec", Map.of("containers", List.of(Map.of("name", "db", "image", image))));
        template.put("$patch", "replace");
        client.apps().controllerRevisions().inNamespace(namespace).resource(new ControllerRevisionBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).addToLabels("app", "db")
                .addToLabels("controller-revision-hash", name.substring(name.lastIndexOf('-') + 1))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("StatefulSet")
                        .withName("db").withUid(owner.getMetadata().getUid()).withController(true).build())
                .endMetadata().withRevision(revision).withData(Map.of("spec", Map.of("template", template))).build())
                .create();
    }

    Pod pod(String namespace, String name, PodStatus status) {
        Pod pod = client.pods().inNamespace(namespace).resource(new PodBuilder().withNewMetadata().withName(name)
                .withNamespace(namespace).addToLabels("app", "web").addToLabels("pod-template-hash", "abc")
                .endMetadata().withNewSpec().addNewContainer().withName("app").withImage("web:2").endContainer()
                .endSpec().build()).create();
        pod.setStatus(status);
        return client.pods().inNamespace(namespace).resource(pod).updateStatus();
    }

    static PodStatus ready(int restarts) {
        return new PodStatusBuilder().withPhase("Running").addNewCondition().withType("Ready").withStatus("True")
                .endCondition().addToContainerStatuses(new ContainerStatusBuilder().withName("app").withReady(true)
                        .withRestartCount(restarts).withNewState().withNewRunning().endRunning().endState().build())
                .build();
    }

    static PodStatus crashLooping(int restarts) {
        return new PodStatusBuilder().withPhase("Running").addNewCondition().withType("Ready").withStatus("False")
                .endCondition().addToContainerStatuses(new ContainerStatusBuilder().withName("app").withReady(false)
                        .withRestartCount(restarts).withNewState().withNewWaiting().withReason("CrashLoopBackOff")
                        .endWaiting().endState().build())
                .build();
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
