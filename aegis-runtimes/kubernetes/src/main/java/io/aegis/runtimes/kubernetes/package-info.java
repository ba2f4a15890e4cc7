/**
 * The {@code kubernetes} runtime: services run by Kubernetes as a Deployment or a StatefulSet. The only public type
 * is {@link io.aegis.runtimes.kubernetes.KubernetesRuntimeFactory}, found through {@link java.util.ServiceLoader};
 * its documentation lists the {@code runtime:} keys. Everything else here is package-private machinery.
 */
package io.aegis.runtimes.kubernetes;
