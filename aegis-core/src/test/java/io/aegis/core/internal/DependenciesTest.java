package io.aegis.core.internal;

import static io.aegis.core.ServiceState.DEGRADED;
import static io.aegis.core.ServiceState.FAILED;
import static io.aegis.core.ServiceState.FLAPPING;
import static io.aegis.core.ServiceState.HEALTHY;
import static io.aegis.core.ServiceState.RECOVERING;
import static io.aegis.core.ServiceState.STARTING;
import static io.aegis.core.ServiceState.UNHEALTHY;
import static io.aegis.core.ServiceState.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigProblem;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.StateChanged;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DependenciesTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private final List<String> recovered = new CopyOnWriteArrayList<>();

    private static ServiceDefinition service(String name, String... dependsOn) {
        return ServiceDefinition.builder(name).check("tcp", "localhost:1").dependsOn(dependsOn).build();
    }

    private static List<String> problems(ServiceDefinition... services) {
        return Dependencies.problems(List.of(services)).stream().map(ConfigProblem::toString).toList();
    }

    private Dependencies graph(ServiceDefinition... services) {
        Dependencies dependencies = Dependencies.of(List.of(services));
        dependencies.onDependencyRecovered(recovered::add);
        return dependencies;
    }

    private static void state(Dependencies dependencies, String service, ServiceState from, ServiceState to) {
        dependencies.onStateChanged(new StateChanged(service, NOW, from, to, "test"));
    }

    private static void up(Dependencies dependencies, String... services) {
        Arrays.stream(services).forEach(service -> state(dependencies, service, STARTING, HEALTHY));
    }

    // ---- validation ------------------------------------------------------------------------------------------

    @Test
    void acceptsAnAcyclicGraph() {
        assertThat(problems(service("api", "db", "cache"), service("db"), service("cache", "db"))).isEmpty();
    }

    @Test
    void reportsAnUnknownNameWithTheClosestServiceName() {
        assertThat(problems(service("api", "dbb"), service("db"))).containsExactly(
                "services[api].dependsOn[0]: no service named \"dbb\"; did you mean \"db\"?");
    }

    @Test
    void reportsAnUnknownNameWithTheServicesWhenNoneIsClose() {
        assertThat(problems(service("api", "db", "postgres"), service("db"))).containsExactly(
                "services[api].dependsOn[1]: no service named \"postgres\" (services: api, db)");
    }

    @Test
    void reportsAServiceThatDependsOnItself() {
        assertThat(problems(service("api", "db", "api"), service("db"))).containsExactly(
                "services[api].dependsOn[1]: a service cannot depend on itself; remove \"api\" from its dependsOn");
    }

    @Test
    void reportsATwoServiceCycleNamingIt() {
        assertThat(problems(service("api", "db"), service("db", "api"))).containsExactly(
                "services[api].dependsOn[0]: dependsOn cycle: api -> db -> api; each of these services would wait for"
                        + " the next to start: remove one of these dependencies");
    }

    @Test
    void namesALongCycleFromTheServiceDefinedFirstAndLeavesOutServicesOnlyLeadingIntoIt() {
        List<String> found = problems(service("web", "c"), service("a", "b"), service("b", "c"), service("c", "a"));

        assertThat(found).singleElement().asString()
                .startsWith("services[a].dependsOn[0]: dependsOn cycle: a -> b -> c -> a;");
    }

    @Test
    void reportsEveryMistakeAtOnce() {
        List<String> found = problems(service("api", "api", "cahce", "db"), service("cache"), service("db", "worker"),
                service("worker", "db"));

        assertThat(found).containsExactly(
                "services[api].dependsOn[0]: a service cannot depend on itself; remove \"api\" from its dependsOn",
                "services[api].dependsOn[1]: no service named \"cahce\"; did you mean \"cache\"?",
                "services[db].dependsOn[0]: dependsOn cycle: db -> worker -> db; each of these services would wait for"
                        + " the next to start: remove one of these dependencies");
    }

    @Test
    void reportsTwoSeparateCyclesEach() {
        assertThat(problems(service("a", "b"), service("b", "a"), service("c", "d"), service("d", "c")))
                .hasSize(2).anySatisfy(line -> assertThat(line).contains("a -> b -> a"))
                .anySatisfy(line -> assertThat(line).contains("c -> d -> c"));
    }

    @Test
    void findsACycleAtTheEndOfAVeryLongChainWithoutOverflowingTheStack() {
        List<ServiceDefinition> chain = new ArrayList<>();
        int length = 20_000;
        for (int i = 0; i < length; i++) {
            chain.add(service("s" + i, "s" + ((i + 1) % length)));
        }

        assertThat(Dependencies.problems(chain)).singleElement().satisfies(problem -> assertThat(problem.message())
                .startsWith("dependsOn cycle: s0 -> s1 -> s2 -> ").contains(" -> s19999 -> s0;"));
    }

    @Test
    void refusesToBuildAGraphWithProblems() {
        assertThatThrownBy(() -> Dependencies.of(List.of(service("api", "api"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot depend on itself");
    }

    @Test
    void builderRejectsInvalidAndRepeatedNames() {
        assertThatThrownBy(() -> service("api", "db", "db")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dependsOn: \"db\" is listed twice");
        assertThatThrownBy(() -> service("api", "no spaces")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("dependsOn: \"no spaces\" is not a valid service name");
    }

    // ---- attribution -----------------------------------------------------------------------------------------

    @Test
    void attributesAFailureToADependencyThatIsNotUp() {
        Dependencies dependencies = graph(service("api", "db"), service("db"));
        up(dependencies, "db");
        assertThat(dependencies.downDependencyOf("api")).isEmpty();

        state(dependencies, "db", HEALTHY, UNHEALTHY);

        assertThat(dependencies.downDependencyOf("api")).contains("db");
    }

    @Test
    void countsOnlyHealthyAndDegradedAsUp() {
        Dependencies dependencies = graph(service("api", "db"), service("db"));
        assertThat(dependencies.downDependencyOf("api")).as("never seen: UNKNOWN").contains("db");

        for (ServiceState state : ServiceState.values()) {
            state(dependencies, "db", UNKNOWN, state);
            boolean up = state == HEALTHY || state == DEGRADED;
            assertThat(dependencies.downDependencyOf("api")).as("db %s", state)
                    .isEqualTo(up ? java.util.Optional.empty() : java.util.Optional.of("db"));
            assertThat(Dependencies.isUp(state)).isEqualTo(up);
        }
    }

    @Test
    void aServiceWithoutDependenciesOrUnknownHasNoneToBlame() {
        Dependencies dependencies = graph(service("db"));

        assertThat(dependencies.downDependencyOf("db")).isEmpty();
        assertThat(dependencies.downDependencyOf("nobody")).isEmpty();
    }

    @Test
    void followsAChainOfDownServicesToTheRootCause() {
        Dependencies dependencies = graph(service("api", "cache"), service("cache", "db"), service("db"));
        up(dependencies, "db", "cache", "api");

        state(dependencies, "db", HEALTHY, UNHEALTHY);
        assertThat(dependencies.downDependencyOf("api")).as("cache is still up: api's failure is its own").isEmpty();
        assertThat(dependencies.downDependencyOf("cache")).contains("db");

        state(dependencies, "cache", HEALTHY, UNHEALTHY);
        assertThat(dependencies.downDependencyOf("api")).contains("db");

        state(dependencies, "db", RECOVERING, HEALTHY);
        assertThat(dependencies.downDependencyOf("api")).as("cache is down on its own now").contains("cache");
    }

    @Test
    void blamesTheFirstListedDownDependency() {
        Dependencies dependencies = graph(service("api", "db", "cache"), service("db"), service("cache"));
        up(dependencies, "db", "cache");

        state(dependencies, "cache", HEALTHY, FLAPPING);
        assertThat(dependencies.downDependencyOf("api")).contains("cache");
        state(dependencies, "db", HEALTHY, FAILED);
        assertThat(dependencies.downDependencyOf("api")).contains("db");
    }

    // ---- recovery --------------------------------------------------------------------------------------------

    @Test
    void namesTheDependentsWhenTheirOnlyDependencyIsUpAgain() {
        Dependencies dependencies = graph(service("api", "db"), service("web", "db"), service("db"), service("other"));
        up(dependencies, "db");
        recovered.clear();

        state(dependencies, "db", HEALTHY, UNHEALTHY);
        state(dependencies, "db", UNHEALTHY, RECOVERING);
        assertThat(recovered).isEmpty();
        state(dependencies, "db", RECOVERING, HEALTHY);

        assertThat(recovered).containsExactly("api", "web");
    }

    @Test
    void waitsForTheLastDownDependency() {
        Dependencies dependencies = graph(service("api", "db", "cache"), service("db"), service("cache"));
        up(dependencies, "db", "cache");
        state(dependencies, "db", HEALTHY, UNHEALTHY);
        state(dependencies, "cache", HEALTHY, UNHEALTHY);
        recovered.clear();

        state(dependencies, "db", UNHEALTHY, HEALTHY);
        assertThat(recovered).as("cache is still down").isEmpty();
        state(dependencies, "cache", UNHEALTHY, DEGRADED);

        assertThat(recovered).containsExactly("api");
    }

    @Test
    void movingBetweenUpStatesOrBetweenDownStatesIsNoRecovery() {
        Dependencies dependencies = graph(service("api", "db"), service("db"));
        up(dependencies, "db");
        recovered.clear();

        state(dependencies, "db", HEALTHY, DEGRADED);
        state(dependencies, "db", DEGRADED, HEALTHY);
        state(dependencies, "db", HEALTHY, UNHEALTHY);
        state(dependencies, "db", UNHEALTHY, RECOVERING);
        state(dependencies, "db", RECOVERING, FAILED);

        assertThat(recovered).isEmpty();
    }

    @Test
    void theFirstPassAlsoCountsAsUpAgain() {
        Dependencies dependencies = graph(service("api", "db"), service("db"));
        state(dependencies, "db", UNKNOWN, STARTING);

        state(dependencies, "db", STARTING, HEALTHY);

        assertThat(recovered).as("api may have failed while db was starting").containsExactly("api");
    }

    @Test
    void recoveryIsStepByStepAlongAChain() {
        Dependencies dependencies = graph(service("api", "cache"), service("cache", "db"), service("db"));
        up(dependencies, "db", "cache");
        state(dependencies, "db", HEALTHY, UNHEALTHY);
        state(dependencies, "cache", HEALTHY, UNHEALTHY);
        recovered.clear();

        state(dependencies, "db", UNHEALTHY, HEALTHY);
        assertThat(recovered).containsExactly("cache");
        state(dependencies, "cache", UNHEALTHY, HEALTHY);
        assertThat(recovered).containsExactly("cache", "api");
    }

    @Test
    void aCallbackThatThrowsDoesNotStopTheOthers() {
        Dependencies dependencies = graph(service("api", "db"), service("db"));
        List<String> second = new ArrayList<>();
        dependencies.onDependencyRecovered(name -> {
            throw new IllegalStateException("boom");
        });
        dependencies.onDependencyRecovered(second::add);

        up(dependencies, "db");

        assertThat(recovered).containsExactly("api");
        assertThat(second).containsExactly("api");
    }

    // ---- start order -----------------------------------------------------------------------------------------

    @Test
    void startsAfterTheDirectDependencies() {
        Dependencies dependencies = graph(service("api", "cache", "db"), service("cache", "db"), service("db"));

        assertThat(dependencies.startAfter("api")).containsExactly("cache", "db");
        assertThat(dependencies.startAfter("db")).isEmpty();
        assertThat(dependencies.startOrder()).containsExactly("db", "cache", "api");
    }

    @Test
    void startOrderKeepsDefinitionOrderWhereDependenciesAllow() {
        Dependencies dependencies = graph(service("a"), service("web", "db"), service("b"), service("db"));

        assertThat(dependencies.startOrder()).containsExactly("a", "db", "web", "b");
    }

    @Test
    void readyToStartOnceEveryDependencyPassedOnce() {
        Dependencies dependencies = graph(service("api", "db", "cache"), service("db"), service("cache"));
        assertThat(dependencies.readyToStart("db").toCompletableFuture()).isCompleted();
        var api = dependencies.readyToStart("api").toCompletableFuture();

        state(dependencies, "db", UNKNOWN, STARTING);
        up(dependencies, "db");
        state(dependencies, "db", HEALTHY, UNHEALTHY);
        assertThat(api).as("cache has not passed yet").isNotDone();
        state(dependencies, "cache", STARTING, DEGRADED);

        assertThat(api).as("db passed once; that it is down now does not hold api back").isCompleted();
    }

    @Test
    void readyToStartRejectsAnUnknownService() {
        assertThatThrownBy(() -> graph(service("db")).readyToStart("dbb"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no service named \"dbb\"");
    }

    // ---- many threads ----------------------------------------------------------------------------------------

    @Test
    void eventsFromManyThreadsNameEachDependentOnceWhenItsLastDependencyRecovers() throws Exception {
        int dependencyCount = 16;
        int dependentCount = 50;
        List<ServiceDefinition> services = new ArrayList<>();
        String[] names = new String[dependencyCount];
        for (int i = 0; i < dependencyCount; i++) {
            names[i] = "dep" + i;
            services.add(service(names[i]));
        }
        for (int i = 0; i < dependentCount; i++) {
            services.add(service("app" + i, names));
        }
        Dependencies dependencies = Dependencies.of(services);
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        dependencies.onDependencyRecovered(name -> calls.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet());
        var ready = dependencies.readyToStart("app0").toCompletableFuture();

        int rounds = 200;
        ExecutorService threads = Executors.newFixedThreadPool(dependencyCount);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (String name : names) {
                done.add(threads.submit(() -> {
                    go.await();
                    // each dependency's events in order, as the bus delivers one service's events
                    for (int round = 0; round < rounds; round++) {
                        state(dependencies, name, UNKNOWN, UNHEALTHY);
                        dependencies.downDependencyOf("app" + (round % dependentCount));
                        state(dependencies, name, UNHEALTHY, HEALTHY);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> future : done) {
                future.get(30, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }

        assertThat(ready).isCompleted();
        for (int i = 0; i < dependentCount; i++) {
            assertThat(dependencies.downDependencyOf("app" + i)).isEmpty();
        }
        // every recovery of the last down dependency is named once; there are between 1 and rounds * 16 of them,
        // and every dependent sees the same sequence, so all counts are equal
        int first = calls.get("app0").get();
        assertThat(first).isBetween(1, rounds * dependencyCount);
        assertThat(calls).hasSize(dependentCount).allSatisfy((name, count) -> assertThat(count.get()).isEqualTo(first));
    }

    @Test
    void aDependentIsNamedExactlyOnceWhenManyDependenciesRecoverAtTheSameTime() throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            String[] names = {"a", "b", "c", "d", "e", "f", "g", "h"};
            List<ServiceDefinition> services = new ArrayList<>();
            Arrays.stream(names).forEach(name -> services.add(service(name)));
            services.add(service("app", names));
            Dependencies dependencies = Dependencies.of(services);
            AtomicInteger calls = new AtomicInteger();
            dependencies.onDependencyRecovered(name -> calls.incrementAndGet());
            Arrays.stream(names).forEach(name -> state(dependencies, name, UNKNOWN, UNHEALTHY));

            ExecutorService threads = Executors.newFixedThreadPool(names.length);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> done = new ArrayList<>();
                for (String name : names) {
                    done.add(threads.submit(() -> {
                        go.await();
                        state(dependencies, name, UNHEALTHY, HEALTHY);
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> future : done) {
                    future.get(30, TimeUnit.SECONDS);
                }
            } finally {
                threads.shutdownNow();
            }

            assertThat(calls).as("attempt %d", attempt).hasValue(1);
        }
    }
}
