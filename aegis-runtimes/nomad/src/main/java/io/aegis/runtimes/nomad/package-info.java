/**
 * The {@code nomad} runtime: a Nomad job's allocations, driven through Nomad's HTTP API with the JDK's
 * {@link java.net.http.HttpClient} and Jackson (Nomad publishes no maintained Java client). The only public type is
 * {@link io.aegis.runtimes.nomad.NomadRuntimeFactory}, found through {@link java.util.ServiceLoader}; its
 * documentation lists the {@code runtime:} keys. Everything else here is package-private machinery.
 */
package io.aegis.runtimes.nomad;
