package io.aegis.runtimes.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import io.aegis.api.ConfigException;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code docker} runtime: a service is a container on a Docker engine, either one aegis runs from an image or
 * an existing one it supervises.
 *
 * <pre>{@code
 * runtime:
 *   type: docker
 *   host: unix:///var/run/docker.sock   # optional; default $DOCKER_HOST, then unix:///var/run/docker.sock
 *   # either supervise an existing container (aegis never creates or removes it, and leaves it running at exit):
 *   container: web                      # name or id
 *   # or run one (aegis creates it, and stops it when aegis stops):
 *   image: example/web:1.4
 *   name: aegis-web                     # optional; the container's name, default aegis-<service>
 *   command: [java, -jar, /app/app.jar] # optional; a list, or one string split into words; default the image's CMD
 *   env: {KEY: value}                   # optional
 *   ports: ["127.0.0.1:8080:8080"]      # optional; as docker run -p
 *   volumes: ["/srv/data:/data:ro"]     # optional; as docker run -v
 *   network: host                       # optional; host | none | bridge | a user-defined network
 *   pull: missing                       # optional; missing (default) | always | never
 *   init: true                          # optional; docker run --init (a PID 1 that forwards signals), default false
 *   labels: {team: web}                 # optional; added to the container
 *   stopTimeout: 10s                    # optional; SIGTERM to SIGKILL for stop and restart, default 10s, at most 5m
 *   isolate:                            # optional; a hook isolate runs on this machine (to drain a load balancer)
 *     command: [/usr/local/bin/drain]   # a list, or one string split into words; the program must exist
 *     timeout: 30s                      # optional; killed with all it started after this, default 30s, at most 10m
 * }</pre>
 *
 * <ul>
 *   <li>Exactly one of {@code container} and {@code image}. The keys after {@code image} apply only with it;
 *       {@code host}, {@code stopTimeout} and {@code isolate} apply to both. Every problem is reported at once, by key path.</li>
 *   <li><b>start</b>, image mode: the image is looked up on the engine and pulled as {@code pull} says (never: a
 *       missing image is an error). The container aegis created earlier (recorded in the service's state directory,
 *       labelled {@code io.aegis.service=<service>}) is adopted when it runs the image the tag resolves to now with
 *       the same settings, started when it stopped, and replaced otherwise, as {@code docker compose up} does. A
 *       container of that name that aegis did not create is a conflict, reported, never touched. Container mode:
 *       the container is started unless it runs, and adopted.</li>
 *   <li><b>stop</b>: {@code docker stop} with {@code stopTimeout}; the container is kept (its logs too) and
 *       started again by the next start.</li>
 *   <li><b>restart</b>: the Engine API's restart with {@code stopTimeout}; a container that is gone is created
 *       again (image mode).</li>
 *   <li><b>exits</b> are seen at once from the engine's {@code /events} stream ({@code die}, {@code oom},
 *       {@code health_status}), one stream per engine shared by every service on it, reopened from where it got to
 *       after it breaks (dockerd restarted), then each service inspects its container again. A death aegis did not
 *       cause is reported with the container's id, image id and exit code ({@code OOMKilled} as the reason after an
 *       {@code oom} event). Docker's own HEALTHCHECK verdict shows in the status; it is not an exit.</li>
 *   <li><b>status</b> answers from a cache kept current by the events and the operations: the host pid of the
 *       container's PID 1, the container id, and the image id ({@code sha256:...}) as the version.</li>
 *   <li><b>rollback</b> (image mode): after each healthy check cycle the running image id is recorded as the last
 *       healthy one (in the state directory, and tagged {@code aegis/<service>:last-healthy} so
 *       {@code docker image prune} keeps it). A rollback recreates the container with the same settings from that
 *       image id, not from the tag, which may have moved to the broken image. Restarts keep running the rolled-back
 *       image until the tag points to another image than it did at the rollback (a new deploy) or aegis is
 *       restarted. It fails, changing nothing, when no image was recorded or the recorded one is running.</li>
 *   <li><b>isolate</b> disconnects the container from every network it is on and keeps it running, so
 *       {@code docker exec} still works; the next restart, or start of the stopped container, connects it again, also
 *       in the next aegis run (the networks are recorded in the state directory). Then it runs the optional
 *       {@code isolate.command} hook ({@code isolate.timeout}, default 30s), as the process runtime does, with
 *       {@code AEGIS_SERVICE}, {@code AEGIS_CONTAINER_ID} and {@code AEGIS_CONTAINER_NAME} set. A container in
 *       network mode {@code host} (or {@code container:<id>}) cannot be disconnected: the hook alone isolates it;
 *       without one isolate fails with a sentence saying so and leaves it running, so the engine does not claim it
 *       is out of traffic (its recovery ladder then goes on or gives up, and no longer restarts it). A container on
 *       no network ({@code none}) is isolated already.</li>
 *   <li><b>logs</b> ({@link RuntimeAdapter#logSource}): the container's stdout and stderr through the Engine API's
 *       log stream ({@code /containers/{id}/logs?follow=1&timestamps=1&since=...}), followed across restarts and
 *       replacements of the container and restarts of dockerd, each line once, also across restarts of aegis (the
 *       position, the last Docker timestamp per stream, is kept in the source's state directory).</li>
 *   <li>The engine does not stop a supervised container ({@code container:}) at exit or when the service is removed
 *       ({@link RuntimeAdapter#outlivesEngine()}); a container aegis created is stopped, and when its service is gone
 *       from the configuration the next aegis run removes it ({@link #stopLeftovers}).</li>
 * </ul>
 */
public final class DockerRuntimeFactory implements RuntimeAdapterFactory {

    /** The {@code runtime.type:} this factory serves. */
    public static final String TYPE = "docker";

    private static final Logger LOG = LoggerFactory.getLogger(DockerRuntimeFactory.class);
    private static final Duration FIRST_RETRY_DELAY = Duration.ofMillis(250);

    private final Map<String, DockerEngine> engines = new HashMap<>();
    private final Duration firstRetryDelay;
    private boolean closed;

    /** Needed by {@link java.util.ServiceLoader}. */
    public DockerRuntimeFactory() {
        this(FIRST_RETRY_DELAY);
    }

    /** For tests: how soon a broken event stream is opened again. */
    DockerRuntimeFactory(Duration firstRetryDelay) {
        this.firstRetryDelay = firstRetryDelay;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public RuntimeAdapter create(RuntimeSpec spec) {
        DockerRuntimeSettings settings = DockerRuntimeSettings.from(spec.serviceName(), spec.settings(),
                System.getenv("DOCKER_HOST"));
        ContainerRecord record = readRecord(spec.stateDirectory())
                .filter(r -> r.host().equals(settings.host()) && r.service().equals(spec.serviceName()))
                .orElse(ContainerRecord.empty(settings.host(), spec.serviceName()));
        DockerEngine engine;
        try {
            engine = engine(settings.host());
        } catch (IllegalStateException e) {
            throw e; // closed
        } catch (RuntimeException e) {
            // docker-java parses the address when the client is built (an unknown scheme, a port that is no number)
            throw new ConfigException(spec.settings().keyPath("host"), "expected the Docker engine's address,"
                    + " unix:///path/to/docker.sock or tcp://host:port, found \"" + settings.host() + "\""
                    + (spec.settings().has("host") ? "" : " (from DOCKER_HOST)") + ", which docker-java cannot use ("
                    + DockerFailure.rootMessage(e) + ")");
        }
        return new DockerRuntime(spec.serviceName(), settings, engine, spec.listener(), spec.blockingExecutor(),
                spec.stateDirectory(), record);
    }

    /**
     * Removes the container an earlier aegis created for a service that is gone from the configuration (found by
     * its record, checked by its {@code io.aegis.service} label), and its {@code last-healthy} tag. A container
     * aegis only supervised lacks that label and is never touched.
     */
    @Override
    public void stopLeftovers(Path serviceDirectory) {
        Optional<ContainerRecord> found = readRecord(serviceDirectory);
        if (found.isEmpty()) {
            return;
        }
        ContainerRecord record = found.get();
        DockerClient docker = engine(record.host()).client();
        try {
            if (record.containerId().isPresent()) {
                String id = record.containerId().get();
                try {
                    InspectContainerResponse container = docker.inspectContainerCmd(id).exec();
                    Map<String, String> labels = container.getConfig() == null ? null
                            : container.getConfig().getLabels();
                    if (labels != null && record.service().equals(labels.get(DockerRuntimeSettings.SERVICE_LABEL))) {
                        LOG.info("{}: removing its container {} (the service is no longer configured)",
                                record.service(), container.getName());
                        try {
                            docker.stopContainerCmd(id).withTimeout(
                                    (int) DockerRuntimeSettings.DEFAULT_STOP_TIMEOUT.toSeconds()).exec();
                        } catch (NotModifiedException e) {
                            // already stopped
                        }
                        docker.removeContainerCmd(id).withForce(true).exec();
                    }
                } catch (NotFoundException e) {
                    // gone already
                }
            }
            if (record.lastHealthy().isPresent()) {
                try {
                    docker.removeImageCmd("aegis/" + DockerRuntime.repositoryName(record.service()) + ":last-healthy")
                            .exec();
                } catch (RuntimeException e) {
                    LOG.debug("{}: keeping its last-healthy tag: {}", record.service(), e.getMessage());
                }
            }
            ContainerRecord.delete(serviceDirectory);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot remove what an earlier aegis ran for it on {}: {}", record.service(), record.host(),
                    DockerFailure.rootMessage(e));
        }
    }

    /** Closes every engine's event stream and client. */
    @Override
    public void close() {
        Map<String, DockerEngine> toClose;
        synchronized (engines) {
            closed = true;
            toClose = new HashMap<>(engines);
            engines.clear();
        }
        toClose.values().forEach(DockerEngine::close);
    }

    /** The shared client of a Docker engine; created on first use, without connecting. */
    DockerEngine engine(String host) {
        synchronized (engines) {
            if (closed) {
                throw new IllegalStateException("the docker runtime factory is closed");
            }
            return engines.computeIfAbsent(host, h -> new DockerEngine(h, firstRetryDelay));
        }
    }

    private static Optional<ContainerRecord> readRecord(Path directory) {
        try {
            return ContainerRecord.read(directory);
        } catch (IOException e) {
            LOG.warn("ignoring {}: {}", directory.resolve(ContainerRecord.FILE), e.getMessage());
            return Optional.empty();
        }
    }
}
