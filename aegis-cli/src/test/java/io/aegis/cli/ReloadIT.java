package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.testkit.LoopbackHttpServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGHUP makes the real {@code aegis} read its file again: of 50 real processes, 5 changed, 5 removed and 5 added
 * leave the other 40 untouched (their pids, states and counters); a broken file then changes nothing.
 */
@Timeout(120)
class ReloadIT {
    private static final Pattern SLEEP = Pattern.compile("sleep (\\d+)$");
    private static final Pattern HEALTHY_CHECKS = Pattern.compile(
            "(?m)^aegis_health_checks_total\\{result=\"healthy\",service=\"([a-z0-9-]+)\"} (\\S+)$");

    @TempDir
    Path dir;

    private final LoopbackHttpServer server = LoopbackHttpServer.start();
    private int metricsPort;

    @BeforeEach
    void setUp() {
        server.respondWith(200, ""); // no body: the answer leaves in one segment (LoopbackHttpServer.respondWith)
        metricsPort = Loopback.freePort();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    /** {@return how many checks the server got on {@code path}} */
    private long hits(String path) {
        return server.requests().stream().filter(request -> request.path().equals(path)).count();
    }

    /** A service {@code name} running {@code sleep <seconds>} (its pid found by that number), checked at {@code path}. */
    private String service(String name, String path, int seconds) {
        return "  - name: " + name + "\n"
                + "    type: http\n"
                + "    endpoint: " + server.uri(path) + "\n"
                + "    interval: 250ms\n"
                + "    timeout: 200ms\n"
                // one slow answer of the test's server on a busy 2-core host is not what this test is about
                + "    failureThreshold: 5\n"
                + "    runtime: {type: process, command: [sleep, \"" + seconds + "\"]}\n";
    }

    private void write(List<String> services) {
        TestConfigs.write(dir, "aegis.yaml", "global:\n  stateDir: state\n  metricsHost: 127.0.0.1\n  metricsPort: "
                + metricsPort + "\nservices:\n" + String.join("", services));
    }

    private static String name(int i) {
        return "s%02d".formatted(i);
    }

    @Test
    void sighupAppliesTheChangesAndLeavesTheOtherServicesRunningUntouched() {
        // s40-s42: check changed; s43-s44: runtime changed; s45-s49 removed; n00-n04 added
        write(IntStream.range(0, 50).mapToObj(i -> service(name(i), "/" + name(i), 6000 + i)).toList());
        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().until(() -> pids(aegis).size() == 50 && healthyChecks().size() == 50
                    && healthyChecks().values().stream().allMatch(count -> count >= 10));
            Map<Integer, Long> before = pids(aegis);
            Map<String, Double> checksBefore = healthyChecks();

            write(IntStream.range(0, 50).mapToObj(i -> i >= 45 ? "" : i >= 43 ? service(name(i), "/" + name(i),
                    7000 + i) : i >= 40 ? service(name(i), "/changed-" + name(i), 6000 + i)
                    : service(name(i), "/" + name(i), 6000 + i)).toList());
            TestConfigs.write(dir, "aegis.yaml", readConfig() + String.join("", IntStream.range(0, 5)
                    .mapToObj(i -> service("n%02d".formatted(i), "/n" + i, 8000 + i)).toList()));
            aegis.signal("HUP");

            aegis.patiently().untilAsserted(() -> assertThat(aegis.stderr()).containsPattern(
                    "\\[INFO] Engine - reloaded .*aegis.yaml: 5 added, 5 removed, 5 changed, 40 unchanged"));
            Map<String, Double> checksAfter = healthyChecks();
            Map<Integer, Long> after = pids(aegis);
            for (int i = 0; i < 40; i++) {
                assertThat(after.get(6000 + i)).as("pid of %s", name(i)).isEqualTo(before.get(6000 + i));
                assertThat(checksAfter.get(name(i))).as("healthy checks of %s, not reset", name(i))
                        .isGreaterThanOrEqualTo(checksBefore.get(name(i)));
            }
            // a changed check: the same process, the new endpoint checked
            for (int i = 40; i < 43; i++) {
                assertThat(after.get(6000 + i)).as("pid of %s (its check changed)", name(i))
                        .isEqualTo(before.get(6000 + i));
                String path = "/changed-" + name(i);
                aegis.patiently().until(() -> hits(path) > 2);
            }
            // a changed runtime: its old process stopped, the new one runs
            for (int i = 43; i < 45; i++) {
                assertThat(ProcessHandle.of(before.get(6000 + i)).filter(ProcessHandle::isAlive)).isEmpty();
                int seconds = 7000 + i;
                aegis.patiently().until(() -> pids(aegis).containsKey(seconds));
            }
            // removed: processes gone, series gone
            for (int i = 45; i < 50; i++) {
                assertThat(ProcessHandle.of(before.get(6000 + i)).filter(ProcessHandle::isAlive))
                        .as("process of removed %s", name(i)).isEmpty();
            }
            String metrics = Loopback.body(metricsPort, "/metrics");
            IntStream.range(45, 50).forEach(i -> assertThat(metrics).doesNotContain("service=\"" + name(i) + "\""));
            // added: running and checked
            aegis.patiently().until(() -> IntStream.range(0, 5).allMatch(i -> pids(aegis).containsKey(8000 + i))
                    && healthyChecks().keySet().containsAll(List.of("n00", "n01", "n02", "n03", "n04")));
            // the 40 others: counters grow on from where they were, and their state never changed
            Map<String, Double> settled = healthyChecks();
            aegis.patiently().until(() -> IntStream.range(0, 40).allMatch(i -> healthyChecks().get(name(i))
                    > settled.get(name(i))));
            String sinceReload = aegis.stderr().substring(aegis.stderr().indexOf("reloaded "));
            IntStream.range(0, 40).forEach(i -> assertThat(sinceReload).doesNotContainPattern(name(i)
                    + ": [A-Z]+ -> "));

            // a broken file: every problem at ERROR, nothing changed
            Map<Integer, Long> running = pids(aegis);
            TestConfigs.write(dir, "aegis.yaml", readConfig().replace("interval: 250ms", "interval: soon")
                    .replace("sleep, \"8004\"", "sleep, \"8004\"], nonsense: [1") + service("broken", "/b", 9000)
                    .replace("type: http", "type: htp"));
            aegis.signal("HUP");

            aegis.patiently().untilAsserted(() -> assertThat(aegis.stderr())
                    .containsPattern("\\[ERROR] AegisCommand - the new configuration has \\d+ problems; nothing changed:")
                    .contains("unknown checker type \"htp\"").contains("services[0].interval"));
            assertThat(pids(aegis)).isEqualTo(running);
            assertThat(Loopback.body(metricsPort, "/metrics")).doesNotContain("service=\"broken\"");
            assertThat(aegis.process().isAlive()).isTrue();

            aegis.terminate();
            assertThat(aegis.awaitExit(30).exitCode()).isZero();
        }
    }

    private String readConfig() {
        try {
            return java.nio.file.Files.readString(dir.resolve("aegis.yaml"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The pid of each live {@code sleep N} under aegis, by N. */
    private static Map<Integer, Long> pids(AegisProcess aegis) {
        Map<Integer, Long> pids = new HashMap<>();
        aegis.process().descendants().filter(ProcessHandle::isAlive).forEach(handle -> {
            Matcher matcher = SLEEP.matcher(handle.info().commandLine().orElse(""));
            if (matcher.find()) {
                pids.put(Integer.parseInt(matcher.group(1)), handle.pid());
            }
        });
        return pids;
    }

    /** aegis_health_checks_total{result="healthy"} of every service exported. */
    private Map<String, Double> healthyChecks() {
        Map<String, Double> counts = new HashMap<>();
        Loopback.get(metricsPort, "/metrics").ifPresent(response -> {
            Matcher matcher = HEALTHY_CHECKS.matcher(response.body());
            while (matcher.find()) {
                counts.put(matcher.group(1), Double.parseDouble(matcher.group(2)));
            }
        });
        return counts;
    }
}
