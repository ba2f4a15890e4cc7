/**
 * The contract between the Aegis engine and its plugins.
 *
 * <p>Six service-provider interfaces, each discovered through {@link java.util.ServiceLoader} by its
 * factory: {@link io.aegis.api.HealthCheckerFactory}, {@link io.aegis.api.RuntimeAdapterFactory},
 * {@link io.aegis.api.RecoveryActionFactory}, {@link io.aegis.api.NotifierFactory}, {@link
 * io.aegis.api.LogSourceFactory} and {@link io.aegis.api.SignalSourceFactory}. A plugin jar lists
 * its factories in {@code META-INF/services/<factory interface name>} and is built against this module
 * alone. Everything here is immutable or an interface; this module depends on nothing but the JDK.
 *
 * <p>Compatibility rule: methods added to these interfaces later are {@code default} methods, so a plugin
 * compiled against an older {@code aegis-api} keeps working.
 */
package io.aegis.api;
