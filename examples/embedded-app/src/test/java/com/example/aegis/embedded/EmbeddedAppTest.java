package com.example.aegis.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.core.ServiceSnapshot;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class EmbeddedAppTest {
    private static final Duration PATIENCE = Duration.ofSeconds(15);
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<String> lines = new CopyOnWriteArrayList<>();

    @Test
    void printsApiUnhealthyWhenItsDependencyAnswers503AndHealthyAgainOnceItRecovers() throws Exception {
        try (EmbeddedApp app = EmbeddedApp.start(0, 0, null, lines::add)) {
            awaitLineStartingWith("api: UNKNOWN -> HEALTHY (");

            post(app.dependencyPort(), "/health/fail");

            awaitLineStartingWith("api: HEALTHY -> UNHEALTHY (");
            assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("api: HEALTHY -> UNHEALTHY (")
                    .contains("503"));
            awaitLineStartingWith("api: notify SUCCEEDED (");
            awaitLineStartingWith("api: ALERT ServiceUnhealthy ");

            post(app.dependencyPort(), "/health/recover");

            awaitLineStartingWith("api: UNHEALTHY -> HEALTHY (");
        }
    }

    @Test
    void servesMetricsForItsServices() throws Exception {
        try (EmbeddedApp app = EmbeddedApp.start(0, 0, null, lines::add)) {
            awaitLineStartingWith("api: UNKNOWN -> HEALTHY (");

            String metrics = get(app.metricsPort(), "/metrics");

            assertThat(metrics).contains("aegis_service_status{service=\"api\"}")
                    .contains("aegis_service_status{service=\"api-port\"}")
                    .contains("embedded_app_health_requests_total");
        }
    }

    @Test
    void closeReleasesBothPortsAndStopsEveryEngineThread() throws Exception {
        EmbeddedApp app = EmbeddedApp.start(0, 0, null, lines::add);
        awaitLineStartingWith("api: UNKNOWN -> HEALTHY (");
        int dependencyPort = app.dependencyPort();
        int metricsPort = app.metricsPort();

        app.close();

        assertThat(canBind(dependencyPort)).as("dependency port %d is free", dependencyPort).isTrue();
        assertThat(canBind(metricsPort)).as("metrics port %d is free", metricsPort).isTrue();
        // Pools are shut down by close(); an idle thread may take a moment to see it and end.
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .filteredOn(thread -> thread.getName().startsWith("aegis-") && thread.isAlive())
                .extracting(Thread::getName)
                .isEmpty());
    }

    @Test
    void addsItsCodeDefinedServicesToThoseOfTheYamlConfiguration() throws Exception {
        // The module's own aegis.yaml: surefire runs in the module directory.
        try (EmbeddedApp app = EmbeddedApp.start(0, 0, Path.of("aegis.yaml"), lines::add)) {
            assertThat(app.services()).extracting(ServiceSnapshot::name).containsExactly("api", "api-port");
            awaitLineStartingWith("api: UNKNOWN -> HEALTHY (");
        }
    }

    private void awaitLineStartingWith(String prefix) {
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(lines).anyMatch(line -> line.startsWith(prefix)));
    }

    private void post(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri(port, path))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("POST %s", path).isIn(200, 503);
    }

    private String get(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri(port, path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s", path).isEqualTo(200);
        return response.body();
    }

    private static URI uri(int port, String path) {
        return URI.create("http://localhost:" + port + path);
    }

    private static boolean canBind(int port) {
        try (ServerSocket socket = new ServerSocket(port)) {
            return socket.isBound();
        } catch (IOException e) {
            return false;
        }
    }
}
