package io.aegis.core.internal.logs;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.Severity;
import io.aegis.core.internal.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code logs:} block: the seed's keys as written, ours, their defaults, and every mistake at once. */
class LogsConfigTest {
    private static final String API = """
            services:
              - name: api
                type: http
                endpoint: http://localhost:8080/health
            """;

    private static ConfigLoader.LoadedConfig load(String yaml) {
        return ConfigLoader.load(yaml, "aegis.yaml", Map.of());
    }

    @Test
    void theSeedsLogsBlockLoadsAsWritten() throws IOException {
        String seed;
        try (InputStream in = LogsConfigTest.class.getResourceAsStream("/io/aegis/core/seed-config.yaml")) {
            seed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        ConfigLoader.LoadedConfig loaded = load(seed);

        assertThat(loaded.report().lines()).isEmpty();
        LogsConfig logs = loaded.logsConfig();
        assertThat(logs.enabled()).isTrue();
        assertThat(logs.scanInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(logs.files()).singleElement().satisfies(file -> {
            assertThat(file.service()).isEqualTo("example-service");
            assertThat(file.type()).isEqualTo("file");
            assertThat(file.hasPath()).isTrue();
            assertThat(file.settings().string("path")).contains("/path/to/example-service.log");
        });
        assertThat(logs.patterns()).singleElement().satisfies(pattern -> {
            assertThat(pattern.name()).isEqualTo("OutOfMemory");
            assertThat(pattern.regex()).isEqualTo("(?i)(out of memory|java\\.lang\\.OutOfMemoryError)");
            assertThat(pattern.severity()).isEqualTo(Severity.CRITICAL);
            assertThat(pattern.description()).isEqualTo("Out of memory error detected");
            assertThat(pattern.count()).isEqualTo(1);
            assertThat(pattern.action()).isEqualTo(LogsConfig.Action.NONE);
            assertThat(pattern.resolveAfter()).isEqualTo(Duration.ofMinutes(5));
            assertThat(pattern.services()).isEmpty();
        });
    }

    @Test
    void readsEveryKeyOfOursWithItsDefaults() {
        LogsConfig logs = load(API + """
                logs:
                  scanInterval: 2s
                  fromBeginning: true
                  maxLineLength: 1MB
                  resolveAfter: 10m
                  files:
                    - service: api
                      path: /var/log/api/*.log
                      fromBeginning: false
                    - service: api
                  patterns:
                    - name: OutOfMemory
                      pattern: OutOfMemoryError
                      threshold: {count: 5, within: 30s}
                      services: [api]
                      action: restart
                      resolveAfter: 1m
                    - name: Panic
                      pattern: "panic:"
                      action: ladder
                """).logsConfig();

        assertThat(logs.enabled()).as("a logs: block without enabled: false is on").isTrue();
        assertThat(logs.scanInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(logs.fromBeginning()).isTrue();
        assertThat(logs.maxLineLength()).isEqualTo(1024 * 1024);
        assertThat(logs.resolveAfter()).isEqualTo(Duration.ofMinutes(10));
        assertThat(logs.files()).extracting(LogsConfig.FileEntry::fromBeginning, LogsConfig.FileEntry::hasPath)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(false, true),
                        org.assertj.core.groups.Tuple.tuple(true, false));
        LogsConfig.PatternEntry oom = logs.patterns().get(0);
        assertThat(oom.count()).isEqualTo(5);
        assertThat(oom.within()).isEqualTo(Duration.ofSeconds(30));
        assertThat(oom.services()).containsExactly("api");
        assertThat(oom.action()).isEqualTo(LogsConfig.Action.RESTART);
        assertThat(oom.resolveAfter()).isEqualTo(Duration.ofMinutes(1));
        assertThat(oom.severity()).as("default").isEqualTo(Severity.WARNING);
        LogsConfig.PatternEntry panic = logs.patterns().get(1);
        assertThat(panic.action()).isEqualTo(LogsConfig.Action.LADDER);
        assertThat(panic.resolveAfter()).as("the block's").isEqualTo(Duration.ofMinutes(10));
        assertThat(panic.description()).isEqualTo("a log line matched pattern Panic");
    }

    @Test
    void defaultsWithoutABlockAndWithEnabledFalse() {
        assertThat(load(API).logsConfig().enabled()).isFalse();
        LogsConfig off = load(API + "logs:\n  enabled: false\n  patterns: [{name: a, pattern: b}]\n").logsConfig();
        assertThat(off.enabled()).isFalse();
        LogsConfig defaults = load(API + "logs:\n  patterns: [{name: a, pattern: b}]\n").logsConfig();
        assertThat(defaults.scanInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaults.maxLineLength()).isEqualTo(64 * 1024);
        assertThat(defaults.resolveAfter()).isEqualTo(Duration.ofMinutes(5));
        assertThat(defaults.fromBeginning()).isFalse();
    }

    @Test
    void reportsEveryMistakeAtOnceWithFileLineColumnKeyPathAndWhatWasExpected() {
        List<String> problems = load(API + """
                logs:
                  scan_interval: 0s
                  maxLineLength: lots
                  resolveAfter: soon
                  files:
                    - path: /var/log/x.log
                      from_beginning: true
                  patterns:
                    - name: oom
                      pattern: "(?i)(out of memory"
                      threshold: {count: 0, within: never}
                      action: reboot
                      services: api
                    - name: oom
                      pattern: "[a-"
                      severity: FATAL
                      threshold: {within: 1m, cnt: 3}
                """).report().lines();

        assertThat(problems).containsExactlyInAnyOrder(
                "aegis.yaml:6:18: logs.scan_interval: expected a duration above zero like 500ms, 5s, 1m or 1h,"
                        + " found \"0s\"",
                "aegis.yaml:7:18: logs.maxLineLength: expected a size from 1 byte to 16MB, such as 64KB, 1MB or 65536"
                        + " (bytes), found \"lots\"",
                "aegis.yaml:8:17: logs.resolveAfter: expected a duration like 500ms, 5s, 1m or 1h, found \"soon\"",
                "aegis.yaml:10:7: logs.files[0].service: missing: expected the name of a service defined under"
                        + " services",
                "aegis.yaml:11:7: logs.files[0].from_beginning: unknown key \"from_beginning\"; did you mean"
                        + " \"fromBeginning\"?",
                "aegis.yaml:14:16: logs.patterns[0].pattern: expected a regular expression, found \"(?i)(out of"
                        + " memory\" (Unclosed group near index 18)",
                "aegis.yaml:15:26: logs.patterns[0].threshold.count: expected a whole number from 1 to 1000000,"
                        + " found 0",
                "aegis.yaml:15:37: logs.patterns[0].threshold.within: expected a duration like 500ms, 5s, 1m or 1h,"
                        + " found \"never\"",
                "aegis.yaml:16:15: logs.patterns[0].action: expected restart (restart the workload, with the backoff"
                        + " and budget of its recovery) or ladder (start the service's actions.onFailure ladder, as a"
                        + " failed check would), found \"reboot\"",
                "aegis.yaml:18:13: logs.patterns[1].name: another pattern is already named \"oom\"; names must be"
                        + " unique",
                "aegis.yaml:19:16: logs.patterns[1].pattern: expected a regular expression, found \"[a-\" (Illegal"
                        + " character range near index 3)",
                "aegis.yaml:20:17: logs.patterns[1].severity: expected one of INFO, WARNING, CRITICAL, found \"FATAL\"",
                "aegis.yaml:21:7: logs.patterns[1].threshold.count: missing: expected how many matches within the"
                        + " window make an alert, such as count: 5",
                "aegis.yaml:21:31: logs.patterns[1].threshold.cnt: unknown key \"cnt\"; expected one of: count, within");
    }

    @Test
    void sizesAcceptTheUsualUnits() {
        assertThat(LogsConfig.parseSize("65536")).contains(65536L);
        assertThat(LogsConfig.parseSize("64KB")).contains(65536L);
        assertThat(LogsConfig.parseSize("64 KiB")).contains(65536L);
        assertThat(LogsConfig.parseSize("1mb")).contains(1048576L);
        assertThat(LogsConfig.parseSize("1.5MB")).isEmpty();
        assertThat(LogsConfig.parseSize("KB")).isEmpty();
    }
}
