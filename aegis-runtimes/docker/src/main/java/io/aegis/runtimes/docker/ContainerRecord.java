package io.aegis.runtimes.docker;

import io.aegis.plugin.support.StateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * What the docker runtime keeps in a service's state directory so the next aegis run finds its container again
 * (to adopt or replace it, or to remove it when the service is gone) and still knows the last healthy image.
 *
 * @param host the Docker engine the container lives on
 * @param service the service's name, as in the container's {@code io.aegis.service} label
 * @param containerId the container aegis created; empty before the first one
 * @param imageId the image id ({@code sha256:...}) that container was created from; empty before the first one
 * @param lastHealthy the image id that last ran while the service was healthy; empty until one did
 * @param isolatedFrom the networks isolate disconnected the container from, to connect it again at the next
 *     (re)start, also when that is done by the next aegis run
 */
record ContainerRecord(String host, String service, Optional<String> containerId, Optional<String> imageId,
        Optional<String> lastHealthy, List<String> isolatedFrom) {

    ContainerRecord {
        isolatedFrom = List.copyOf(isolatedFrom);
    }

    /** A record of nothing yet. */
    static ContainerRecord empty(String host, String service) {
        return new ContainerRecord(host, service, Optional.empty(), Optional.empty(), Optional.empty(), List.of());
    }

    /** The file's name in the state directory. */
    static final String FILE = "docker-container.properties";

    ContainerRecord withContainer(String id, String image) {
        return new ContainerRecord(host, service, Optional.of(id), Optional.of(image), lastHealthy, isolatedFrom);
    }

    ContainerRecord withLastHealthy(String image) {
        return new ContainerRecord(host, service, containerId, imageId, Optional.of(image), isolatedFrom);
    }

    ContainerRecord withIsolatedFrom(List<String> networks) {
        return new ContainerRecord(host, service, containerId, imageId, lastHealthy, networks);
    }

    /** Reads the record of {@code directory}; empty when there is none. */
    static Optional<ContainerRecord> read(Path directory) throws IOException {
        Optional<Properties> read = StateFiles.readProperties(directory, FILE);
        if (read.isEmpty()) {
            return Optional.empty();
        }
        Properties properties = read.get();
        String host = properties.getProperty("host");
        String service = properties.getProperty("service");
        if (host == null || service == null) {
            throw new IOException(directory.resolve(FILE) + " lacks host or service");
        }
        List<String> isolatedFrom = value(properties, "isolatedFrom").map(v -> Arrays.asList(v.split(",")))
                .orElse(List.of());
        return Optional.of(new ContainerRecord(host, service, value(properties, "containerId"),
                value(properties, "imageId"), value(properties, "lastHealthy"), isolatedFrom));
    }

    /** Writes the record atomically (a reader sees the old or the new one, never half). */
    void write(Path directory) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("host", host);
        properties.setProperty("service", service);
        containerId.ifPresent(v -> properties.setProperty("containerId", v));
        imageId.ifPresent(v -> properties.setProperty("imageId", v));
        lastHealthy.ifPresent(v -> properties.setProperty("lastHealthy", v));
        if (!isolatedFrom.isEmpty()) {
            properties.setProperty("isolatedFrom", String.join(",", isolatedFrom)); // Docker allows no , in names
        }
        StateFiles.writeProperties(directory, FILE, properties, "written by the aegis docker runtime; do not edit");
    }

    /** Deletes the record of {@code directory}, if any. */
    static void delete(Path directory) throws IOException {
        Files.deleteIfExists(directory.resolve(FILE));
    }

    private static Optional<String> value(Properties properties, String key) {
        return Optional.ofNullable(properties.getProperty(key)).filter(v -> !v.isBlank());
    }
}
