package io.aegis.runtimes.kubernetes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(directory.resolve(FILE))) {
            properties.load(in);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            throw new IOException("it is not a properties file (" + e.getMessage() + ")", e); // a malformed \\u
        }
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
        Path temporary = directory.resolve(FILE + ".tmp");
        try (OutputStream out = Files.newOutputStream(temporary)) {
            properties.store(out, "written by the aegis kubernetes runtime; do not edit");
        }
        try {
            Files.move(temporary, directory.resolve(FILE), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, directory.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String value(Properties properties, String key) {
        String value = properties.getProperty(key);
        return value == null || value.isBlank() ? null : value.trim();
    }
}
