package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The subcommands against a real running aegis (the real executable, a real supervised demo service), as an
 * operator runs them: found through the configuration file, the token from AEGIS_TOKEN.
 */
class ControlCommandsIT {
    private static final String TOKEN = "it-0123456789abcdef";
    private static final Map<String, String> WITH_TOKEN = Map.of("AEGIS_TOKEN", TOKEN);

    @TempDir
    Path dir;

    private Path config(int apiPort, int demoPort, String extra) {
        return TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsEnabled: false
                  stateDir: state
                  api:
                    port: %d
                    token: "${AEGIS_TOKEN}"
                services:
                  - name: demo
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 300ms
                    timeout: 1s
                    startPeriod: 5s
                    runtime:
                      type: process
                      command: [%s, -Xmx64m, -XX:+UseSerialGC, -XX:TieredStopAtLevel=1, -jar, %s, --port=%d]
                      stopGracePeriod: 5s
                      logFile: %s
                %s""".formatted(apiPort, demoPort, TestConfigs.quote(AegisProcess.java().toString()),
                TestConfigs.quote(AegisProcess.demoJar().toString()), demoPort,
                TestConfigs.quote(dir.resolve("demo.log").toString()), extra));
    }

    private static void awaitState(AegisProcess aegis, int apiPort, String service, String state) {
        aegis.patiently().until(() -> Loopback.get(apiPort, "/api/v1/services/" + service)
                .filter(response -> response.body().contains("\"state\":\"" + state + "\"")).isPresent());
    }

    private AegisProcess.Result aegis(Map<String, String> env, String... args) {
        return AegisProcess.run(dir, env, args);
    }

    @Test
    void anOperatorSeesAndActsOnARunningAegis() throws Exception {
        int apiPort = Loopback.freePort();
        int demoPort = Loopback.freePort();
        config(apiPort, demoPort, "");
        try (AegisProcess aegis = AegisProcess.start(dir, WITH_TOKEN, "--config=aegis.yaml")) {
            awaitState(aegis, apiPort, "demo", "HEALTHY");
            long demoPid = aegis.descendant("demo-service.jar").orElseThrow().pid();

            AegisProcess.Result table = aegis(Map.of(), "status");
            assertThat(table.exitCode()).as(table.toString()).isZero();
            assertThat(table.stdout().lines().findFirst()).hasValueSatisfying(header -> assertThat(header)
                    .startsWith("NAME").contains("STATE").contains("LAST CHECK").contains("WORKLOAD"));
            assertThat(table.stdout()).contains("pid " + demoPid).contains("HTTP 200");
            JsonNode json = new ObjectMapper().readTree(aegis(Map.of(), "status", "demo", "-o", "json").stdout());
            assertThat(json.get("state").asText()).isEqualTo("HEALTHY");
            assertThat(json.get("workload").asText()).isEqualTo("pid " + demoPid);

            // changes need the token: refused without it, nothing done
            AegisProcess.Result refused = aegis(Map.of(), "restart", "demo");
            assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
            assertThat(refused.stderr()).contains("needs the API token").contains("set AEGIS_TOKEN");
            assertThat(aegis.descendant("demo-service.jar").orElseThrow().pid()).isEqualTo(demoPid);

            AegisProcess.Result restarted = aegis(WITH_TOKEN, "restart", "demo", "--reason", "new build");
            assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
            assertThat(restarted.stdout()).startsWith("demo: restart");
            aegis.patiently().until(() -> aegis.descendant("demo-service.jar").map(ProcessHandle::pid)
                    .filter(pid -> pid != demoPid).isPresent());

            assertThat(aegis(WITH_TOKEN, "pause", "demo").stdout()).isEqualTo("demo: paused\n");
            assertThat(Loopback.body(apiPort, "/api/v1/services/demo")).contains("\"paused\":true");
            assertThat(aegis(WITH_TOKEN, "resume", "demo").stdout()).isEqualTo("demo: resumed\n");
            AegisProcess.Result isolate = aegis(WITH_TOKEN, "isolate", "demo", "--reason", "debugging");
            assertThat(isolate.stdout()).as(isolate.toString()).isEqualTo("demo: isolated\n");
            awaitState(aegis, apiPort, "demo", "ISOLATED");
            assertThat(aegis(WITH_TOKEN, "reset", "demo").exitCode()).isZero(); // starts over after ISOLATED
            awaitState(aegis, apiPort, "demo", "HEALTHY");

            AegisProcess.Result silenced = aegis(WITH_TOKEN, "silence", "add", "service=demo", "-d", "30m", "-c",
                    "deploying");
            assertThat(silenced.exitCode()).as(silenced.toString()).isZero();
            String id = silenced.stdout().trim();
            assertThat(aegis(Map.of(), "silence", "list").stdout()).contains(id).contains("service=\"demo\"")
                    .contains("deploying");
            assertThat(aegis(WITH_TOKEN, "silence", "expire", id).stdout()).isEqualTo("expired " + id + "\n");
            assertThat(Loopback.body(apiPort, "/api/v1/silences")).isEqualTo("{\"silences\":[]}");

            AegisProcess.Result events = aegis(Map.of(), "events");
            assertThat(events.stdout()).contains("demo  OperatorAction  kind=RESTART  reason=new build")
                    .contains("kind=PAUSE").contains("STARTING -> HEALTHY");

            AegisProcess.Result unknown = aegis(WITH_TOKEN, "restart", "web");
            assertThat(unknown.exitCode()).isEqualTo(1);
            assertThat(unknown.stderr()).isEqualTo("aegis: no service named \"web\"; known: demo\n");
        }
    }

    @Test
    void reloadAppliesTheEditedFileAndABrokenOneChangesNothing() throws Exception {
        int apiPort = Loopback.freePort();
        int demoPort = Loopback.freePort();
        config(apiPort, demoPort, "");
        try (AegisProcess aegis = AegisProcess.start(dir, WITH_TOKEN, "--config=aegis.yaml");
                ServerSocket extra = new ServerSocket(0)) {
            awaitState(aegis, apiPort, "demo", "HEALTHY");
            long demoPid = aegis.descendant("demo-service.jar").orElseThrow().pid();
            try (AegisProcess follower = AegisProcess.start(dir, Map.of(), "events", "--follow")) {
                config(apiPort, demoPort, """
                          - name: extra
                            type: tcp
                            endpoint: 127.0.0.1:%d
                            interval: 300ms
                        """.formatted(extra.getLocalPort()));
                AegisProcess.Result reloaded = aegis(WITH_TOKEN, "reload");
                assertThat(reloaded.exitCode()).as(reloaded.toString()).isZero();
                assertThat(reloaded.stdout()).startsWith("reloaded: 1 added (extra), 0 removed, 0 changed,"
                        + " 1 unchanged");
                awaitState(aegis, apiPort, "extra", "HEALTHY");
                aegis.patiently().until(() -> follower.stdout().contains("ConfigReloaded")
                        && follower.stdout().contains("extra  StateChanged"));
            }
            assertThat(aegis.descendant("demo-service.jar").orElseThrow().pid()).as("untouched").isEqualTo(demoPid);

            Files.writeString(dir.resolve("aegis.yaml"), "services:\n  - name: demo\n    type: htp\n"
                    + "    endpoint: x\n    interval: often\n");
            AegisProcess.Result broken = aegis(WITH_TOKEN, "reload", "--server=http://127.0.0.1:" + apiPort);
            assertThat(broken.exitCode()).as(broken.toString()).isEqualTo(1);
            assertThat(broken.stderr()).contains("the configuration has 2 problems; nothing changed")
                    .contains("aegis.yaml:3:").contains("htp").contains("aegis.yaml:5:");
            AegisProcess.Result after = aegis(Map.of(), "status", "--server=http://127.0.0.1:" + apiPort);
            assertThat(after.stdout()).containsPattern("demo\\s+HEALTHY").containsPattern("extra\\s+HEALTHY");
        }
    }

    @Test
    void theApiAnswersEveryRequestOfAKeptAliveConnectionAtOnce() throws Exception {
        // The JDK server left Nagle's algorithm on: each response's body, a second write after the headers, waited
        // for the client's delayed ACK, 40 ms, on every request after a connection's first (20 took 0.85 s here).
        int apiPort = Loopback.freePort();
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsEnabled: false
                  stateDir: state
                  api: {port: %d}
                services:
                  - name: closed
                    type: tcp
                    endpoint: 127.0.0.1:1
                    interval: 1h
                """.formatted(apiPort));
        try (AegisProcess aegis = AegisProcess.start(dir, Map.of(), "--config=aegis.yaml")) {
            aegis.patiently().until(() -> Loopback.get(apiPort, "/livez").isPresent());
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest services = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/api/v1/services"))
                    .build();
            for (int i = 0; i < 5; i++) { // the connection opened, the handler's code warm
                client.send(services, HttpResponse.BodyHandlers.ofString());
            }

            long started = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                assertThat(client.send(services, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            }
            long millis = (System.nanoTime() - started) / 1_000_000;

            assertThat(millis).as("20 requests on one kept-alive connection, in ms").isLessThan(500);
        }
    }

