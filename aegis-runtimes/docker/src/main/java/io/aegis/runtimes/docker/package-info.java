/**
 * The {@code docker} runtime: a service is a container on a Docker engine, supervised through the Engine API
 * (docker-java over the unix socket or TCP). The only public type is
 * {@link io.aegis.runtimes.docker.DockerRuntimeFactory}, found through {@link java.util.ServiceLoader}; its
 * documentation lists the {@code runtime:} keys. Everything else here is package-private machinery.
 */
package io.aegis.runtimes.docker;
