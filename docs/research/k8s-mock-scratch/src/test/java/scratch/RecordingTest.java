package scratch;

import static org.junit.jupiter.api.Assertions.*;

import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.api.model.apps.*;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.*;

class RecordingTest {
    static final List<String> writes = new CopyOnWriteArrayList<>();
    static KubernetesMockServer server;
    static KubernetesClient client;

    @BeforeAll
    static void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(Collections.emptyList()) {
                    @Override
                    public MockResponse handlePatch(RecordedRequest r) {
                        writes.add(r.getMethod() + " " + r.getPath() + " " + r.getHeader("Content-Type") + " "
                                + new String(r.getBody().getBytes(), StandardCharsets.UTF_8));
                        return super.handlePatch(r);
                    }
                }, false);
        server.init();
        client = server.createClient();
    }

    @AfterAll
    static void stop() { client.close(); server.destroy(); }

    @Test
    void recordsPatchBodyAndSmpIs415() {
        client.apps().deployments().inNamespace("ns").resource(new DeploymentBuilder().withNewMetadata().withName("web").endMetadata()
                .withNewSpec().withNewSelector().addToMatchLabels("app", "web").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "web").endMetadata().withNewSpec().addNewContainer().withName("c").withImage("i:1").endContainer().endSpec().endTemplate().endSpec().build()).create();
        String p = "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"2026-11-30T18:00:00Z\"}}}}}";
        Deployment d = client.apps().deployments().inNamespace("ns").withName("web").patch(PatchContext.of(PatchType.JSON_MERGE), p);
        assertEquals("2026-11-30T18:00:00Z", d.getSpec().getTemplate().getMetadata().getAnnotations().get("kubectl.kubernetes.io/restartedAt"));
        System.out.println("RECORDED: " + writes);
        assertEquals("PATCH /apis/apps/v1/namespaces/ns/deployments/web application/merge-patch+json " + p, writes.get(0));
        KubernetesClientException e = assertThrows(KubernetesClientException.class,
                () -> client.apps().deployments().inNamespace("ns").withName("web").patch(PatchContext.of(PatchType.STRATEGIC_MERGE), p));
        System.out.println("SMP code=" + e.getCode() + " " + e.getStatus().getMessage());
        // server-side apply?
        try {
            client.apps().deployments().inNamespace("ns").withName("web").patch(PatchContext.of(PatchType.SERVER_SIDE_APPLY), p);
            System.out.println("SSA accepted");
        } catch (KubernetesClientException ex) { System.out.println("SSA code=" + ex.getCode()); }
    }
}
