package io.aegis.core.internal;

import io.aegis.api.ConfigProblem;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.StateChanged;
import io.aegis.core.internal.config.KeySuggestions;
import io.aegis.core.internal.config.QuotedText;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the services' {@code dependsOn} lists mean while the engine runs: which down dependency a failing
 * service's failure is attributed to, when a dependent should be checked again because its dependencies are all
 * back, and when a dependent's workload may start.
 *
 * <p><b>Up and down.</b> A service is <em>up</em> while its last state is HEALTHY or DEGRADED, and <em>down</em>
 * otherwise: UNKNOWN and STARTING (not proven yet), UNHEALTHY, RECOVERING, FLAPPING, ISOLATED, FAILED, STOPPED. A
 * service no event was seen for yet is UNKNOWN, so down.
 *
 * <p><b>Attribution</b> ({@link #downDependencyOf}) follows the graph to the root cause: when {@code api} depends
 * on {@code cache} and {@code cache} on {@code db}, and both {@code cache} and {@code db} are down, a failure of
 * {@code api} is attributed to {@code db}, because {@code cache}'s own failure is. Only a chain of down services
 * is followed: while {@code cache} is up, {@code db} being down does not excuse {@code api}.
 *
 * <p><b>Recovery</b> ({@link #onDependencyRecovered}) is about direct dependencies only: a dependent is named
 * when one of its dependencies goes from down to up and none of its dependencies is down any more. Along a chain
 * this repeats step by step: {@code db} up names {@code cache}; {@code cache} checked and up names {@code api}.
 *
 * <p><b>Start order</b> ({@link #readyToStart}, {@link #startAfter}) is Compose's
 * {@code condition: service_healthy}: a dependent's workload starts once each of its direct dependencies has been
 * up at least once since this object was made; what happens to them later does not hold it back again.
 *
 * <p>Fed with every {@link StateChanged} of every service ({@link #onStateChanged}). Thread-safe: events of
 * different services may arrive concurrently from many threads; each service's own events must arrive in order
 * (as the event bus delivers them). Callbacks run on the thread that delivered the event, after the state was
 * updated, never while a lock is held; they must be quick (hand the work to an executor).
 */
public final class Dependencies {
    private static final Logger log = LoggerFactory.getLogger(Dependencies.class);

    /** Service → its direct dependencies, in the order they were listed; every service is a key. */
    private final Map<String, List<String>> dependencies;
    /** Service → the services that list it, in definition order. */
    private final Map<String, List<String>> dependents;
    private final List<String> startOrder;
    private final List<Consumer<String>> recoveredListeners = new CopyOnWriteArrayList<>();

    private final Object lock = new Object();
    /** guarded by lock */
    private final Map<String, ServiceState> states = new HashMap<>();
    /** Services that have been up at least once; guarded by lock. */
    private final Set<String> passedOnce = new HashSet<>();
    /** Completed when every direct dependency of the service has been up once; guarded by lock. */
    private final Map<String, CompletableFuture<Void>> ready = new HashMap<>();

    private Dependencies(Map<String, List<String>> dependencies) {
        this.dependencies = dependencies;
        Map<String, List<String>> reverse = new LinkedHashMap<>();
        dependencies.keySet().forEach(name -> reverse.put(name, new ArrayList<>()));
        dependencies.forEach((name, deps) -> deps.forEach(dep -> reverse.get(dep).add(name)));
        this.dependents = reverse.entrySet().stream().collect(Collectors.toUnmodifiableMap(Map.Entry::getKey,
                entry -> List.copyOf(entry.getValue())));
        this.startOrder = topologicalOrder(dependencies);
        dependencies.forEach((name, deps) -> ready.put(name, deps.isEmpty()
                ? CompletableFuture.completedFuture(null) : new CompletableFuture<>()));
    }

    /**
     * The graph of {@code services}, all services of one engine.
     *
     * @throws IllegalArgumentException when {@link #problems} finds any (an unknown name, a service depending on
     *     itself, a cycle)
     */
    public static Dependencies of(Collection<ServiceDefinition> services) {
        List<ConfigProblem> problems = problems(services);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.stream().map(ConfigProblem::toString)
                    .collect(Collectors.joining("; ")));
        }
        Map<String, List<String>> graph = new LinkedHashMap<>();
        services.forEach(service -> graph.put(service.name(), service.dependsOn()));
        return new Dependencies(Collections.unmodifiableMap(graph));
    }

    /**
     * Every mistake in the {@code dependsOn} lists of {@code services} (all services of one engine, from the file
     * and from code): a name that is no service (with a "did you mean"), a service that depends on itself, and
     * each cycle, named in full ({@code dependsOn cycle: api -> db -> api}). Each problem is at the key path of the
     * offending entry ({@code services[0].dependsOn[1]}), so a file's problems get their line and column.
     */
    public static List<ConfigProblem> problems(Collection<ServiceDefinition> services) {
        Map<String, ServiceDefinition> byName = new LinkedHashMap<>();
        services.forEach(service -> byName.putIfAbsent(service.name(), service));
        List<ConfigProblem> problems = new ArrayList<>();
        Map<String, List<String>> graph = new LinkedHashMap<>();
        for (ServiceDefinition service : byName.values()) {
            List<String> edges = new ArrayList<>();
            for (String dependency : service.dependsOn()) {
                if (dependency.equals(service.name())) {
                    problems.add(new ConfigProblem(keyPath(service, dependency), "a service cannot depend on itself;"
                            + " remove " + QuotedText.of(dependency) + " from its dependsOn"));
                } else if (!byName.containsKey(dependency)) {
                    problems.add(new ConfigProblem(keyPath(service, dependency), "no service named "
                            + QuotedText.of(dependency) + unknownNameHint(dependency, byName.keySet())));
                } else {
                    edges.add(dependency);
                }
            }
            graph.put(service.name(), edges);
        }
        for (List<String> cycle : cycles(graph)) {
            problems.add(new ConfigProblem(keyPath(byName.get(cycle.get(0)), cycle.get(1)), "dependsOn cycle: "
                    + String.join(" -> ", cycle) + "; each of these services would wait for the next to start: remove"
                    + " one of these dependencies"));
        }
        return problems;
    }

    /** Registers {@code callback}, called with a dependent's name when its last down dependency is up again. */
    public void onDependencyRecovered(Consumer<String> callback) {
        recoveredListeners.add(Objects.requireNonNull(callback, "callback"));
    }

    /** Takes in one state change of any service; unknown services are remembered too (they may be depended on). */
    public void onStateChanged(StateChanged event) {
        String name = event.serviceName();
        List<String> recovered = new ArrayList<>();
        List<CompletableFuture<Void>> nowReady = new ArrayList<>();
        synchronized (lock) {
            boolean wasUp = isUp(states.get(name));
            states.put(name, event.to());
            boolean up = isUp(event.to());
            if (up && !wasUp) {
                for (String dependent : dependents.getOrDefault(name, List.of())) {
                    if (firstDown(dependent).isEmpty()) {
                        recovered.add(dependent);
                    }
                }
            }
            if (up && passedOnce.add(name)) {
                for (String dependent : dependents.getOrDefault(name, List.of())) {
                    if (passedOnce.containsAll(dependencies.get(dependent))) {
                        nowReady.add(ready.get(dependent));
                    }
                }
            }
        }
        for (String dependent : recovered) {
            log.debug("{}: every service it depends on is up ({} was the last)", dependent, name);
            for (Consumer<String> listener : recoveredListeners) {
                try {
                    listener.accept(dependent);
                } catch (RuntimeException e) {
                    log.warn("{}: a dependency-recovered callback failed", dependent, e);
                }
            }
        }
        nowReady.forEach(future -> future.complete(null));
    }

    /**
     * The dependency a failure of {@code service} is to be attributed to: its first listed direct dependency that
     * is down, or, when that one's own failure is attributed further, the dependency at the end of that chain.
     * Empty when every direct dependency is up (or it has none, or it is not known): the failure is its own.
     */
    public Optional<String> downDependencyOf(String service) {
        synchronized (lock) {
            Optional<String> blame = Optional.empty();
            Set<String> seen = new HashSet<>(); // the graph is validated acyclic; this only makes that certain
            for (Optional<String> down = firstDown(service); down.isPresent() && seen.add(down.get());
                    down = firstDown(down.get())) {
                blame = down;
            }
            return blame;
        }
    }

    /** The direct dependencies of {@code service} whose first passing check must come before its workload starts. */
    public List<String> startAfter(String service) {
        return dependencies.getOrDefault(service, List.of());
    }

    /**
     * Completes once every direct dependency of {@code service} has been up at least once (at once for a service
     * with none). It completes on the thread that delivers the deciding event: start the workload with
     * {@code thenRunAsync(start, executor)}. It never completes while a dependency has never passed; the caller
     * decides how long to wait.
     *
     * @throws IllegalArgumentException when {@code service} is not known
     */
    public CompletionStage<Void> readyToStart(String service) {
        synchronized (lock) {
            CompletableFuture<Void> future = ready.get(service);
            if (future == null) {
                throw new IllegalArgumentException("no service named " + QuotedText.of(service));
            }
            return future.minimalCompletionStage();
        }
    }

    /** Whether {@code service} is down now (any state but HEALTHY or DEGRADED, or no state seen yet). */
    public boolean isDown(String service) {
        synchronized (lock) {
            return !isUp(states.get(service));
        }
    }

    /** The direct dependencies of {@code service} that have not been up once yet (its start waits for them). */
    public List<String> notUpYet(String service) {
        synchronized (lock) {
            return startAfter(service).stream().filter(dependency -> !passedOnce.contains(dependency)).toList();
        }
    }

    /** Every service, each after all of its dependencies; otherwise in definition order. */
    public List<String> startOrder() {
        return startOrder;
    }

    /** Whether {@code state} counts as up for dependents: HEALTHY or DEGRADED. */
    public static boolean isUp(ServiceState state) {
        return state == ServiceState.HEALTHY || state == ServiceState.DEGRADED;
    }

    /** guarded by lock */
    private Optional<String> firstDown(String service) {
        for (String dependency : dependencies.getOrDefault(service, List.of())) {
            if (!isUp(states.get(dependency))) {
                return Optional.of(dependency);
            }
        }
        return Optional.empty();
    }

    /** Depth first, dependencies before the service, in definition order otherwise; the graph is acyclic. */
    private static List<String> topologicalOrder(Map<String, List<String>> graph) {
        Set<String> placed = new LinkedHashSet<>();
        graph.keySet().forEach(name -> place(name, graph, placed));
        return List.copyOf(placed);
    }

    private static void place(String name, Map<String, List<String>> graph, Set<String> placed) {
        if (placed.contains(name)) {
            return;
        }
        graph.getOrDefault(name, List.of()).forEach(dependency -> place(dependency, graph, placed));
        placed.add(name);
    }

    /**
     * The cycles a depth-first walk finds, one per edge that leads back into the walk's own path, each closed
     * ({@code [api, db, api]}) and rotated to start at the service defined first. Every cycle in the graph
     * shares a service with one of them, so fixing those and checking again finds any left.
     */
    private static List<List<String>> cycles(Map<String, List<String>> graph) {
        List<String> order = new ArrayList<>(graph.keySet());
        Map<String, Integer> colour = new HashMap<>(); // absent: not visited; 1: on the path; 2: done
        List<List<String>> cycles = new ArrayList<>();
        for (String start : order) {
            if (colour.containsKey(start)) {
                continue;
            }
            // iterative, so a long chain of dependencies cannot overflow the stack
            List<String> path = new ArrayList<>();
            List<Integer> nextEdge = new ArrayList<>();
            path.add(start);
            nextEdge.add(0);
            colour.put(start, 1);
            while (!path.isEmpty()) {
                int top = path.size() - 1;
                String node = path.get(top);
                List<String> edges = graph.get(node);
                int edge = nextEdge.get(top);
                if (edge == edges.size()) {
                    colour.put(node, 2);
                    path.remove(top);
                    nextEdge.remove(top);
                    continue;
                }
                nextEdge.set(top, edge + 1);
                String next = edges.get(edge);
                Integer seen = colour.get(next);
                if (seen == null) {
                    colour.put(next, 1);
                    path.add(next);
                    nextEdge.add(0);
                } else if (seen == 1) {
                    cycles.add(rotated(path.subList(path.indexOf(next), path.size()), order));
                }
            }
        }
        return cycles;
    }

    /** {@code members} closed into a cycle that starts (and ends) at the member defined first. */
    private static List<String> rotated(List<String> members, List<String> order) {
        int first = 0;
        for (int i = 1; i < members.size(); i++) {
            if (order.indexOf(members.get(i)) < order.indexOf(members.get(first))) {
                first = i;
            }
        }
        List<String> cycle = new ArrayList<>(members.subList(first, members.size()));
        cycle.addAll(members.subList(0, first));
        cycle.add(cycle.get(0));
        return cycle;
    }

    /** The key path of the entry naming {@code dependency} in {@code service}'s dependsOn, as it was written. */
    private static String keyPath(ServiceDefinition service, String dependency) {
        Object written = service.settings().raw("dependsOn").orElse(null);
        if (written instanceof List) {
            List<?> items = (List<?>) written;
            for (int i = 0; i < items.size(); i++) {
                if (dependency.equals(String.valueOf(items.get(i)))) {
                    return service.settings().keyPath("dependsOn[" + i + "]");
                }
            }
        } else if (written != null) {
            return service.settings().keyPath("dependsOn");
        }
        // defined in code
        return service.settings().keyPath("dependsOn[" + service.dependsOn().indexOf(dependency) + "]");
    }

    private static String unknownNameHint(String name, Set<String> names) {
        return KeySuggestions.closest(name, names).map(suggestion -> "; did you mean " + QuotedText.of(suggestion) + "?")
                .orElseGet(() -> " (services: " + String.join(", ", names) + ")");
    }
}
