/**
 * The {@code ${checkerType}} health checker, an Aegis plugin: {@link ${package}.PortCheckerFactory} and what it
 * creates. Built against {@code aegis-api} alone; put its jar in a directory given to {@code aegis --plugin-dir}, or
 * on the class path of an application that embeds the engine.
 */
package ${package};