    @Test
    void withoutARunningAegisTheCommandsSaySoAndExit3() throws IOException {
        int nothing = Loopback.freePort();
        AegisProcess.Result result = aegis(Map.of(), "status", "--server=127.0.0.1:" + nothing);
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.stderr()).isEqualTo("aegis: no aegis is answering at http://127.0.0.1:" + nothing
                + " (connection refused). Is it running, with global.api enabled in its configuration? --server or"
                + " AEGIS_SERVER point to another one.\n");
        // A name that does not resolve was said to be "connection refused" (a hostile review).
        AegisProcess.Result unknownHost = aegis(Map.of(), "status", "--server=http://nonexistent.invalid:9098");
        assertThat(unknownHost.exitCode()).isEqualTo(3);
        assertThat(unknownHost.stderr()).startsWith("aegis: no aegis is answering at http://nonexistent.invalid:9098"
                + " (cannot resolve the host name nonexistent.invalid).");
        AegisProcess.Result help = aegis(Map.of(), "silence", "add", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.stdout()).contains("Usage: aegis silence add", "--duration", "--comment", "--server");
        AegisProcess.Result badServer = aegis(Map.of(), "status", "--server=ftp://x");
        assertThat(badServer.exitCode()).isEqualTo(2);
        assertThat(badServer.stderr()).contains("expected a URL such as http://127.0.0.1:9098");

        try (ServerSocket taken = new ServerSocket(0)) {
            int demoPort = Loopback.freePort();
            config(taken.getLocalPort(), demoPort, "");
            AegisProcess.Result busy = aegis(WITH_TOKEN, "--config=aegis.yaml");
            assertThat(busy.exitCode()).as(busy.toString()).isEqualTo(1);
            assertThat(busy.stderr()).contains("cannot serve the API on 127.0.0.1:" + taken.getLocalPort()
                    + ": the port is in use");
            assertThat(Files.exists(dir.resolve("demo.log"))).as("no workload was started").isFalse();
        }
    }
}
