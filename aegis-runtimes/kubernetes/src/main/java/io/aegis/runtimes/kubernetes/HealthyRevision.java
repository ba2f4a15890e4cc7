package io.aegis.runtimes.kubernetes;

import io.aegis.plugin.support.StateFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * What the kubernetes runtime keeps in a service's state directory so that the next aegis run still knows the
 * revision it last saw healthy, the one a rollback prefers. It names its target: a service whose configuration now
 * points at another Deployment or StatefulSet must not roll back to a revision of the old one.
 *
 * @param namespace the target's namespace
 * @param kind the target's kind as kubectl spells it ({@code deployment}, {@code statefulset})
 * @param name the target's name
 * @param revision a Deployment's revision number, or a StatefulSet's ControllerRevision name
 */
record HealthyRevision(String namespace, String kind, String name, String revision) {

    /** The file's name in the state directory. */
    static final String FILE = "kubernetes-last-healthy.properties";

    /** Whether this record is about that target. */
    boolean names(String namespace, String kind, String name) {
        return this.namespace.equals(namespace) && this.kind.equals(kind) && this.name.equals(name);
    }

    /** Reads the record of {@code directory}; empty when there is none. */
    static Optional<HealthyRevision> read(Path directory) throws IOException {
        Optional<Properties> read = StateFiles.readProperties(directory, FILE);
        if (read.isEmpty()) {
            return Optional.empty();
        }
        Properties properties = read.get();
        String namespace = value(properties, "namespace");
        String kind = value(properties, "kind");
        String name = value(properties, "name");
        String revision = value(properties, "revision");
        if (namespace == null || kind == null || name == null || revision == null) {
            throw new IOException("it lacks one of namespace, kind, name and revision");
        }
        return Optional.of(new HealthyRevision(namespace, kind, name, revision));
    }

    /** Writes the record atomically (a reader sees the old or the new one, never half). */
    void write(Path directory) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("namespace", namespace);
        properties.setProperty("kind", kind);
        properties.setProperty("name", name);
        properties.setProperty("revision", revision);
        StateFiles.writeProperties(directory, FILE, properties, "written by the aegis kubernetes runtime; do not edit");
    }

    private static String value(Properties properties, String key) {
        String value = properties.getProperty(key);
        return value == null || value.isBlank() ? null : value.trim();
    }
}
