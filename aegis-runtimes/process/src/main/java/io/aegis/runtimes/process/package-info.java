/**
 * The {@code process} runtime: services run as child processes of the engine. The only public type is
 * {@link io.aegis.runtimes.process.ProcessRuntimeFactory}, found through {@link java.util.ServiceLoader};
 * its documentation lists the {@code runtime:} keys. Everything else here is package-private machinery.
 */
package io.aegis.runtimes.process;
