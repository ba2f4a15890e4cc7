package io.aegis.runtimes.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Turns what the API server (or the way to it) answered into one sentence a person can act on: which service, what
 * aegis tried, what went wrong and what to fix. The engine logs only the message, so no stack trace reaches anyone.
 */
final class ApiErrors {

    private ApiErrors() {
    }

    /**
     * The failure of {@code doing} (for example {@code "patch deployment shop/web"}) for service {@code service},
     * against the API server at {@code server}.
     *
     * @param keys the key path of the service's {@code runtime:} block with a trailing dot, for what to check
     * @param resource the kind of object, plural, as RBAC names it ({@code deployments}, {@code pods})
     * @param namespace where the object lives
     */
    static KubernetesOperationException describe(String service, String keys, String doing, String resource,
            String namespace, String server, Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof KubernetesOperationException known) {
            return known;
        }
        if (cause instanceof KubernetesClientException kce) {
            int code = kce.getCode();
            String reason = kce.getStatus() != null && kce.getStatus().getMessage() != null
                    ? kce.getStatus().getMessage() : firstLine(kce.getMessage());
            switch (code) {
                case 401:
                    return new KubernetesOperationException("service " + service + ": the Kubernetes API server at "
                            + server + " rejected aegis' credentials when it tried to " + doing + " (401 Unauthorized: "
                            + reason + "); renew the token or client certificate in the kubeconfig (" + keys
                            + "kubeconfig, "
                            + keys + "context) or the service account aegis runs as");
                case 403:
                    return new KubernetesOperationException("service " + service + ": the Kubernetes API server at "
                            + server + " refused to let aegis " + doing + " (403 Forbidden: " + reason + "); grant the"
                            + " user or service account aegis runs as the RBAC permission on " + resource
                            + " in namespace " + namespace + " (get, list, watch, patch; delete for pods)");
                case 404:
                    return new KubernetesOperationException("service " + service + ": cannot " + doing + ": it does"
                            + " not exist in the cluster at " + server + " (404 Not Found)");
                case 409:
                    return new KubernetesOperationException("service " + service + ": cannot " + doing + ": someone"
                            + " else changed it at the same time (409 Conflict: " + reason + "); the next attempt"
                            + " reads it again");
                case 422:
                    return new KubernetesOperationException("service " + service + ": the Kubernetes API server at "
                            + server + " refused to let aegis " + doing + " as invalid (422 Unprocessable Entity: "
                            + reason + "); the object no longer looks as aegis read it (or an admission policy"
                            + " rejects the change): see kubectl get " + resource + " -n " + namespace
                            + " -o yaml; the next attempt reads it again");
                default:
                    break;
            }
            if (code == 429 || code >= 500) {
                return new KubernetesOperationException("service " + service + ": the Kubernetes API server at "
                        + server + " failed when aegis tried to " + doing + " (HTTP " + code + ": " + reason
                        + "); it is overloaded or unhealthy, see kubectl get --raw /readyz?verbose; the next attempt"
                        + " tries again");
            }
            // no HTTP answer at all (fabric8 says -1 or 0): the server could not be reached
            if (code <= 0 && ioCause(kce) != null) {
                return unreachable(service, keys, doing, server, kce);
            }
            return new KubernetesOperationException("service " + service + ": cannot " + doing + " on the Kubernetes"
                    + " API server at " + server + " (" + (code > 0 ? "HTTP " + code + ": " : "") + reason + ")");
        }
        if (cause instanceof IOException) {
            return unreachable(service, keys, doing, server, cause);
        }
        return new KubernetesOperationException("service " + service + ": cannot " + doing + ": "
                + firstLine(String.valueOf(cause.getMessage())));
    }

    private static KubernetesOperationException unreachable(String service, String keys, String doing,
            String server, Throwable failure) {
        String why = null;
        for (Throwable t = failure; t != null && why == null; t = t.getCause() == t ? null : t.getCause()) {
            why = t instanceof ConnectException ? "connection refused"
                    : t instanceof UnknownHostException ? "unknown host " + t.getMessage()
                    : t instanceof HttpTimeoutException ? "no answer in time"
                    : null;
        }
        if (why == null) {
            Throwable io = ioCause(failure);
            why = io == null || io.getMessage() == null ? "no connection" : firstLine(io.getMessage());
        }
        return new KubernetesOperationException("service " + service + ": cannot reach the Kubernetes API server at "
                + server + " to " + doing + " (" + why + "); check " + keys + "kubeconfig and " + keys
                + "context (or the"
                + " in-cluster service account) and that the cluster is up");
    }

    /** Whether {@code failure} says that the object does not exist. */
    static boolean isNotFound(Throwable failure) {
        return unwrap(failure) instanceof KubernetesClientException kce && kce.getCode() == 404;
    }

    private static Throwable ioCause(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return t;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "no message";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
