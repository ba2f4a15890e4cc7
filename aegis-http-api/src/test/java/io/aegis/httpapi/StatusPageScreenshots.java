package io.aegis.httpapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.core.Engine;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.testkit.LoopbackPorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * Takes the README's screenshots of the status page: services in several states, desktop and phone sizes, light
 * and dark. Runs only when asked: {@code mvn -B -q verify -pl aegis-http-api -am -Dtest=StatusPageScreenshots
 * -Dsurefire.failIfNoSpecifiedTests=false -Daegis.screenshots=$PWD/docs/screenshots}.
 */
class StatusPageScreenshots {
    private static final Map<String, ServiceState> EXPECTED = Map.of("web", ServiceState.HEALTHY,
            "db", ServiceState.HEALTHY, "search", ServiceState.DEGRADED, "payments-api", ServiceState.UNHEALTHY,
            "batch-worker", ServiceState.ISOLATED);

    @TempDir
    Path dir;

    @Test
    void screenshotsOfTheStatusPage() throws Exception {
        String target = System.getProperty("aegis.screenshots");
        Assumptions.assumeTrue(target != null && !target.isBlank(),
                "screenshots are taken only with -Daegis.screenshots=<folder>");
        Path out = Files.createDirectories(Path.of(target));
        int nobody = LoopbackPorts.free(); // payments-api: its process is gone, nothing answers there
        Duration interval = Duration.ofMillis(300);
        try (Engine engine = Engine.builder().metricsEnabled(false).stateDirectory(dir.resolve("state"))
                .service(process("web", 20, 2, interval).build())
                .service(ServiceDefinition.builder("payments-api")
                        .check("http", "http://127.0.0.1:" + nobody + "/health").interval(interval)
                        .timeout(Duration.ofMillis(250)).failureThreshold(1).onFailure("notify").build())
                .service(process("search", 25, 45, interval)
                        .checkerSetting("expect", Map.of("maxResponseTime", "40ms")).build())
                .service(process("batch-worker", 6, 1, interval).build())
                .service(process("db", 4, 1, interval).build())
                .build().start();
             ApiServer api = ApiServer.builder(engine).host("127.0.0.1").port(0).build().start()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> engine.services().stream()
                    .filter(s -> s.state() == ServiceState.HEALTHY || s.state() == ServiceState.DEGRADED).count() == 4);
            engine.isolate("batch-worker", "debugging a memory leak").get();
            await().atMost(Duration.ofSeconds(30)).until(() -> engine.services().stream()
                    .allMatch(s -> s.state() == EXPECTED.get(s.name())));

            ChromeDriver browser = HeadlessChromium.start(1200, 800);
            try {
                browser.get("http://127.0.0.1:" + api.port() + "/");
                // sparklines of 25 checks or more, filled from the event stream
                await().atMost(Duration.ofSeconds(30)).until(() -> Long.valueOf(5).equals(browser.executeScript(
                        "return Array.from(document.querySelectorAll('.sparkline polyline'))"
                                + ".filter(line => line.getAttribute('points').split(' ').length >= 25).length")));
                assertThat(HeadlessChromium.consoleErrors(browser)).isEmpty();
                viewport(browser, 1200, 800);
                shoot(browser, out.resolve("status-page-desktop.png"));

                viewport(browser, 390, 844);
                shoot(browser, out.resolve("status-page-phone.png"));

                browser.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                        List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
                viewport(browser, 1200, 800);
                shoot(browser, out.resolve("status-page-dark.png"));
            } finally {
                browser.quit();
            }
        }
    }

    private ServiceDefinition.Builder process(String name, int jitterMs, int delayMs, Duration interval)
            throws IOException {
        int port = LoopbackPorts.free();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", Path.of(HealthServerMain.class.getProtectionDomain().getCodeSource()
                        .getLocation().getPath()).toString(),
                HealthServerMain.class.getName(), String.valueOf(port), String.valueOf(jitterMs),
                String.valueOf(delayMs));
        return ServiceDefinition.builder(name).check("http", "http://127.0.0.1:" + port + "/health")
                .interval(interval).timeout(Duration.ofMillis(250)).startPeriod(Duration.ofSeconds(10))
                .onFailure("notify")
                .runtime("process", Map.of("command", command, "logFile", dir.resolve(name + ".log").toString(),
                        "stopGracePeriod", "1s", "isolate", Map.of("command", List.of("true"))));
    }

    /** Sizes the window so that the page itself (not the window) is {@code width} x {@code height}. */
    private static void viewport(ChromeDriver browser, int width, int height) {
        browser.manage().window().setSize(new Dimension(width, height));
        long innerWidth = (Long) browser.executeScript("return window.innerWidth");
        long innerHeight = (Long) browser.executeScript("return window.innerHeight");
        browser.manage().window().setSize(new Dimension(2 * width - (int) innerWidth, 2 * height - (int) innerHeight));
    }

    private static void shoot(ChromeDriver browser, Path file) throws IOException {
        Path shot = browser.getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, file, StandardCopyOption.REPLACE_EXISTING);
    }
}
