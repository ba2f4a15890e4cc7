package io.aegis.runtimes.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

/** The API server's refusals and failures as sentences that say what to do. */
class ApiErrorsTest {

    private static String describe(int code, String message) {
        KubernetesClientException failure = new KubernetesClientException(new StatusBuilder().withCode(code)
                .withMessage(message).withStatus("Failure").build());
        return ApiErrors.describe("web", "services.web.runtime.", "isolate a pod of deployment shop/web", "pods",
                "shop", "https://k8s:6443/", failure).getMessage();
    }

    @Test
    void aRejectedPatchSaysTheObjectChangedAndHowToLookAtIt() {
        assertThat(describe(422, "the server rejected our request due to an error in our request"))
                .isEqualTo("service web: the Kubernetes API server at https://k8s:6443/ refused to let aegis isolate a"
                        + " pod of deployment shop/web as invalid (422 Unprocessable Entity: the server rejected our"
                        + " request due to an error in our request); the object no longer looks as aegis read it (or"
                        + " an admission policy rejects the change): see kubectl get pods -n shop -o yaml; the next"
                        + " attempt reads it again");
    }

    @Test
    void aFailingOrOverloadedServerIsSaidAsSuchWithWhereToLook() {
        assertThat(describe(500, "etcdserver: request timed out")).isEqualTo("service web: the Kubernetes API"
                + " server at https://k8s:6443/ failed when aegis tried to isolate a pod of deployment shop/web (HTTP"
                + " 500: etcdserver: request timed out); it is overloaded or unhealthy, see kubectl get --raw"
                + " /readyz?verbose; the next attempt tries again");
        assertThat(describe(429, "Too many requests, please try again later.")).startsWith("service web: the"
                + " Kubernetes API server at https://k8s:6443/ failed when aegis tried to isolate a pod of deployment"
                + " shop/web (HTTP 429: Too many requests");
        assertThat(describe(503, "service unavailable")).doesNotContain("\n").contains("(HTTP 503: service"
                + " unavailable); it is overloaded or unhealthy");
    }
}
