package io.aegis.runtimes.kubernetes;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.WorkloadListener;
import io.aegis.api.WorkloadStatus;
import io.aegis.plugin.support.DaemonThreadFactory;
import io.aegis.runtimes.kubernetes.KubernetesSettings.Kind;
import io.aegis.runtimes.kubernetes.KubernetesSettings.RestartMode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.RollableScalableResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One service run by Kubernetes as a Deployment or a StatefulSet (see {@link KubernetesRuntimeFactory}). Kubernetes
 * owns the workload, so aegis never scales it down when it exits ({@link #outlivesEngine()}).
 *
 * <p>Two watches keep what aegis knows current without polling: one on the target (its replicas, ready count and
 * revision make {@link #status()}, and the waits for a rollout to finish), one on its pods by the target's selector
 * (a container that terminates is reported to the {@link WorkloadListener} at once). Each is started again, after
 * a fresh list, when the API server closes it. API calls run on the engine's blocking executor; timeouts and
 * reconnects on one small scheduler thread.
 */
final class KubernetesRuntime implements RuntimeAdapter {

    /** Where {@code stop} records the replicas it scaled down from, so that {@code start} can scale back. */
    static final String REPLICAS_ANNOTATION = "aegis.io/replicas";
    static final String RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
    static final String ISOLATED_LABELS_ANNOTATION = "aegis.io/isolated-labels";
    static final String ISOLATED_AT_ANNOTATION = "aegis.io/isolated-at";

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesRuntime.class);
    private static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(30);

    private final String service;
    private final KubernetesSettings settings;
    private final KubernetesClient client;
    private final String namespace;
    private final WorkloadListener listener;
    private final Executor executor;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final String server;
    private final String what;
    private final Path stateDirectory;

    private final Object lock = new Object();
    private final ContainerTerminations terminations = new ContainerTerminations();
    private final Map<String, Pod> pods = new ConcurrentHashMap<>();
    private final List<Waiter> waiters = new CopyOnWriteArrayList<>();
    private volatile HasMetadata target;
    private volatile WorkloadStatus status;
    private volatile String lastHealthy;
    /** Whether {@link #lastHealthy} changed since it was last written to the state directory. */
    private final AtomicBoolean lastHealthyUnsaved = new AtomicBoolean();
    private final Object recordLock = new Object();
    private volatile boolean closed;
    private Watch targetWatch;
    private Watch podWatch;
    private boolean watching;
    private Duration reconnectDelay = Duration.ofSeconds(1);

    /**
     * A rollout (or scale, or pod replacement) an operation waits for: done, or failed when the cluster says it will
     * not finish ({@code failure} gives why, else null).
     */
    private record Waiter(Predicate<HasMetadata> done, Function<HasMetadata, String> failure,
            CompletableFuture<Void> future) {
    }

    /**
     * @param lastHealthy the revision an earlier aegis run saw healthy (from {@link HealthyRevision}), else null
     */
    KubernetesRuntime(String service, KubernetesSettings settings, KubernetesClient client, String namespace,
            WorkloadListener listener, Executor executor, Clock clock, Path stateDirectory, String lastHealthy) {
        this.service = service;
        this.settings = settings;
        this.client = client;
        this.namespace = namespace;
        this.listener = listener;
        this.executor = executor;
        this.clock = clock;
        this.server = String.valueOf(client.getMasterUrl());
        this.what = settings.kind().kubectlName + " " + namespace + "/" + settings.name();
        this.stateDirectory = stateDirectory;
        this.lastHealthy = lastHealthy;
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1,
                new DaemonThreadFactory("aegis-k8s-" + service));
        pool.setRemoveOnCancelPolicy(true);
        this.scheduler = pool;
        this.status = WorkloadStatus.unknown(what + " not read from the cluster yet").withId(id());
    }

    private String id() {
        return namespace + "/" + settings.name();
    }

    // ---- operations --------------------------------------------------------------------------------

    /**
     * Checks that the target exists and starts the watches; scales it back to the replicas {@link #stop()} recorded
     * when aegis scaled it to zero, and then waits for them to be ready. A target at zero replicas that aegis did not
     * scale down is refused: a person or an autoscaler did that, and aegis does not overrule them.
     */
    @Override
    public CompletionStage<Void> start() {
        return call("get " + what, () -> {
            HasMetadata current = readTarget();
            startWatching(current);
            return desired(current) > 0 ? CompletableFuture.<Void>completedFuture(null) : scaleBack(current);
        });
    }

    /** Scales a target at zero replicas back to what {@link #stop()} recorded, and waits for them to be ready. */
    private CompletableFuture<Void> scaleBack(HasMetadata current) {
        String recorded = annotation(current.getMetadata(), REPLICAS_ANNOTATION);
        if (recorded == null) {
            throw new KubernetesOperationException("service " + service + ": " + what + " is scaled to 0"
                    + " replicas and aegis did not scale it down; scale it up yourself (kubectl scale "
                    + settings.kind().kubectlName + "/" + settings.name() + " -n " + namespace + " --replicas=N)"
                    + " if it should run");
        }
        int restore = parseReplicas(recorded);
        String patch = json(List.of(
                op("replace", "/spec/replicas", restore),
                remove("/metadata/annotations/" + escape(REPLICAS_ANNOTATION))));
        HasMetadata patched = patchTarget(PatchType.JSON, patch);
        LOG.info("{}: scaled {} back to {} replicas", service, what, restore);
        return awaitTarget(patched, t -> readyReplicas(t) >= restore,
                () -> "scale " + what + " back to " + restore + " replicas");
    }

    /** Scales the target to zero, recording its replicas in the {@value #REPLICAS_ANNOTATION} annotation. */
    @Override
    public CompletionStage<Void> stop() {
        return call("scale " + what + " to 0", () -> {
            HasMetadata current = readTarget();
            startWatching(current);
            int replicas = desired(current);
            if (replicas == 0) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            List<Map<String, Object>> ops = new ArrayList<>(annotate(current.getMetadata(),
                    Map.of(REPLICAS_ANNOTATION, String.valueOf(replicas))));
            ops.add(op("replace", "/spec/replicas", 0));
            HasMetadata patched = patchTarget(PatchType.JSON, json(ops));
            LOG.info("{}: scaled {} from {} replicas to 0 (start scales it back)", service, what, replicas);
            return awaitTarget(patched, t -> observedReplicas(t) == 0, () -> "scale " + what + " to 0");
        });
    }

    /**
     * With {@code restart: auto}, deletes the one bad pod when exactly one is bad and at least one other is ready,
     * and waits for a replacement to be ready; otherwise {@code kubectl rollout restart} (the restartedAt annotation
     * on the pod template, as a JSON merge patch) and waits for the rollout to finish, like
     * {@code kubectl rollout status}.
     */
    @Override
    public CompletionStage<Void> restart() {
        return call("restart " + what, () -> {
            HasMetadata current = readTarget();
            startWatching(current);
            if (desired(current) == 0) {
                // stopped by aegis (Engine.stop, then a reset): a rollout of zero pods would start nothing
                return scaleBack(current);
            }
            if (settings.restart() == RestartMode.AUTO) {
                List<Pod> candidates = candidatePods(current);
                List<Pod> bad = candidates.stream().filter(p -> PodHealth.trouble(p).isPresent()).toList();
                long ready = candidates.stream().filter(PodHealth::ready).count();
                if (bad.size() == 1 && ready >= 1 && ready == candidates.size() - 1) {
                    Optional<String> unschedulable = PodHealth.unschedulable(bad.get(0));
                    if (unschedulable.isPresent()) {
                        // its replacement (or a rollout's new pods) would wait for a node just the same
                        throw new KubernetesOperationException("service " + service + ": cannot restart " + what
                                + ": its bad pod " + namespace + "/" + bad.get(0).getMetadata().getName()
                                + " is Pending because no node can take it (" + unschedulable.get() + "); a new pod"
                                + " would wait the same way, so free capacity in the cluster or lower the pod's"
                                + " resource requests");
                    }
                    return deleteBadPod(bad.get(0), candidates);
                }
            }
            if (current instanceof Deployment deployment && Boolean.TRUE.equals(deployment.getSpec().getPaused())) {
                throw new KubernetesOperationException("service " + service + ": cannot restart " + what + ": it is"
                        + " paused; resume it first (kubectl rollout resume deployment/" + settings.name() + " -n "
                        + namespace + ")");
            }
            if (onDelete(current)) {
                // the StatefulSet controller gives a pod the new template only when the pod is deleted: the patch
                // would restart nothing and the wait would last until the rollout timeout
                throw new KubernetesOperationException("service " + service + ": cannot restart " + what + " by a"
                        + " rollout: its spec.updateStrategy is OnDelete, so Kubernetes replaces a pod only when it"
                        + " is deleted; delete its pods yourself (kubectl delete pod -n " + namespace + " <pod>) or"
                        + " switch it to the RollingUpdate strategy");
            }
            String at = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
            String patch = json(Map.of("spec", Map.of("template", Map.of("metadata",
                    Map.of("annotations", Map.of(RESTARTED_AT, at))))));
            HasMetadata patched = patchTarget(PatchType.JSON_MERGE, patch);
            LOG.info("{}: rollout restart of {} (restartedAt {})", service, what, at);
            return awaitTarget(patched, rolledOut(generation(patched)), () -> "restart " + what);
        });
    }

    private CompletableFuture<Void> deleteBadPod(Pod bad, List<Pod> before) {
        String pod = bad.getMetadata().getName();
        String why = PodHealth.trouble(bad).orElse("bad");
        Set<String> old = new java.util.HashSet<>();
        before.forEach(p -> old.add(p.getMetadata().getUid()));
        client.pods().inNamespace(namespace).withName(pod).delete();
        LOG.info("{}: deleted pod {}/{} ({}); its {} starts a replacement", service, namespace, pod, why,
                settings.kind() == Kind.DEPLOYMENT ? "ReplicaSet" : "StatefulSet");
        // A replacement is a new object (a new UID): a StatefulSet recreates the pod under the same name.
        return await(t -> pods.values().stream().anyMatch(p -> PodHealth.ready(p) && !PodHealth.terminating(p)
                && !old.contains(p.getMetadata().getUid())), t -> null,
                () -> "replace pod " + namespace + "/" + pod + " of " + what);
    }

    /**
     * {@code kubectl rollout undo}, preferring the revision aegis last saw healthy (see {@link RolloutHistory}); waits
     * for the rollout to finish.
     */
    @Override
    public CompletionStage<Void> rollback() {
        String healthy = lastHealthy;
        return call("roll back " + what, () -> {
            HasMetadata current = readTarget();
            startWatching(current);
            List<RolloutHistory.Revision> history;
            Predicate<RolloutHistory.Revision> wasHealthy;
            PodTemplateSpec running;
            if (current instanceof Deployment deployment) {
                if (Boolean.TRUE.equals(deployment.getSpec().getPaused())) {
                    throw new KubernetesOperationException("service " + service + ": cannot roll back " + what
                            + ": it is paused; resume it first (kubectl rollout resume deployment/" + settings.name()
                            + " -n " + namespace + ")");
                }
                history = RolloutHistory.owned(deployment, client.apps().replicaSets().inNamespace(namespace)
                        .withLabelSelector(deployment.getSpec().getSelector()).list().getItems());
                wasHealthy = r -> RolloutHistory.wasRevision(r, healthy);
                running = deployment.getSpec().getTemplate();
            } else {
                StatefulSet set = (StatefulSet) current;
                history = RolloutHistory.owned(set, client.apps().controllerRevisions().inNamespace(namespace)
                        .withLabelSelector(set.getSpec().getSelector()).list().getItems(),
                        client.getKubernetesSerialization());
                wasHealthy = r -> r.name().equals(healthy);
                running = set.getSpec().getTemplate();
            }
            RolloutHistory.Choice choice = RolloutHistory.choose(history, wasHealthy).orElseThrow(() ->
                    new KubernetesOperationException("service " + service + ": cannot roll back " + what + ": it has"
                            + " no earlier revision to go back to (revisions in its history: "
                            + (history.isEmpty() ? "none" : RolloutHistory.revisions(history)) + ")"));
            RolloutHistory.Revision target = choice.revision();
            if (RolloutHistory.sameTemplate(running, target.template())) {
                throw new KubernetesOperationException("service " + service + ": cannot roll back " + what + ": it"
                        + " already runs the template of revision " + target.number() + " (" + choice.why()
                        + "), so a rollback would change nothing");
            }
            List<Map<String, Object>> ops = new ArrayList<>();
            ops.add(op("replace", "/spec/template", target.template()));
            if (current instanceof Deployment deployment) {
                boolean none = deployment.getMetadata().getAnnotations() == null
                        || deployment.getMetadata().getAnnotations().isEmpty();
                ops.add(op(none ? "add" : "replace", "/metadata/annotations",
                        RolloutHistory.annotations(deployment, target)));
            }
            HasMetadata patched = patchTarget(PatchType.JSON, json(ops));
            LOG.warn("{}: rolled {} back from revision {} to revision {} ({}, {})", service, what,
                    history.get(0).number(), target.number(), choice.why(), target.name());
            if (patched instanceof StatefulSet) {
                deleteBrokenPods(current, target.name());
            }
            if (onDelete(patched)) {
                LOG.warn("{}: {} uses the OnDelete update strategy: its pods take the template of revision {} only"
                        + " when they are deleted (kubectl delete pod -n {} <pod>)", service, what, target.number(),
                        namespace);
            }
            return awaitTarget(patched, rolledOut(generation(patched)), () -> "roll back " + what);
        });
    }

    /**
     * A StatefulSet's forced rollback (Kubernetes' StatefulSet documentation): the controller waits, forever, for a
     * pod of the bad revision that never becomes ready before it moves on, so reverting the template alone would
     * not finish. Deletes the pods that run another revision than {@code revision} and are in trouble; the
     * controller recreates them from the reverted template. Healthy pods are left to the rolling update.
     */
    private void deleteBrokenPods(HasMetadata current, String revision) {
        for (Pod pod : candidatePods(current)) {
            Map<String, String> labels = pod.getMetadata().getLabels();
            String runs = labels == null ? null : labels.get("controller-revision-hash");
            Optional<String> trouble = PodHealth.trouble(pod);
            if (runs != null && !runs.equals(revision) && trouble.isPresent()) {
                client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).delete();
                LOG.warn("{}: deleted pod {}/{} of revision {} ({}): a StatefulSet does not replace a broken pod by"
                        + " itself after a rollback", service, namespace, pod.getMetadata().getName(), runs,
                        trouble.get());
            }
        }
    }

    /**
     * Takes the worst pod out of traffic and out of its ReplicaSet: removes, from the pod, the labels its Services
     * select on (one per Service, preferring one the target's selector also uses, so that the ReplicaSet releases
     * the pod and starts a replacement), and labels it {@code aegis.io/isolated=true}. The pod keeps running for
     * debugging; the removed labels are kept in the {@value #ISOLATED_LABELS_ANNOTATION} annotation.
     */
    @Override
    public CompletionStage<Void> isolate() {
        return call("isolate a pod of " + what, () -> {
            HasMetadata current = readTarget();
            startWatching(current);
            List<Pod> all = candidatePods(current);
            // A pod no node can take serves no traffic, and its replacement would wait too; isolating a good pod
            // instead would take capacity out of traffic for a replacement that cannot be scheduled either.
            List<Pod> waiting = all.stream().filter(p -> PodHealth.unschedulable(p).isPresent()).toList();
            List<Pod> candidates = all.stream().filter(p -> !waiting.contains(p)).toList();
            List<Pod> bad = candidates.stream().filter(p -> PodHealth.trouble(p).isPresent())
                    .sorted(PodHealth.WORST_FIRST).toList();
            if (bad.isEmpty() && !waiting.isEmpty()) {
                Pod pending = waiting.get(0);
                throw new KubernetesOperationException("service " + service + ": cannot isolate a pod of " + what
                        + ": its bad pod " + namespace + "/" + pending.getMetadata().getName() + " is Pending because"
                        + " no node can take it (" + PodHealth.unschedulable(pending).orElseThrow() + "), so it"
                        + " serves no traffic and a replacement would wait the same way; free capacity in the cluster"
                        + " or lower the pod's resource requests");
            }
            Pod pod = (bad.isEmpty() ? candidates.stream().sorted(PodHealth.WORST_FIRST).toList() : bad).stream()
                    .findFirst().orElseThrow(() -> new KubernetesOperationException("service " + service
                            + ": cannot isolate a pod of " + what + ": it has no running pod that is not isolated"
                            + " already"));
            String why = PodHealth.trouble(pod).orElse("no pod stands out; this one has the most restarts ("
                    + PodHealth.restarts(pod) + ") or is the oldest");
            List<Service> services = client.services().inNamespace(namespace).list().getItems();
            PodIsolation.Plan plan = PodIsolation.plan(pod, services, selectorLabels(current));
            if (plan.removed().isEmpty()) {
                throw new KubernetesOperationException("service " + service + ": cannot isolate pod " + namespace
                        + "/" + pod.getMetadata().getName() + ": " + plan.because() + ", so no label takes it out of"
                        + " traffic");
            }
            String patch = json(PodIsolation.patch(pod, plan, Instant.now(clock).truncatedTo(ChronoUnit.SECONDS)));
            client.pods().inNamespace(namespace).withName(pod.getMetadata().getName())
                    .patch(PatchContext.of(PatchType.JSON), patch);
            LOG.warn("{}: isolated pod {}/{} ({}): removed labels {} ({}) and labelled it {}=true; it keeps running"
                    + " for debugging (kubectl delete pod -n {} -l {}=true removes it)", service, namespace,
                    pod.getMetadata().getName(), why, plan.removed(), plan.because(), PodHealth.ISOLATED_LABEL,
                    namespace, PodHealth.ISOLATED_LABEL);
            return CompletableFuture.<Void>completedFuture(null);
        });
    }

    @Override
    public CompletionStage<WorkloadStatus> status() {
        return CompletableFuture.completedFuture(status);
    }

    /**
     * Records the revision running now (a Deployment's revision number once its rollout has finished, a
     * StatefulSet's current ControllerRevision) as the one a rollback goes back to; reads the watch's cache, no I/O:
     * a change is written to the state directory on the blocking executor, so that the next aegis run knows it too.
     */
    @Override
    public void workloadHealthy() {
        HasMetadata current = target;
        String running = null;
        if (current instanceof Deployment deployment && !rolledOut(generation(deployment)).test(deployment)) {
            // mid-rollout the Deployment already names the new revision while the old pods still serve (and pass
            // the checks): that revision has not proven itself yet
            return;
        }
        if (current instanceof Deployment deployment) {
            long revision = RolloutHistory.revision(deployment.getMetadata());
            running = revision > 0 ? String.valueOf(revision) : null;
        } else if (current instanceof StatefulSet set && set.getStatus() != null) {
            running = set.getStatus().getCurrentRevision();
        }
        if (running != null && !running.equals(lastHealthy)) {
            lastHealthy = running;
            LOG.debug("{}: {} revision {} is healthy", service, what, running);
            if (!closed && lastHealthyUnsaved.compareAndSet(false, true)) {
                try {
                    executor.execute(this::saveLastHealthy);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // shutting down: close() writes it
                }
            }
        }
    }

    /**
     * Writes the latest {@link #lastHealthy} (not the one that scheduled the write: writes may run out of order on the
     * executor, and one write covers the changes made while it waited).
     */
    private void saveLastHealthy() {
        synchronized (recordLock) {
            if (!lastHealthyUnsaved.getAndSet(false)) {
                return;
            }
            String revision = lastHealthy;
            try {
                new HealthyRevision(namespace, settings.kind().kubectlName, settings.name(), revision)
                        .write(stateDirectory);
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: cannot write {} in {} ({}); the next aegis run will not know that {} revision {} was"
                        + " healthy", service, HealthyRevision.FILE, stateDirectory, e.getMessage(), what, revision);
            }
        }
    }

    /** The revision {@link #workloadHealthy()} recorded last; for tests. */
    Optional<String> lastHealthy() {
        return Optional.ofNullable(lastHealthy);
    }

    @Override
    public boolean outlivesEngine() {
        return true;
    }

    /** The rollout wait, plus time for the API calls around it. */
    @Override
    public Duration operationTimeout() {
        return settings.rolloutTimeout().plusSeconds(30);
    }

    /** All five. */
    @Override
    public Set<RuntimeOperation> supportedOperations() {
        return EnumSet.allOf(RuntimeOperation.class);
    }

    /**
     * Closes the watches and the scheduler and fails what still waits; the shared client is the factory's. Writes the
     * last healthy revision if its write has not run yet (the executor may not run it any more).
     */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            closeQuietly(targetWatch);
            closeQuietly(podWatch);
            targetWatch = null;
            podWatch = null;
        }
        saveLastHealthy();
        scheduler.shutdownNow();
        for (Waiter waiter : waiters) {
            waiter.future().completeExceptionally(new KubernetesOperationException("service " + service
                    + ": aegis stopped supervising " + what + " before the operation finished"));
        }
        waiters.clear();
    }

    // ---- the watches -------------------------------------------------------------------------------

    private void startWatching(HasMetadata current) {
        synchronized (lock) {
            if (closed || watching) {
                updateTarget(current);
                return;
            }
            watching = true;
        }
        try {
            updateTarget(current);
            watchTarget(current.getMetadata().getResourceVersion());
            watchPods(current, true);
        } catch (RuntimeException e) {
            synchronized (lock) {
                watching = false;
                closeQuietly(targetWatch);
                targetWatch = null;
            }
            throw e;
        }
    }

    private void watchTarget(String resourceVersion) {
        Watcher<HasMetadata> watcher = new Watcher<>() {
            @Override
            public void eventReceived(Action action, HasMetadata object) {
                if (action == Action.DELETED) {
                    target = null;
                    status = WorkloadStatus.exited(what + " was deleted from the cluster").withId(id());
                    LOG.warn("{}: {} was deleted from the cluster", service, what);
                } else if (action != Action.ERROR && action != Action.BOOKMARK) {
                    updateTarget(object);
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                LOG.debug("{}: the watch on {} closed: {}", service, what, cause.getMessage());
                reconnect(() -> {
                    HasMetadata current = readTarget();
                    updateTarget(current);
                    watchTarget(current.getMetadata().getResourceVersion());
                });
            }
        };
        Watch watch = targetWatchable(resourceVersion, watcher);
        synchronized (lock) {
            if (closed) {
                closeQuietly(watch);
                return;
            }
            targetWatch = watch;
        }
    }

    @SuppressWarnings("unchecked")
    private Watch targetWatchable(String resourceVersion, Watcher<HasMetadata> watcher) {
        var options = new ListOptionsBuilder().withResourceVersion(resourceVersion).build();
        if (settings.kind() == Kind.DEPLOYMENT) {
            Watcher<Deployment> typed = (Watcher<Deployment>) (Watcher<?>) watcher;
            return client.apps().deployments().inNamespace(namespace).withName(settings.name()).watch(options, typed);
        }
        Watcher<StatefulSet> typed = (Watcher<StatefulSet>) (Watcher<?>) watcher;
        return client.apps().statefulSets().inNamespace(namespace).withName(settings.name()).watch(options, typed);
    }

    /**
     * Lists the pods (comparing them with what was known, so a crash while no watch was open is still reported,
     * except on the first list, which is history) and watches them from the list's resource version.
     */
    private void watchPods(HasMetadata current, boolean first) {
        LabelSelector selector = selector(current);
        PodList list = client.pods().inNamespace(namespace).withLabelSelector(selector).list();
        Set<String> listed = new java.util.HashSet<>();
        for (Pod pod : list.getItems()) {
            listed.add(pod.getMetadata().getName());
            podChanged(pod, first);
        }
        for (String gone : new ArrayList<>(pods.keySet())) {
            if (!listed.contains(gone)) {
                podGone(gone);
            }
        }
        Watcher<Pod> watcher = new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod pod) {
                switch (action) {
                    case ADDED, MODIFIED -> podChanged(pod, false);
                    case DELETED -> podGone(pod.getMetadata().getName());
                    default -> {
                    }
                }
                reconnectDelay = Duration.ofSeconds(1);
            }

            @Override
            public void onClose(WatcherException cause) {
                LOG.debug("{}: the watch on the pods of {} closed: {}", service, what, cause.getMessage());
                reconnect(() -> watchPods(readTarget(), false));
            }
        };
        Watch watch = client.pods().inNamespace(namespace).withLabelSelector(selector)
                .watch(new ListOptionsBuilder().withResourceVersion(list.getMetadata().getResourceVersion()).build(),
                        watcher);
        synchronized (lock) {
            if (closed) {
                closeQuietly(watch);
                return;
            }
            podWatch = watch;
        }
    }

    private void podChanged(Pod pod, boolean rememberOnly) {
        pods.put(pod.getMetadata().getName(), pod);
        List<WorkloadStatus> exits;
        synchronized (terminations) {
            exits = terminations.update(pod, rememberOnly);
        }
        for (WorkloadStatus exit : exits) {
            LOG.warn("{}: {}", service, exit.description());
            try {
                listener.workloadExited(exit);
            } catch (RuntimeException e) {
                LOG.warn("{}: the workload listener failed: {}", service, e.toString());
            }
        }
        checkWaiters();
    }

    private void podGone(String name) {
        pods.remove(name);
        synchronized (terminations) {
            terminations.forget(name);
        }
        checkWaiters();
    }

    /** Starts a closed watch again after a delay that doubles up to 30 s while the API server cannot be reached. */
    private void reconnect(Runnable again) {
        if (closed) {
            return;
        }
        Duration delay = reconnectDelay;
        reconnectDelay = delay.multipliedBy(2).compareTo(MAX_RECONNECT_DELAY) > 0 ? MAX_RECONNECT_DELAY
                : delay.multipliedBy(2);
        try {
            scheduler.schedule(() -> executor.execute(() -> {
                if (closed) {
                    return;
                }
                try {
                    again.run();
                    LOG.debug("{}: watching {} again", service, what);
                } catch (RuntimeException e) {
                    LOG.warn("{}: {}", service, ApiErrors.describe(service, settings.keyPath(""), "watch " + what,
                            resource(), namespace,
                            server, e).getMessage());
                    reconnect(again);
                }
            }), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void updateTarget(HasMetadata current) {
        if (current == null) {
            return;
        }
        target = current;
        int desired = desired(current);
        int ready = readyReplicas(current);
        String revision = version(current);
        WorkloadStatus next = desired == 0
                ? WorkloadStatus.stopped()
                : WorkloadStatus.running(what + ": " + ready + " of " + desired + " ready");
        next = next.withId(id()).withInstances(desired, Math.max(0, ready));
        if (revision != null) {
            next = next.withVersion(revision);
        }
        status = next;
        checkWaiters();
    }

    // ---- waiting for the cluster -------------------------------------------------------------------

    private CompletableFuture<Void> awaitTarget(HasMetadata patched, Predicate<HasMetadata> done,
            Supplier<String> doing) {
        updateTarget(patched);
        DeploymentCondition before = deadlineExceeded(patched);
        return await(done, t -> stalled(t, before, doing), doing);
    }

    private CompletableFuture<Void> await(Predicate<HasMetadata> done, Function<HasMetadata, String> gaveUp,
            Supplier<String> doing) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        Waiter waiter = new Waiter(done, gaveUp, future);
        waiters.add(waiter);
        future.whenComplete((ignored, failure) -> waiters.remove(waiter));
        try {
            scheduler.schedule(() -> future.completeExceptionally(new KubernetesOperationException("service "
                    + service + ": " + doing.get() + " did not finish within " + settings.rolloutTimeout()
                    .toString().substring(2).toLowerCase(java.util.Locale.ROOT) + " (" + status.description()
                    + "); see kubectl rollout status " + settings.kind().kubectlName + "/" + settings.name() + " -n "
                    + namespace + ", or raise " + settings.keyPath("rolloutTimeout"))),
                    settings.rolloutTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            future.completeExceptionally(new KubernetesOperationException("service " + service + ": aegis stopped"
                    + " supervising " + what));
        }
        checkWaiters();
        return future;
    }

    private void checkWaiters() {
        HasMetadata current = target;
        for (Waiter waiter : waiters) {
            if (current != null && waiter.done().test(current)) {
                waiter.future().complete(null);
            } else if (current != null) {
                String failure = waiter.failure().apply(current);
                if (failure != null) {
                    waiter.future().completeExceptionally(new KubernetesOperationException(failure));
                }
            }
        }
    }

    /**
     * Why the Deployment's rollout will not finish by itself: its controller, having seen the latest spec, marked it
     * {@code Progressing=False} with reason {@code ProgressDeadlineExceeded} (kubectl rollout status fails on that
     * too). Waiting out the rollout timeout would only delay the engine's next step. Null while it may still finish.
     */
    private String stalled(HasMetadata t, DeploymentCondition before, Supplier<String> doing) {
        if (!(t instanceof Deployment d) || value(d.getStatus() == null ? null
                : d.getStatus().getObservedGeneration()) < generation(d)) {
            return null;
        }
        // The condition the operation found is no verdict on it: the controller keeps a timed-out condition as it is
        // (same times) until the new rollout makes progress, also in the sync that observes the new generation.
        return Optional.ofNullable(deadlineExceeded(d))
                .filter(c -> before == null || !Objects.equals(c.getLastUpdateTime(), before.getLastUpdateTime())
                        || !Objects.equals(c.getLastTransitionTime(), before.getLastTransitionTime()))
                .map(c -> "service " + service + ": " + doing.get() + " failed: Kubernetes gave up on the rollout,"
                        + " which exceeded its progress deadline (spec.progressDeadlineSeconds"
                        + (d.getSpec().getProgressDeadlineSeconds() == null ? "" : " = "
                                + d.getSpec().getProgressDeadlineSeconds() + "s")
                        + (c.getMessage() == null ? "" : "; " + c.getMessage()) + "); see kubectl describe pods -n "
                        + namespace + " for the pods that do not become ready")
                .orElse(null);
    }

    /** The Deployment's {@code Progressing} condition if its reason is {@code ProgressDeadlineExceeded}, else null. */
    private static DeploymentCondition deadlineExceeded(HasMetadata t) {
        if (!(t instanceof Deployment d) || d.getStatus() == null || d.getStatus().getConditions() == null) {
            return null;
        }
        return d.getStatus().getConditions().stream()
                .filter(c -> "Progressing".equals(c.getType()) && "ProgressDeadlineExceeded".equals(c.getReason()))
                .findFirst().orElse(null);
    }

    /** {@code kubectl rollout status}: the controller saw the change, and every replica is updated and available. */
    private static Predicate<HasMetadata> rolledOut(long generation) {
        return t -> {
            if (t instanceof Deployment d) {
                var s = d.getStatus();
                int replicas = desired(d);
                return s != null && value(s.getObservedGeneration()) >= Math.max(generation, generation(d))
                        && value(s.getUpdatedReplicas()) >= replicas && value(s.getReplicas()) <= value(
                        s.getUpdatedReplicas()) && value(s.getAvailableReplicas()) >= value(s.getUpdatedReplicas());
            }
            return statefulSetRolledOut((StatefulSet) t, generation);
        };
    }

    /**
     * kubectl's {@code StatefulSetStatusViewer}: the controller saw the change and every replica is ready; with a
     * rolling update, the replicas from the partition up are updated (a partition keeps the ones below on the old
     * revision on purpose, so waiting for all of them would never end), without one (as the mock stores it), the
     * current revision is the update revision.
     */
    private static boolean statefulSetRolledOut(StatefulSet set, long generation) {
        var s = set.getStatus();
        int replicas = desired(set);
        if (s == null || value(s.getObservedGeneration()) == 0
                || value(s.getObservedGeneration()) < Math.max(generation, generation(set))
                || value(s.getReadyReplicas()) < replicas) {
            return false;
        }
        var strategy = set.getSpec().getUpdateStrategy();
        if (onDelete(set)) {
            return true; // no rollout follows: the controller has recorded the new revision, pods take it when deleted
        }
        if (strategy != null && strategy.getRollingUpdate() != null) {
            int partition = value(strategy.getRollingUpdate().getPartition());
            return value(s.getUpdatedReplicas()) >= replicas - partition;
        }
        return java.util.Objects.equals(s.getCurrentRevision(), s.getUpdateRevision());
    }

    /** Whether the target is a StatefulSet whose pods take a new template only when deleted. */
    private static boolean onDelete(HasMetadata t) {
        return t instanceof StatefulSet set && set.getSpec().getUpdateStrategy() != null
                && "OnDelete".equals(set.getSpec().getUpdateStrategy().getType());
    }

    // ---- reading and writing the target ------------------------------------------------------------

    private HasMetadata readTarget() {
        HasMetadata current = settings.kind() == Kind.DEPLOYMENT
                ? client.apps().deployments().inNamespace(namespace).withName(settings.name()).get()
                : client.apps().statefulSets().inNamespace(namespace).withName(settings.name()).get();
        if (current == null) {
            throw new KubernetesOperationException("service " + service + ": " + what + " does not exist in the"
                    + " cluster at " + server + "; check " + settings.namespaceKeyPath() + " and "
                    + settings.targetKeyPath());
        }
        return current;
    }

    private HasMetadata patchTarget(PatchType type, String patch) {
        RollableScalableResource<? extends HasMetadata> resource = settings.kind() == Kind.DEPLOYMENT
                ? client.apps().deployments().inNamespace(namespace).withName(settings.name())
                : client.apps().statefulSets().inNamespace(namespace).withName(settings.name());
        return resource.patch(PatchContext.of(type), patch);
    }

    /** The target's pods that aegis may act on: not on their way out, not isolated already. */
    private List<Pod> candidatePods(HasMetadata current) {
        return client.pods().inNamespace(namespace).withLabelSelector(selector(current)).list().getItems().stream()
                .filter(p -> !PodHealth.terminating(p) && !PodHealth.isolated(p)).toList();
    }

    private static LabelSelector selector(HasMetadata current) {
        return current instanceof Deployment d ? d.getSpec().getSelector()
                : ((StatefulSet) current).getSpec().getSelector();
    }

    private static Map<String, String> selectorLabels(HasMetadata current) {
        LabelSelector selector = selector(current);
        return selector == null || selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
    }

    private static int desired(HasMetadata t) {
        Integer replicas = t instanceof Deployment d ? d.getSpec().getReplicas() : ((StatefulSet) t).getSpec()
                .getReplicas();
        return replicas == null ? 1 : replicas; // the API server's default
    }

    private static int readyReplicas(HasMetadata t) {
        Integer ready = t instanceof Deployment d ? d.getStatus() == null ? null : d.getStatus().getReadyReplicas()
                : ((StatefulSet) t).getStatus() == null ? null : ((StatefulSet) t).getStatus().getReadyReplicas();
        return value(ready);
    }

    private static int observedReplicas(HasMetadata t) {
        Integer replicas = t instanceof Deployment d ? d.getStatus() == null ? null : d.getStatus().getReplicas()
                : ((StatefulSet) t).getStatus() == null ? null : ((StatefulSet) t).getStatus().getReplicas();
        return value(replicas);
    }

    /** A Deployment's revision, or a StatefulSet's current ControllerRevision name. */
    private static String version(HasMetadata t) {
        if (t instanceof Deployment d) {
            long revision = RolloutHistory.revision(d.getMetadata());
            return revision > 0 ? "revision " + revision : null;
        }
        StatefulSet set = (StatefulSet) t;
        return set.getStatus() == null ? null : set.getStatus().getCurrentRevision();
    }

    private static long generation(HasMetadata t) {
        return t.getMetadata().getGeneration() == null ? 0 : t.getMetadata().getGeneration();
    }

    private static int value(Integer value) {
        return value == null ? 0 : value;
    }

    private static long value(Long value) {
        return value == null ? 0 : value;
    }

    private int parseReplicas(String recorded) {
        try {
            int replicas = Integer.parseInt(recorded.trim());
            if (replicas > 0) {
                return replicas;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new KubernetesOperationException("service " + service + ": " + what + " is scaled to 0 and its "
                + REPLICAS_ANNOTATION + " annotation (\"" + recorded + "\") is not a replica count; scale it up"
                + " yourself (kubectl scale " + settings.kind().kubectlName + "/" + settings.name() + " -n "
                + namespace + " --replicas=N)");
    }

    private static String annotation(ObjectMeta meta, String key) {
        return meta.getAnnotations() == null ? null : meta.getAnnotations().get(key);
    }

    /** JSON patch operations that set annotations, creating the map when the object has none. */
    static List<Map<String, Object>> annotate(ObjectMeta meta, Map<String, String> annotations) {
        // fabric8 reads an absent map as an empty one; a JSON patch cannot add a key under a missing parent
        if (meta.getAnnotations() == null || meta.getAnnotations().isEmpty()) {
            return List.of(op("add", "/metadata/annotations", new LinkedHashMap<>(annotations)));
        }
        List<Map<String, Object>> ops = new ArrayList<>();
        annotations.forEach((key, value) -> ops.add(op("add", "/metadata/annotations/" + escape(key), value)));
        return ops;
    }

    static Map<String, Object> op(String op, String path, Object value) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("op", op);
        result.put("path", path);
        result.put("value", value);
        return result;
    }

    static Map<String, Object> remove(String path) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("op", "remove");
        result.put("path", path);
        return result;
    }

    /** A JSON pointer token (RFC 6901): {@code aegis.io/replicas} becomes {@code aegis.io~1replicas}. */
    static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private String json(Object value) {
        return client.getKubernetesSerialization().asJson(value);
    }

    private String resource() {
        return settings.kind() == Kind.DEPLOYMENT ? "deployments" : "statefulsets";
    }

    /**
     * Runs {@code step} on the blocking executor and turns any failure into a sentence (see {@link ApiErrors}); the
     * stage completes when the future {@code step} returns does.
     */
    private CompletionStage<Void> call(String doing, Supplier<CompletableFuture<Void>> step) {
        if (closed) {
            return CompletableFuture.failedFuture(new KubernetesOperationException("service " + service
                    + ": aegis no longer supervises " + what));
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    step.get().whenComplete((ignored, failure) -> {
                        if (failure == null) {
                            result.complete(null);
                        } else {
                            result.completeExceptionally(failure);
                        }
                    });
                } catch (RuntimeException e) {
                    LOG.debug("{}: cannot {}", service, doing, e);
                    result.completeExceptionally(ApiErrors.describe(service, settings.keyPath(""), doing,
                            resourceOf(e), namespace, server,
                            e));
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            result.completeExceptionally(new KubernetesOperationException("service " + service + ": aegis is shutting"
                    + " down; cannot " + doing));
        }
        return result;
    }

    private String resourceOf(RuntimeException e) {
        if (e instanceof io.fabric8.kubernetes.client.KubernetesClientException kce
                && kce.getResourcePlural() != null) {
            return kce.getResourcePlural();
        }
        return resource();
    }

    private static void closeQuietly(Watch watch) {
        if (watch != null) {
            try {
                watch.close();
            } catch (RuntimeException e) {
                LOG.debug("closing a watch failed: {}", e.toString());
            }
        }
    }
}
