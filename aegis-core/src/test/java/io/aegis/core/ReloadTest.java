package io.aegis.core;

import static io.aegis.core.testing.ChildProcesses.commandLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.awaitility.Awaitility.await;

import io.aegis.core.event.ConfigReloaded;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.core.testing.Scrape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hot reload: the running engine takes a new configuration file, service by service, and nothing else restarts. */
class ReloadTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);

    @TempDir
    Path tempDir;

    private final LoopbackHttpServer server = LoopbackHttpServer.start();
    private final List<ConfigReloaded> reloads = new CopyOnWriteArrayList<>();
    private Engine engine;
    private Path file;

    @BeforeEach
    void setUp() {
        file = tempDir.resolve("aegis.yaml");
        // No body: the answer leaves in one segment. A body is a second write, which Nagle's algorithm can hold until
        // the client's delayed ACK (40 ms): too close to these checks' 50 ms timeout.
        server.respondWith(200, "");
    }

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        server.close();
    }

    /** {@return how many checks the server got on {@code path}} */
    private long hits(String path) {
        return server.requests().stream().filter(request -> request.path().equals(path)).count();
    }

    private String service(String name, String path, String seconds) {
        return "  - name: " + name + "\n"
                + "    type: http\n"
                + "    endpoint: " + server.uri(path) + "\n"
                + "    interval: 100ms\n"
                + "    timeout: 50ms\n"
                + "    runtime: {type: process, command: [sleep, \"" + seconds + "\"], logFile: "
                + tempDir.resolve(name + ".log") + "}\n";
    }

    private void write(String global, String... services) throws IOException {
        Files.writeString(file, "global:\n  stateDir: " + tempDir.resolve("state") + "\n  metricsHost: 127.0.0.1\n"
                + global + "services:\n" + String.join("", services));
    }

    private void startEngine() {
        engine = Engine.builder().config(file).metricsPort(0).listener(ConfigReloaded.class, reloads::add).build()
                .start();
    }

    @Test
    void keepsUnchangedServicesSwapsChangedChecksRestartsChangedRuntimesStopsRemovedAndStartsAdded()
            throws Exception {
        write("", service("keep", "/keep", "605"), service("check", "/old", "606"),
                service("runtime", "/runtime", "607"), service("gone", "/gone", "608"));
        startEngine();
        await().atMost(AWAIT).until(() -> engine.services().stream().allMatch(s -> s.state() == ServiceState.HEALTHY
                && s.workload().orElse("").startsWith("pid ")));
        ServiceSnapshot keepBefore = engine.service("keep").orElseThrow();
        long keepPid = pid("keep");
        long checkPid = pid("check");
        long runtimePid = pid("runtime");
        long gonePid = pid("gone");
        await().atMost(AWAIT).until(() -> checksOf("keep") >= 3);
        double keepChecks = checksOf("keep");

        write("", service("keep", "/keep", "605"), service("check", "/new", "606"),
                service("runtime", "/runtime", "609"), service("fresh", "/fresh", "610"));
        ReloadResult result = engine.reload();

        assertThat(result.added()).containsExactly("fresh");
        assertThat(result.removed()).containsExactly("gone");
        assertThat(result.changed()).containsExactly("check", "runtime");
        assertThat(result.unchanged()).containsExactly("keep");
        assertThat(result.notApplied()).isEmpty();
        // unchanged: the same workload, state and counters, which go on growing from where they were
        ServiceSnapshot keepAfter = engine.service("keep").orElseThrow();
        assertThat(pid("keep")).isEqualTo(keepPid);
        assertThat(keepAfter.state()).isEqualTo(ServiceState.HEALTHY);
        assertThat(keepAfter.since()).isEqualTo(keepBefore.since());
        assertThat(checksOf("keep")).isGreaterThanOrEqualTo(keepChecks);
        await().atMost(AWAIT).until(() -> checksOf("keep") > keepChecks + 2);
        // changed check: the new endpoint is checked, the workload runs on untouched
        long oldHits = hits("/old");
        await().atMost(AWAIT).until(() -> hits("/new") >= 3);
        assertThat(hits("/old")).isLessThanOrEqualTo(oldHits + 1);
        assertThat(pid("check")).isEqualTo(checkPid);
        assertThat(ProcessHandle.of(checkPid).map(ProcessHandle::isAlive)).hasValue(true);
        assertThat(engine.service("check").orElseThrow().endpoint()).endsWith("/new");
        assertThat(engine.service("check").orElseThrow().state()).isEqualTo(ServiceState.HEALTHY);
        // changed runtime: the old process stopped, the new command runs
        assertThat(ProcessHandle.of(runtimePid).filter(ProcessHandle::isAlive)).isEmpty();
        await().atMost(AWAIT).until(() -> engine.service("runtime").orElseThrow().state() == ServiceState.HEALTHY);
        assertThat(commandLine(pid("runtime"))).contains("609");
        // removed: its process is gone, its series too
        assertThat(engine.service("gone")).isEmpty();
        assertThat(ProcessHandle.of(gonePid).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(Scrape.metricsOf(engine)).doesNotContain("service=\"gone\"");
        // added: started and checked
        await().atMost(AWAIT).until(() -> engine.service("fresh").orElseThrow().state() == ServiceState.HEALTHY);
        assertThat(engine.services()).extracting(ServiceSnapshot::name)
                .containsExactly("keep", "check", "runtime", "fresh");
        // the event says what changed
        await().atMost(AWAIT).until(() -> reloads.size() == 1);
        ConfigReloaded event = reloads.get(0);
        assertThat(event.serviceName()).isEmpty();
        assertThat(event.added()).containsExactly("fresh");
        assertThat(event.removed()).containsExactly("gone");
        assertThat(event.changed()).containsExactly("check", "runtime");
        assertThat(event.unchanged()).containsExactly("keep");
        assertThat(engine.configuration().orElseThrow().services()).extracting(ServiceDefinition::name)
                .containsExactly("keep", "check", "runtime", "fresh");
    }

    @Test
    void aBrokenFileChangesNothingAndReportsEveryProblem() throws Exception {
        write("", service("keep", "/keep", "605"));
        startEngine();
        await().atMost(AWAIT).until(() -> engine.service("keep").orElseThrow().state() == ServiceState.HEALTHY
                && engine.service("keep").orElseThrow().workload().isPresent());
        long pid = pid("keep");
        AegisConfig before = engine.configuration().orElseThrow();

        write("", service("keep", "/keep", "605").replace("interval: 100ms", "interval: soon"),
                service("extra", "/extra", "611").replace("type: http", "type: htp"));

        assertThatThrownBy(() -> engine.reload()).isInstanceOfSatisfying(InvalidConfigurationException.class,
                e -> assertThat(e.errors()).anySatisfy(error -> assertThat(error).contains("services[0].interval"))
                        .anySatisfy(error -> assertThat(error).contains("unknown checker type \"htp\"")));
        assertThat(engine.services()).extracting(ServiceSnapshot::name).containsExactly("keep");
        assertThat(pid("keep")).isEqualTo(pid);
        assertThat(engine.configuration()).containsSame(before);
        assertThat(descendantsRunning("611")).isEmpty();
        assertThat(reloads).isEmpty();
    }

    @Test
    void aFifoWhereTheFileWasIsRefusedAtOnceAndTheNextReloadStillWorks() throws Exception {
        write("", service("keep", "/keep", "605"));
        startEngine();
        await().atMost(AWAIT).until(() -> engine.service("keep").orElseThrow().state() == ServiceState.HEALTHY);
        Files.delete(file);
        assertThat(new ProcessBuilder("mkfifo", file.toString()).start().waitFor()).isZero();

        // Opening a FIFO nobody writes to blocks for good, and reloads run one at a time: every later one waited too.
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> engine.reload())
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining(file + ": cannot read the"
                        + " configuration file: it is not a regular file"));
        Files.delete(file);
        write("", service("keep", "/keep", "605"), service("added", "/added", "611"));
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> engine.reload());
        assertThat(engine.services()).extracting(ServiceSnapshot::name).containsExactly("keep", "added");
    }

    @Test
    void saysWhatNeedsARestartOfAegis() throws Exception {
        write("  metricsPort: 0\n", service("keep", "/keep", "605"));
        engine = Engine.builder().config(file).build().start();

        write("  metricsPort: 0\n  logLevel: debug\nnotifications:\n  log: {type: log}\n",
                service("keep", "/keep", "605"));
        ReloadResult result = engine.reload();

        assertThat(result.unchanged()).containsExactly("keep");
        assertThat(result.notApplied()).containsExactly(
                "global.logLevel changed from info to debug: it takes effect when aegis restarts",
                "notifications: changed: it takes effect when aegis restarts");
    }

    @Test
    void anEngineBuiltFromServicesAloneHasNoFileToReadAgain() {
        engine = Engine.builder().metricsEnabled(false).build();

        assertThat(engine.configuration()).isEmpty();
        assertThatThrownBy(() -> engine.reload()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not built from a configuration file");
    }

    @Test
    void theMaskedTextHidesSecrets() {
        AegisConfig config = AegisConfig.parse("""
                services:
                  - name: api
                    type: http
                    endpoint: http://user:hunter2@example.com/health
                    headers: {Authorization: x, apiKey: abc123}
                    metadata:
                      token: "s3cr3t-value"
                      password: ${DB_PASSWORD:-fallback-pw}
                      owner: team-a
                """, "aegis.yaml", Map.of());

        String masked = config.maskedText();

        assertThat(masked).doesNotContain("hunter2", "abc123", "s3cr3t-value", "fallback-pw")
                .contains("owner: team-a", "token: ***", "apiKey: ***");
    }

    private long pid(String service) {
        String workload = engine.service(service).orElseThrow().workload().orElseThrow();
        assertThat(workload).startsWith("pid ");
        return Long.parseLong(workload.substring(4).split(" ")[0]);
    }

    private double checksOf(String service) throws Exception {
        return Scrape.metricsOf(engine).lines().filter(line -> line.startsWith("aegis_health_checks_total{")
                && line.contains("service=\"" + service + "\"") && line.contains("result=\"healthy\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    private static List<ProcessHandle> descendantsRunning(String seconds) {
        return ProcessHandle.current().descendants()
                .filter(p -> p.isAlive() && commandLine(p.pid()).endsWith("sleep\u0000" + seconds + "\u0000")).toList();
    }
}
