package io.aegis.runtimes.kubernetes;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeSpec;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code kubernetes} runtime: supervises a Deployment or a StatefulSet that Kubernetes runs. aegis never creates
 * or deletes it, and never scales it down when aegis exits ({@link RuntimeAdapter#outlivesEngine()}).
 *
 * <pre>{@code
 * runtime:
 *   type: kubernetes
 *   deployment: web          # the Deployment to supervise, or
 *   statefulSet: db          #   the StatefulSet (exactly one of the two)
 *   namespace: shop          # optional; default: the kubeconfig context's namespace, else "default"
 *   kubeconfig: /path        # optional; default: in-cluster config, then $KUBECONFIG, then ~/.kube/config
 *   context: prod            # optional; a context of the kubeconfig, default its current one
 *   restart: auto            # optional; auto (delete the one bad pod, else rollout restart) or rollout
 *   rolloutTimeout: 5m       # optional; how long start/stop/restart/rollback wait for the rollout, default 5m
 * }</pre>
 *
 * <ul>
 *   <li>{@code start} checks that the target exists and starts watching it and its pods; when aegis' {@code stop}
 *       scaled it to zero it scales it back to the replicas recorded in the {@code aegis.io/replicas} annotation and
 *       waits for them to be ready. {@code stop} scales it to zero and records the replicas.</li>
 *   <li>{@code restart} is {@code kubectl rollout restart} (the {@code kubectl.kubernetes.io/restartedAt} annotation
 *       on the pod template) and completes when the rollout has finished, as {@code kubectl rollout status} sees it;
 *       with {@code restart: auto}, when exactly one pod is bad (not ready, crash-looping, terminated) and the
 *       others are ready, it deletes that pod instead and completes when a replacement is ready.</li>
 *   <li>{@code rollback} is {@code kubectl rollout undo}, preferring the revision aegis last saw healthy: a
 *       Deployment's ReplicaSets, a StatefulSet's ControllerRevisions. That revision is kept in the service's state
 *       directory ({@value HealthyRevision#FILE}), so it survives a restart of aegis.</li>
 *   <li>{@code isolate} takes the worst pod out of its Services' selectors and labels it
 *       {@code aegis.io/isolated=true}; its ReplicaSet starts a replacement and the pod stays for debugging.</li>
 *   <li>Container terminations (crashes, OOM kills) come from a watch on the pods, at once.</li>
 * </ul>
 *
 * <p>One client per kubeconfig and context is shared by the services that use it and closed with the factory.
 */
public final class KubernetesRuntimeFactory implements RuntimeAdapterFactory {

    /** The {@code runtime.type:} this factory serves. */
    public static final String TYPE = "kubernetes";

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesRuntimeFactory.class);

    /** fabric8 retries a failing request 10 times by default, over a minute and a half; an operation cannot wait. */
    private static final int REQUEST_RETRIES = 2;

    private final Function<KubernetesSettings, Connection> connections;
    private final Clock clock;
    private final Map<String, KubernetesClient> clients = new LinkedHashMap<>();

    /**
     * A client and the namespace a service uses when its settings name none.
     *
     * @param client the client
     * @param defaultNamespace the context's namespace, else {@code default}
     */
    record Connection(KubernetesClient client, String defaultNamespace) {
    }

    /** Needed by {@link java.util.ServiceLoader}. */
    public KubernetesRuntimeFactory() {
        this.connections = this::connect;
        this.clock = Clock.systemUTC();
    }

    /** For tests: every service uses the client {@code connections} gives; the factory does not close it. */
    KubernetesRuntimeFactory(Function<KubernetesSettings, Connection> connections, Clock clock) {
        this.connections = connections;
        this.clock = clock;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public RuntimeAdapter create(RuntimeSpec spec) {
        KubernetesSettings settings = KubernetesSettings.from(spec.settings());
        Connection connection = connections.apply(settings);
        String namespace = settings.namespace().orElse(connection.defaultNamespace());
        String lastHealthy = lastHealthy(spec, settings, namespace);
        return new KubernetesRuntime(spec.serviceName(), settings, connection.client(), namespace, spec.listener(),
                spec.blockingExecutor(), clock, spec.stateDirectory(), lastHealthy);
    }

    /**
     * The revision an earlier aegis run saw healthy, from the service's state directory; null when there is none, or
     * (with a warning) when the record is unreadable or names another target: its revision means nothing for this one.
     */
    private static String lastHealthy(RuntimeSpec spec, KubernetesSettings settings, String namespace) {
        Path file = spec.stateDirectory().resolve(HealthyRevision.FILE);
        Optional<HealthyRevision> record;
        try {
            record = HealthyRevision.read(spec.stateDirectory());
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: ignoring {}: {}; rollback goes to the previous revision until aegis sees one healthy",
                    spec.serviceName(), file, e.getMessage());
            return null;
        }
        if (record.isEmpty()) {
            return null;
        }
        HealthyRevision found = record.get();
        if (!found.names(namespace, settings.kind().kubectlName, settings.name())) {
            LOG.warn("{}: ignoring {}: it records a healthy revision of {} {}/{}, not of the {} {}/{} the service runs"
                    + " now; rollback goes to the previous revision until aegis sees one healthy", spec.serviceName(),
                    file, found.kind(), found.namespace(), found.name(),
                    settings.kind().kubectlName, namespace, settings.name());
            return null;
        }
        LOG.debug("{}: {} {}/{} revision {} was healthy in an earlier aegis run", spec.serviceName(),
                found.kind(), found.namespace(), found.name(), found.revision());
        return found.revision();
    }

    private Connection connect(KubernetesSettings settings) {
        String key = settings.kubeconfig().map(Object::toString).orElse("") + "\u0000" + settings.context().orElse("");
        Config config = config(settings);
        synchronized (clients) {
            KubernetesClient client = clients.computeIfAbsent(key, k -> {
                LOG.debug("connecting to the Kubernetes API server at {}", config.getMasterUrl());
                return new KubernetesClientBuilder().withConfig(config).build();
            });
            String namespace = config.getNamespace() == null || config.getNamespace().isBlank() ? "default"
                    : config.getNamespace();
            return new Connection(client, namespace);
        }
    }

    /** Reads the kubeconfig (or the in-cluster config) without contacting the API server. */
    private static Config config(KubernetesSettings settings) {
        String context = settings.context().orElse(null);
        String keyPath = settings.targetKeyPath().substring(0, settings.targetKeyPath().lastIndexOf('.') + 1);
        Config config;
        try {
            config = settings.kubeconfig().isPresent()
                    ? Config.fromKubeconfig(context, settings.kubeconfig().get().toFile())
                    : Config.autoConfigure(context);
        } catch (RuntimeException e) {
            throw new ConfigException(keyPath + "kubeconfig", "cannot read the kubeconfig"
                    + settings.kubeconfig().map(p -> " " + p).orElse("") + " (" + summary(e) + "); fix it (kubectl"
                    + " config view" + settings.kubeconfig().map(p -> " --kubeconfig " + p).orElse("")
                    + " shows what is wrong) or give the file kubectl uses");
        }
        List<NamedContext> contexts = config.getContexts() == null ? List.of() : config.getContexts();
        if (context != null && !contexts.isEmpty() && contexts.stream().noneMatch(c -> context.equals(c.getName()))) {
            List<ConfigProblem> problems = new ArrayList<>();
            problems.add(new ConfigProblem(keyPath + "context", "no context \"" + context + "\" in the kubeconfig;"
                    + " it has " + contexts.stream().map(NamedContext::getName).collect(Collectors.joining(", "))));
            throw new ConfigException(problems);
        }
        config.setRequestRetryBackoffLimit(REQUEST_RETRIES);
        return config;
    }

    /**
     * The parser's complaint on one line, without the lines it quotes from the file: a kubeconfig holds tokens and
     * keys, which must not reach a log.
     */
    static String summary(Throwable failure) {
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        String text = message.lines().filter(line -> !line.startsWith("    ")).map(String::trim)
                .filter(line -> !line.isEmpty() && !line.equals("^")).collect(Collectors.joining(" "));
        return text.endsWith(":") ? text.substring(0, text.length() - 1) : text;
    }

    /** Closes the clients, and with them their connections and threads. */
    @Override
    public void close() {
        synchronized (clients) {
            for (KubernetesClient client : clients.values()) {
                try {
                    client.close();
                } catch (RuntimeException e) {
                    LOG.debug("closing a Kubernetes client failed: {}", e.toString());
                }
            }
            clients.clear();
        }
    }
}
