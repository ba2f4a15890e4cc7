package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code logs:} block as the engine checks it when it is built, knowing every service (of the file and of code)
 * and every installed log source type and runtime.
 */
class LogAnalysisConfigTest {
    private static final String API = """
            services:
              - name: api
                type: http
                endpoint: http://localhost:8080/health
            """;

    @TempDir
    Path tempDir;

    private Iterable<String> errors(String yaml) throws Exception {
        Path file = tempDir.resolve("aegis.yaml");
        Files.writeString(file, yaml);
        try (Engine engine = Engine.builder().metricsEnabled(false).stateDirectory(tempDir.resolve("state"))
                .config(file).build()) {
            return java.util.List.of();
        } catch (InvalidConfigurationException e) {
            return e.errors().stream().map(line -> line.substring(file.toString().length() + 1)).toList();
        }
    }

    @Test
    void aServiceNobodyDefinedIsReportedWithWhatItMayHaveMeant() throws Exception {
        assertThat(errors(API + """
                logs:
                  files:
                    - service: apii
                      path: /var/log/api.log
                  patterns:
                    - name: oom
                      pattern: OutOfMemoryError
                      services: [api, worker]
                """)).containsExactly(
                "7:16: logs.files[0].service: no service named \"apii\"; did you mean \"api\"?",
                // the files entry meant for it names another: api itself has nothing to follow
                "12:18: logs.patterns[0].services[0]: service \"api\" has no log aegis can follow (it has no"
                        + " runtime: block); add a files: entry for it with a path:, such as path: /var/log/api/*.log",
                "12:23: logs.patterns[0].services[1]: no service named \"worker\" (services: api)");
    }

    @Test
    void aPatternNamingAServiceWithNothingToFollowIsAMistakeButOneForEveryServiceIsNot() throws Exception {
        assertThat(errors(API + """
                logs:
                  patterns: [{name: oom, pattern: OutOfMemoryError, services: [api]}]
                """)).singleElement().asString().endsWith("logs.patterns[0].services: service \"api\" has no log"
                + " aegis can follow (it has no runtime: block); add a files: entry for it with a path:, such as"
                + " path: /var/log/api/*.log");
        // a remote service has no log here: a pattern for every service simply does not look at it
        assertThat(errors(API + """
                logs:
                  patterns: [{name: oom, pattern: OutOfMemoryError}]
                """)).isEmpty();
    }

    @Test
    void aRuntimeWhoseLogSourceFailsIsReportedOnceWithItsReason() throws Exception {
        assertThat(errors("""
                services:
                  - name: worker
                    type: test-pass
                    endpoint: x
                    runtime: {type: test-recording, throwOnLogSource: true}
                logs:
                  patterns: [{name: oom, pattern: OutOfMemoryError, services: [worker]}]
                """)).singleElement().asString().contains("runtime.type").contains("no log stream today");
    }

    @Test
    void aServiceDefinedInCodeMayBeNamedByTheLogsBlockOfAConfiguration() {
        AegisConfig config = AegisConfig.parse("""
                logs:
                  files: [{service: worker, path: /var/log/worker.log}]
                  patterns: [{name: oom, pattern: OutOfMemoryError, services: [worker]}]
                """, "aegis.yaml", Map.of());
        try (Engine engine = Engine.builder().metricsEnabled(false).config(config)
                .service(ServiceDefinition.builder("worker").check("tcp", "localhost:1").interval(Duration.ofMinutes(1))
                        .build())
                .build()) {
            assertThat(engine.configurationWarnings()).isEmpty();
        }
    }

    @Test
    void actionRestartOnAServiceWithoutARuntimeIsAConfigErrorSayingWhatToDo() throws Exception {
        assertThat(errors(API + """
                logs:
                  files: [{service: api, path: /var/log/api.log}]
                  patterns:
                    - name: oom
                      pattern: OutOfMemoryError
                      action: restart
                """)).containsExactly("10:15: logs.patterns[0].action: action: restart needs a runtime to restart, and"
                + " service \"api\" has none; add a runtime: block to it, or use action: ladder");
    }

    @Test
    void anUnknownSourceTypeListsTheInstalledOnes() throws Exception {
        assertThat(errors(API + """
                logs:
                  files: [{service: api, type: journal, unit: api.service}]
                  patterns: [{name: oom, pattern: OutOfMemoryError}]
                """)).singleElement().asString().startsWith("6:32: logs.files[0].type: unknown log source type"
                + " \"journal\" (installed: ").contains("file");
    }

    @Test
    void anEntryWithoutPathNeedsARuntimeThatWritesALogFile() throws Exception {
        assertThat(errors(API + """
                logs:
                  files: [{service: api}]
                  patterns: [{name: oom, pattern: OutOfMemoryError}]
                """)).containsExactly("6:21: logs.files[0].service: service \"api\" has no runtime whose output aegis"
                + " can follow (it has no runtime: block); add a path: to this entry, such as path:"
                + " /var/log/api/*.log");
    }

    @Test
    void theFileSourceReportsAMissingPathOfAFileEntryThroughItsFactory() throws Exception {
        assertThat(errors(API + """
                logs:
                  files: [{service: api, path: ""}]
                  patterns: [{name: oom, pattern: OutOfMemoryError}]
                """)).singleElement().asString().contains("logs.files[0].path:");
    }

    @Test
    void everyMistakeOfTheBlockIsReportedInOneRunWithTheChecksThatNeedTheServices() throws Exception {
        Iterable<String> errors = errors("""
                services:
                  - name: worker
                    type: script
                    endpoint: /bin/true
                  - name: web
                    type: script
                    endpoint: /bin/true
                    runtime: {type: process, command: "sleep 1000", shell: true}
                logs:
                  enabled: yes-please
                  scan_interval: fast
                  bogusKey: 1
                  maxLineLength: 99GB
                  files:
                    - service: wroker
                      path: /tmp/x.log
                    - service: worker
                    - service: web
                      path: /var/log/web.log
                  patterns:
                    - name: OOM
                      pattern: "(?i)(out of memory"
                      severity: CRITICALL
                      threshold: {count: 0, within: -5s}
                      action: restrat
                    - name: OOM
                      pattern: "["
                      threshold: {count: five}
                      action: restart
                      services: [nosuch]
                    - name: Panic
                      pattern: "panic:"
                      action: restart
                      services: [worker]
                    - pattern: x
                      resolveAfter: -1m
                """);

        assertThat(errors).as(String.join("\n", errors)).anySatisfy(error -> assertThat(error)
                .startsWith("15:16: logs.files[0].service: no service named \"wroker\""))
                .anySatisfy(error -> assertThat(error).startsWith("17:16: logs.files[1].service: service \"worker\""
                        + " has no runtime whose output aegis can follow"))
                .anySatisfy(error -> assertThat(error).startsWith("30:7: logs.patterns[1].services: no service named"
                        + " \"nosuch\""))
                .anySatisfy(error -> assertThat(error).startsWith("33:15: logs.patterns[2].action: action: restart needs a"
                        + " runtime to restart, and service \"worker\" has none"))
                .anySatisfy(error -> assertThat(error).contains("logs.patterns[0].pattern:"))
                .anySatisfy(error -> assertThat(error).contains("logs.patterns[1].name:"))
                .anySatisfy(error -> assertThat(error).contains("logs.patterns[3].name:"))
                .anySatisfy(error -> assertThat(error).contains("logs.maxLineLength:"))
                .anySatisfy(error -> assertThat(error).contains("logs.bogusKey"));
    }
}
