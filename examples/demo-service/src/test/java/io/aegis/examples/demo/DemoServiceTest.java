package io.aegis.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The demo service on a free loopback port, called over real HTTP. */
class DemoServiceTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<DemoService> started = new ArrayList<>();

    @AfterEach
    void stopServices() {
        started.forEach(DemoService::stop);
    }

    @Test
    void isHealthyByDefaultWithTheBodiesItAlwaysHad() throws Exception {
        DemoService demo = start("--port=0");

        assertThat(get(demo, "/health")).satisfies(response -> {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("{\"status\":\"UP\"}");
        });
        assertThat(get(demo, "/").body()).isEqualTo("hello from demo-service\n");
    }

    @Test
    void unhealthyAnswers503FromTheStartLikeABadRelease() throws Exception {
        DemoService demo = start("--port=0", "--unhealthy");

        assertThat(get(demo, "/health")).satisfies(response -> {
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).isEqualTo("{\"status\":\"DOWN\"}");
        });
        assertThat(get(demo, "/").statusCode()).as("it still serves /").isEqualTo(200);
    }

    @Test
    void versionIsReportedOnTheRootAndInTheHealthBody() throws Exception {
        DemoService demo = start("--port=0", "--version=1.4");

        assertThat(get(demo, "/").body()).isEqualTo("hello from demo-service version 1.4\n");
        assertThat(get(demo, "/health").body()).isEqualTo("{\"status\":\"UP\",\"version\":\"1.4\"}");
    }

    @Test
    void failStillTurnsAHealthyServiceUnhealthy() throws Exception {
        DemoService demo = start("--port=0", "--version=2.0");

        HttpResponse<String> failed = http.send(HttpRequest.newBuilder(uri(demo, "/health/fail"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(failed.statusCode()).isEqualTo(200);
        assertThat(get(demo, "/health")).satisfies(response -> {
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).isEqualTo("{\"status\":\"DOWN\",\"version\":\"2.0\"}");
        });
    }

    @Test
    void badArgumentsAreRejectedSayingWhich() {
        assertThatThrownBy(() -> DemoService.Options.parse("--port=70000"))
                .hasMessage("--port: expected a number from 0 to 65535, found '70000'");
        assertThatThrownBy(() -> DemoService.Options.parse("--version=a\"b"))
                .hasMessageStartingWith("--version: expected printable text");
        assertThatThrownBy(() -> DemoService.Options.parse("--healthy"))
                .hasMessage("unknown argument: --healthy");
        assertThat(DemoService.Options.parse()).isEqualTo(new DemoService.Options(DemoService.DEFAULT_PORT, null, false));
    }

    private DemoService start(String... args) throws IOException {
        DemoService demo = DemoService.start(DemoService.Options.parse(args));
        started.add(demo);
        return demo;
    }

    private HttpResponse<String> get(DemoService demo, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(demo, path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(DemoService demo, String path) {
        return URI.create("http://127.0.0.1:" + demo.port() + path);
    }
}
