package io.aegis.runtimes.kubernetes;

/**
 * A runtime operation on Kubernetes failed; the message is one sentence naming the service and what to fix. Carries
 * no cause and no stack trace: the engine shows the message, and the details are logged at debug level.
 */
final class KubernetesOperationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KubernetesOperationException(String message) {
        super(message, null, false, false);
    }
}
