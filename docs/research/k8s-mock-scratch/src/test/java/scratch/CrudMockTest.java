package scratch;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.api.model.apps.*;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.*;
import java.util.concurrent.*;
import io.fabric8.mockwebserver.http.RecordedRequest;
import org.junit.jupiter.api.*;

@EnableKubernetesMockClient(crud = true)
class CrudMockTest {
    static KubernetesClient client;
    static KubernetesMockServer server;
    static final String NS = "shop";

    static PodTemplateSpec template(String image, String hash) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app", "web");
        if (hash != null) labels.put("pod-template-hash", hash);
        return new PodTemplateSpecBuilder().withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("web").withImage(image).endContainer().endSpec().build();
    }

    Deployment setup() throws InterruptedException {
        Deployment d0 = setup0();
        while (server.takeRequest(300, TimeUnit.MILLISECONDS) != null) { }
        return d0;
    }

    Deployment setup0() {
        Deployment d = client.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder()
                .withNewMetadata().withName("web").withNamespace(NS)
                .addToAnnotations("deployment.kubernetes.io/revision", "2").endMetadata()
                .withNewSpec().withReplicas(2).withNewSelector().addToMatchLabels("app", "web").endSelector()
                .withTemplate(template("web:v2", null)).endSpec().build()).create();
        System.out.println("created deployment uid=" + d.getMetadata().getUid() + " rv=" + d.getMetadata().getResourceVersion());
        OwnerReference owner = new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("Deployment")
                .withName("web").withUid(d.getMetadata().getUid()).withController(true).build();
        String[][] rs = {{"web-aaa", "1", "web:v1", "aaa", "0"}, {"web-bbb", "2", "web:v2", "bbb", "2"}};
        for (String[] r : rs) {
            client.apps().replicaSets().inNamespace(NS).resource(new ReplicaSetBuilder()
                    .withNewMetadata().withName(r[0]).withNamespace(NS)
                    .addToAnnotations("deployment.kubernetes.io/revision", r[1])
                    .addToLabels("app", "web").addToLabels("pod-template-hash", r[3])
                    .withOwnerReferences(owner).endMetadata()
                    .withNewSpec().withReplicas(Integer.valueOf(r[4])).withNewSelector().addToMatchLabels("app", "web")
                    .addToMatchLabels("pod-template-hash", r[3]).endSelector()
                    .withTemplate(template(r[2], r[3])).endSpec().build()).create();
        }
        // an unrelated RS with a higher revision, not owned by the deployment
        client.apps().replicaSets().inNamespace(NS).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName("other-zzz").withNamespace(NS)
                .addToAnnotations("deployment.kubernetes.io/revision", "7").addToLabels("app", "web").endMetadata()
                .withNewSpec().withReplicas(0).withTemplate(template("other:v7", "zzz")).endSpec().build()).create();
        for (int i = 0; i < 2; i++) {
            client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("web-bbb-" + i)
                    .withNamespace(NS).addToLabels("app", "web").addToLabels("pod-template-hash", "bbb").endMetadata()
                    .withNewSpec().addNewContainer().withName("web").withImage("web:v2").endContainer().endSpec()
                    .build()).create();
        }
        return d;
    }

    @AfterEach
    void clean() {
        client.apps().deployments().inNamespace(NS).delete();
        client.apps().replicaSets().inNamespace(NS).delete();
        client.pods().inNamespace(NS).delete();
    }

    @Test
    void whichHttpClient() {
        System.out.println("HTTPCLIENT: " + client.getHttpClient().getClass().getName());
    }

    @Test
    void podsBySelector() throws Exception {
        Deployment d = setup();
        List<Pod> pods = client.pods().inNamespace(NS).withLabelSelector(d.getSpec().getSelector()).list().getItems();
        assertEquals(2, pods.size());
        List<Pod> pods2 = client.pods().inNamespace(NS).withLabels(d.getSpec().getSelector().getMatchLabels()).list().getItems();
        assertEquals(2, pods2.size());
    }

    @Test
    void rolloutRestartMergePatch() throws Exception {
        setup();
        int before = server.getRequestCount();
        String at = "2026-11-30T18:00:00Z";
        String patch = "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"" + at + "\"}}}}}";
        Deployment p = client.apps().deployments().inNamespace(NS).withName("web")
                .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch);
        assertEquals(at, p.getSpec().getTemplate().getMetadata().getAnnotations().get("kubectl.kubernetes.io/restartedAt"));
        assertEquals("web:v2", p.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        RecordedRequest req = last(before);
        System.out.println("SMP: " + req.getMethod() + " " + req.getPath() + " CT=" + req.getHeader("Content-Type") + " body=" + req.getUtf8Body());
        // JSON merge patch
        before = server.getRequestCount();
        p = client.apps().deployments().inNamespace(NS).withName("web").patch(PatchContext.of(PatchType.JSON_MERGE), patch.replace("18:00", "18:01"));
        req = last(before);
        System.out.println("MERGE: " + req.getMethod() + " " + req.getPath() + " CT=" + req.getHeader("Content-Type"));
        assertEquals("2026-11-30T18:01:00Z", p.getSpec().getTemplate().getMetadata().getAnnotations().get("kubectl.kubernetes.io/restartedAt"));
        // JSON patch
        before = server.getRequestCount();
        String jp = "[{\"op\":\"replace\",\"path\":\"/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt\",\"value\":\"X\"}]";
        p = client.apps().deployments().inNamespace(NS).withName("web").patch(PatchContext.of(PatchType.JSON), jp);
        req = last(before);
        System.out.println("JSONPATCH: " + req.getMethod() + " " + req.getPath() + " CT=" + req.getHeader("Content-Type"));
        assertEquals("X", p.getSpec().getTemplate().getMetadata().getAnnotations().get("kubectl.kubernetes.io/restartedAt"));
    }

    @Test
    void fabric8BuiltinRestart() throws Exception {
        setup();
        int before = server.getRequestCount();
        Deployment p = client.apps().deployments().inNamespace(NS).withName("web").rolling().restart();
        RecordedRequest r;
        while ((r = server.takeRequest(300, TimeUnit.MILLISECONDS)) != null) {
            if (r.getPath().contains("watch")) continue;
            System.out.println("builtin restart req: " + r.getMethod() + " " + r.getPath() + " CT=" + r.getHeader("Content-Type") + " body=" + r.getUtf8Body());
        }
        System.out.println("builtin restart annotations: " + p.getSpec().getTemplate().getMetadata().getAnnotations());
        assertNotNull(p.getSpec().getTemplate().getMetadata().getAnnotations().get("kubectl.kubernetes.io/restartedAt"));
    }

    @Test
    void rolloutUndoOwnImplementation() throws Exception {
        Deployment d = setup();
        Deployment cur = client.apps().deployments().inNamespace(NS).withName("web").get();
        List<ReplicaSet> owned = client.apps().replicaSets().inNamespace(NS).withLabelSelector(cur.getSpec().getSelector())
                .list().getItems().stream()
                .filter(rs -> rs.getMetadata().getOwnerReferences().stream().anyMatch(o -> Boolean.TRUE.equals(o.getController()) && cur.getMetadata().getUid().equals(o.getUid())))
                .toList();
        assertEquals(2, owned.size());
        long currentRev = Long.parseLong(cur.getMetadata().getAnnotations().get("deployment.kubernetes.io/revision"));
        ReplicaSet prev = owned.stream()
                .filter(rs -> rev(rs) < currentRev)
                .max(Comparator.comparingLong(CrudMockTest::rev)).orElseThrow();
        assertEquals("web-aaa", prev.getMetadata().getName());
        PodTemplateSpec t = new PodTemplateSpecBuilder(prev.getSpec().getTemplate()).build();
        t.getMetadata().getLabels().remove("pod-template-hash");
        // kubectl uses a JSON patch: replace /spec/template + annotations, test resourceVersion
        String json = io.fabric8.kubernetes.client.utils.Serialization.asJson(t);
        String patch = "[{\"op\":\"replace\",\"path\":\"/spec/template\",\"value\":" + json + "}]";
        int before = server.getRequestCount();
        Deployment p = client.apps().deployments().inNamespace(NS).withName("web").patch(PatchContext.of(PatchType.JSON), patch);
        RecordedRequest req = last(before);
        System.out.println("UNDO: " + req.getMethod() + " " + req.getPath() + " CT=" + req.getHeader("Content-Type") + " body=" + req.getUtf8Body());
        assertEquals("web:v1", p.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        assertEquals(Map.of("app", "web"), p.getSpec().getTemplate().getMetadata().getLabels());
    }

    @Test
    void fabric8BuiltinUndo() throws Exception {
        setup();
        int before = server.getRequestCount();
        try {
            Deployment p = client.apps().deployments().inNamespace(NS).withName("web").rolling().undo();
            System.out.println("builtin undo image: " + p.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()
                    + " labels=" + p.getSpec().getTemplate().getMetadata().getLabels());
        } catch (Exception e) {
            System.out.println("builtin undo failed: " + e);
        }
        RecordedRequest r;
        while ((r = server.takeRequest(300, TimeUnit.MILLISECONDS)) != null) {
            if (r.getPath().contains("watch")) continue;
            System.out.println("builtin undo req: " + r.getMethod() + " " + r.getPath() + " CT=" + r.getHeader("Content-Type") + " body=" + r.getUtf8Body());
        }
    }

    @Test
    void isolateRelabelAndWatch() throws Exception {
        setup();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        Watch w = client.pods().inNamespace(NS).withLabel("app", "web").watch(new Watcher<Pod>() {
            @Override public void eventReceived(Action action, Pod pod) {
                events.add(action + " " + pod.getMetadata().getName() + " labels=" + pod.getMetadata().getLabels());
            }
            @Override public void onClose(WatcherException cause) { events.add("CLOSED " + cause); }
        });
        Thread.sleep(300);
        System.out.println("initial events: " + drain(events));
        // isolate: JSON patch remove label app + add aegis.io/isolated
        int before = server.getRequestCount();
        String jp = "[{\"op\":\"test\",\"path\":\"/metadata/labels/app\",\"value\":\"web\"},{\"op\":\"remove\",\"path\":\"/metadata/labels/app\"},{\"op\":\"add\",\"path\":\"/metadata/labels/aegis.io~1isolated\",\"value\":\"true\"}]";
        Pod p = client.pods().inNamespace(NS).withName("web-bbb-0").patch(PatchContext.of(PatchType.JSON), jp);
        RecordedRequest req = last(before);
        System.out.println("ISOLATE: " + req.getMethod() + " " + req.getPath() + " CT=" + req.getHeader("Content-Type") + " body=" + req.getUtf8Body());
        assertEquals(Map.of("pod-template-hash", "bbb", "aegis.io/isolated", "true"), p.getMetadata().getLabels());
        String e1 = events.poll(5, TimeUnit.SECONDS);
        System.out.println("event after relabel (watch withLabel app=web): " + e1);
        // modify status of other pod: container terminated
        Pod other = client.pods().inNamespace(NS).withName("web-bbb-1").get();
        other.setStatus(new PodStatusBuilder().withPhase("Running").addNewContainerStatus().withName("web").withRestartCount(1)
                .withNewState().withNewTerminated().withExitCode(137).withReason("OOMKilled").endTerminated().endState().endContainerStatus().build());
        client.pods().inNamespace(NS).resource(other).updateStatus();
        String e2 = events.poll(5, TimeUnit.SECONDS);
        System.out.println("event after status update: " + e2);
        Pod got = client.pods().inNamespace(NS).withName("web-bbb-1").get();
        System.out.println("status after updateStatus: " + got.getStatus());
        client.pods().inNamespace(NS).withName("web-bbb-1").delete();
        String e3 = events.poll(5, TimeUnit.SECONDS);
        System.out.println("event after delete: " + e3);
        // merge patch with null to remove label
        client.pods().inNamespace(NS).withName("web-bbb-0").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"pod-template-hash\":null}}}");
        System.out.println("labels after merge-null: " + client.pods().inNamespace(NS).withName("web-bbb-0").get().getMetadata().getLabels());
        w.close();
        System.out.println("after close: " + drain(events));
        assertNotNull(e2);
        assertNotNull(e3);
    }

    @Test
    void resourceVersionConflict() throws Exception {
        setup();
        Pod p = client.pods().inNamespace(NS).withName("web-bbb-0").get();
        String rv = p.getMetadata().getResourceVersion();
        p.getMetadata().getLabels().put("x", "1");
        Pod u = client.pods().inNamespace(NS).resource(p).update();
        System.out.println("rv before=" + rv + " after=" + u.getMetadata().getResourceVersion());
        p.getMetadata().setResourceVersion(rv);
        p.getMetadata().getLabels().put("x", "2");
        try {
            client.pods().inNamespace(NS).resource(p).update();
            System.out.println("stale update ACCEPTED (no optimistic locking)");
        } catch (Exception e) {
            System.out.println("stale update rejected: " + e.getMessage());
        }
    }

    static long rev(ReplicaSet rs) {
        return Long.parseLong(rs.getMetadata().getAnnotations().getOrDefault("deployment.kubernetes.io/revision", "0"));
    }

    static RecordedRequest last(int before) throws InterruptedException {
        RecordedRequest r = null, n;
        while ((n = server.takeRequest(300, TimeUnit.MILLISECONDS)) != null) {
            if (!"GET".equals(n.getMethod())) r = n;
        }
        return r;
    }

    static List<String> drain(BlockingQueue<String> q) { List<String> l = new ArrayList<>(); q.drainTo(l); return l; }
}
