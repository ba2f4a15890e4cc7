package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code aegis} executable analyzing the output of a {@code process} service it supervises (its own log
 * file, not named in {@code logs.files}): the service prints {@code java.lang.OutOfMemoryError} once while its health
 * check keeps passing, the seed's OutOfMemory pattern with {@code action: restart} matches it, aegis restarts the
 * service (through its recovery, not a person's restart), the pattern's alert fires and resolves after the pattern's
 * quiet period, and the metrics show the lines and the match.
 */
@Timeout(120)
class LogAnalysisIT {
    @TempDir
    Path dir;

    @Test
    void aProcessServiceThatPrintsOutOfMemoryErrorIsRestartedByItsLogPatternAndTheAlertFiresThenResolves()
            throws Exception {
        int metricsPort = Loopback.freePort();
        Path marker = dir.resolve("oom-printed");
        // The first run prints the error once (after a few ordinary lines), the next runs do not: one restart.
        String script = ("echo \"worker $$ starting\"; i=0; while [ $i -lt 20 ]; do echo \"request $i done\"; i=$((i+1));"
                + " done; if [ ! -e %1$s ]; then sleep 1; touch %1$s;"
                + " echo 'Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space'; fi;"
                + " while :; do sleep 1; done").formatted(marker);
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsPort: %d
                  metricsHost: 127.0.0.1
                  stateDir: state
                services:
                  - name: worker
                    type: script
                    endpoint: /bin/true
                    interval: 500ms
                    runtime:
                      type: process
                      command: %s
                      shell: true
                logs:
                  enabled: true
                  scan_interval: "1s"
                  patterns:
                    - name: "OutOfMemory"
                      pattern: "(?i)(out of memory|java\\\\.lang\\\\.OutOfMemoryError)"
                      severity: "CRITICAL"
                      description: "Out of memory error detected"
                      action: restart
                      resolveAfter: 3s
                """.formatted(metricsPort, TestConfigs.quote(script)));

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(aegis.stderr())
                    .contains("worker: ALERT OutOfMemory [critical]"));
            aegis.patiently().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                    Loopback.body(metricsPort, "/metrics")).contains(
                    "aegis_service_restarts_total{service=\"worker\"} 1.0",
                    "aegis_log_matches_total{pattern=\"OutOfMemory\",service=\"worker\",severity=\"critical\"} 1.0"));
            aegis.patiently().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(aegis.stderr())
                    .contains("worker: RESOLVED OutOfMemory"));

            String log = aegis.stderr();
            assertThat(log).as("aegis' log:%n%s", log)
                    .containsPattern("worker: restart \\(attempt 1\\): log pattern OutOfMemory matched in \\S*output"
                            + "\\.log:\\d+: Exception in thread \"main\" java\\.lang\\.OutOfMemoryError")
                    .doesNotContain("restarting at a person's request");
            assertThat(count(log, "worker: started pid")).as("the first start and one restart in:%n%s", log)
                    .isEqualTo(2);
            String metrics = Loopback.body(metricsPort, "/metrics");
            assertThat(lines(metrics)).as("lines read").isGreaterThanOrEqualTo(22);
            assertThat(metrics).containsPattern("aegis_log_bytes_read_total\\{service=\"worker\"} [1-9]")
                    .contains("aegis_service_restarts_total{service=\"worker\"} 1.0")
                    .contains("aegis_log_matches_total{pattern=\"OutOfMemory\",service=\"worker\",severity=\"critical\"}"
                            + " 1.0");
            assertThat(Files.exists(dir.resolve("state/logs/worker/runtime"))).as("positions kept in the state dir")
                    .isTrue();
        }
    }

    private static double lines(String metrics) {
        Matcher matcher = Pattern.compile("aegis_log_lines_total\\{service=\"worker\"} (\\S+)").matcher(metrics);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : -1;
    }

    private static int count(String text, String regex) {
        Matcher matcher = Pattern.compile(regex).matcher(text);
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }

    @Test
    void validateReportsEveryMistakeOfTheLogsBlockInOneRunThoseThatNeedTheServicesIncluded() {
        TestConfigs.write(dir, "bad.yaml", """
                services:
                  - name: worker
                    type: script
                    endpoint: /bin/true
                logs:
                  files:
                    - service: worker
                  patterns:
                    - name: OOM
                      pattern: "(out of memory"
                      services: [nosuch]
                    - name: Panic
                      pattern: "panic:"
                      action: restart
                      services: [worker]
                """);

        AegisProcess.Result result = AegisProcess.run(dir, "--config=bad.yaml", "--validate");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result)
                .contains("bad.yaml:7:16: logs.files[0].service: service \"worker\" has no runtime")
                .contains("bad.yaml:10:16: logs.patterns[0].pattern: expected a regular expression")
                .contains("bad.yaml:11:7: logs.patterns[0].services: no service named \"nosuch\"")
                .contains("bad.yaml:14:15: logs.patterns[1].action: action: restart needs a runtime")
                .doesNotContain("Exception", "\tat ");
    }
}
