package io.aegis.httpapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.aegis.core.Engine;
import io.aegis.core.ServiceDefinition;
import io.aegis.core.ServiceState;
import io.aegis.core.event.OperatorAction;
import io.aegis.testkit.LoopbackPorts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.Color;

/**
 * The status page at {@code /} in a real headless Chromium, served by a real {@link ApiServer} over a real engine:
 * "db" is checked over HTTP against a loopback server this test stops and starts, "web" is a real child process
 * under the process runtime that this test kills. The page is loaded once per test and must follow what happens
 * from the event stream alone: a marker set on {@code window} must survive every change (a reload would lose it).
 */
class StatusPageBrowserTest {
    private static final Duration AWAIT = Duration.ofSeconds(10);
    private static final String TOKEN = "status-page-test-token-0123456789";
    private static final String NO_RELOAD = "window.aegisTestMarker";

    @TempDir
    static Path dir;

    private static final List<OperatorAction> actions = new CopyOnWriteArrayList<>();
    private static ChromeDriver browser;
    private static HttpServer db;
    private static int dbPort;
    private static int webPort;
    private static Engine engine;
    private static ApiServer api;

    @BeforeAll
    static void start() throws IOException {
        browser = HeadlessChromium.start(1200, 800); // first: without a browser nothing else is started
        db = startDb(0);
        dbPort = db.getAddress().getPort();
        webPort = LoopbackPorts.free();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-cp", classesOf(HealthServerMain.class),
                HealthServerMain.class.getName(), String.valueOf(webPort)));
        engine = Engine.builder().metricsEnabled(false).stateDirectory(dir.resolve("state"))
                .listener(OperatorAction.class, actions::add)
                .service(ServiceDefinition.builder("web").check("http", "http://127.0.0.1:" + webPort + "/health")
                        .interval(Duration.ofMillis(200)).timeout(Duration.ofSeconds(1)).failureThreshold(1)
                        .startPeriod(Duration.ZERO).onFailure("notify")
                        .runtime("process", Map.of("command", command, "logFile", dir.resolve("web.log").toString(),
                                "stopGracePeriod", "1s"))
                        .build())
                .service(ServiceDefinition.builder("db").check("http", "http://127.0.0.1:" + dbPort + "/health")
                        .interval(Duration.ofMillis(200)).timeout(Duration.ofSeconds(1)).failureThreshold(1)
                        .onFailure("notify").build())
                .build().start();
        api = ApiServer.builder(engine).host("127.0.0.1").port(0).build().start();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (api != null) {
            api.close();
        }
        if (engine != null) {
            engine.close();
        }
        if (db != null) {
            db.stop(0);
        }
    }

    @BeforeEach
    void everyServiceHealthy() {
        await().atMost(Duration.ofSeconds(20)).until(() -> engine.services().stream()
                .allMatch(service -> service.state() == ServiceState.HEALTHY));
        actions.clear();
    }

    @Test
    void pageLoadsWithoutConsoleErrorsAndShowsEveryServiceGreen() {
        open(api);

        patiently().untilAsserted(() -> {
            assertThat(row("web").getDomAttribute("data-state")).isEqualTo("HEALTHY");
            assertThat(row("db").getDomAttribute("data-state")).isEqualTo("HEALTHY");
        });
        assertThat(hue(badge("db"))).isEqualTo("green");
        assertThat(badge("db").getText()).isEqualTo("HEALTHY");
        assertThat(browser.findElement(By.id("summary")).getText()).isEqualTo("2 services: 2 healthy");
        patiently().untilAsserted(() -> assertThat(browser.findElement(By.id("connection"))
                .getDomAttribute("data-connection")).isEqualTo("live"));
        // the sparkline fills from the event stream's checks
        patiently().until(() -> !row("db").findElements(By.cssSelector(".sparkline svg polyline")).isEmpty());
        assertThat(row("db").findElement(By.cssSelector(".check-age")).getText()).matches("just now|\\d+ s ago");
        assertThat(buttons("db")).as("no token configured, loopback only: actions allowed")
                .filteredOn(WebElement::isDisplayed).extracting(button -> button.getDomAttribute("data-action"))
                .containsExactly("restart", "reset", "pause", "isolate"); // resume only when paused
        assertThat(HeadlessChromium.consoleErrors(browser)).as("browser console errors").isEmpty();
        assertThat((String) browser.executeScript(
                "return Array.from(document.querySelectorAll('script[src],link[href],img[src]'))"
                        + ".map(e => e.src || e.href).filter(u => !u.startsWith(location.origin) && !u.startsWith('data:'))"
                        + ".join(' ')"))
                .as("nothing fetched from elsewhere").isEmpty();
    }

    @Test
    void aServiceWhoseEndpointGoesAwayTurnsRedAndBackToGreenWithoutAReload() throws IOException {
        open(api);
        patiently().until(() -> "HEALTHY".equals(row("db").getDomAttribute("data-state")));

        db.stop(0);

        patiently().untilAsserted(() -> assertThat(row("db").getDomAttribute("data-state"))
                .isEqualTo("UNHEALTHY"));
        assertThat(hue(badge("db"))).isEqualTo("red");
        assertThat(browser.findElement(By.id("summary")).getText()).startsWith("2 services: 1 failing, 1 healthy");
        assertThat(browser.findElements(By.cssSelector("[data-service]")).get(0).getDomAttribute("data-service"))
                .as("a failing service comes first").isEqualTo("db");

        db = startDb(dbPort);

        patiently().untilAsserted(() -> assertThat(row("db").getDomAttribute("data-state"))
                .isEqualTo("HEALTHY"));
        assertThat(hue(badge("db"))).isEqualTo("green");
        assertThat(browser.executeScript("return " + NO_RELOAD)).as("the page was not reloaded").isEqualTo("set");
        assertThat(HeadlessChromium.consoleErrors(browser)).as("browser console errors").isEmpty();
    }

    @Test
    void theRestartButtonRestartsAKilledServiceAfterAConfirmation() {
        open(api);
        patiently().until(() -> "HEALTHY".equals(row("web").getDomAttribute("data-state")));
        ProcessHandle child = webProcess();

        child.destroyForcibly();

        patiently().untilAsserted(() -> assertThat(row("web").getDomAttribute("data-state"))
                .isEqualTo("UNHEALTHY"));
        assertThat(hue(badge("web"))).isEqualTo("red");

        row("web").findElement(By.cssSelector("button[data-action='restart']")).click();
        WebElement dialog = browser.findElement(By.id("confirm"));
        patiently().until(dialog::isDisplayed);
        assertThat(actions).as("nothing is sent before the confirmation").isEmpty();
        dialog.findElement(By.id("confirm-reason")).sendKeys("killed in a test");
        dialog.findElement(By.cssSelector("button[data-confirm]")).click();

        patiently().untilAsserted(() -> assertThat(actions)
                .extracting(OperatorAction::serviceName, OperatorAction::kind, OperatorAction::reason)
                .containsExactly(tuple("web", OperatorAction.Kind.RESTART,
                        "killed in a test")));
        patiently().untilAsserted(() -> assertThat(row("web").getDomAttribute("data-state"))
                .isEqualTo("HEALTHY"));
        assertThat(hue(badge("web"))).isEqualTo("green");
        assertThat(webProcess().pid()).as("a new process").isNotEqualTo(child.pid());
        patiently().untilAsserted(() -> {
            WebElement lastAction = row("web").findElement(By.cssSelector(".last-action"));
            assertThat(lastAction.getDomAttribute("data-last-action")).isEqualTo("RESTART");
            assertThat(lastAction.getText()).startsWith("Restart by an operator — killed in a test");
        });
        assertThat(dialog.isDisplayed()).isFalse();
        assertThat(browser.executeScript("return " + NO_RELOAD)).as("the page was not reloaded").isEqualTo("set");
        assertThat(HeadlessChromium.consoleErrors(browser)).as("browser console errors").isEmpty();
    }

    @Test
    void withATokenConfiguredTheButtonsAppearOnlyOnceTheTokenIsEntered() throws Exception {
        try (ApiServer guarded = ApiServer.builder(engine).host("127.0.0.1").port(0).token(TOKEN).build().start()) {
            open(guarded);
            patiently().until(() -> "HEALTHY".equals(row("db").getDomAttribute("data-state")));
            WebElement tokenField = browser.findElement(By.id("token-input"));
            assertThat(tokenField.isDisplayed()).isTrue();
            assertThat(buttons("db")).isNotEmpty().noneMatch(WebElement::isDisplayed);

            tokenField.sendKeys("not-the-token-at-all-0000");
            browser.findElement(By.cssSelector("#token-form button[type='submit']")).click();
            patiently().until(() -> buttons("db").stream().anyMatch(WebElement::isDisplayed));
            pauseDb();
            patiently().untilAsserted(() -> assertThat(browser.findElement(By.id("confirm-error")).getText())
                    .startsWith("The token was refused"));
            assertThat(buttons("db")).as("a refused token is forgotten").noneMatch(WebElement::isDisplayed);
            assertThat(actions).isEmpty();
            browser.findElement(By.id("confirm-cancel")).click();

            browser.findElement(By.id("token-input")).sendKeys(TOKEN);
            browser.findElement(By.cssSelector("#token-form button[type='submit']")).click();
            pauseDb();

            patiently().untilAsserted(() -> assertThat(actions)
                    .extracting(OperatorAction::serviceName, OperatorAction::kind)
                    .containsExactly(tuple("db", OperatorAction.Kind.PAUSE)));
            assertThat(browser.executeScript("return sessionStorage.getItem('aegis.token')")).isEqualTo(TOKEN);

            guarded.close(); // the event stream is lost: the page says so instead of showing old states as live
            patiently().untilAsserted(() -> {
                assertThat(browser.findElement(By.id("connection")).getDomAttribute("data-connection"))
                        .isIn("reconnecting", "offline");
                assertThat(browser.findElement(By.id("banner")).getText()).startsWith("Live updates lost");
            });
        } finally {
            engine.resume("db", "end of the token test").join();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static void open(ApiServer server) {
        browser.get("http://127.0.0.1:" + server.port() + "/");
        HeadlessChromium.consoleErrors(browser); // from here on, this page's
        browser.executeScript(NO_RELOAD + " = 'set'");
    }

    private static void pauseDb() {
        WebElement pause = row("db").findElement(By.cssSelector("button[data-action='pause']"));
        patiently().until(pause::isDisplayed);
        pause.click();
        WebElement dialog = browser.findElement(By.id("confirm"));
        patiently().until(dialog::isDisplayed);
        dialog.findElement(By.cssSelector("button[data-confirm]")).click();
    }

    /**
     * Awaits up to {@link #AWAIT}, trying again while the element looked for is not rendered yet or was just replaced
     * by the page's next render (both happen between two polls).
     */
    private static ConditionFactory patiently() {
        return await().atMost(AWAIT).ignoreExceptionsMatching(
                e -> e instanceof NoSuchElementException || e instanceof StaleElementReferenceException);
    }

    private static WebElement row(String service) {
        return browser.findElement(By.cssSelector("[data-service='" + service + "']"));
    }

    private static WebElement badge(String service) {
        return row(service).findElement(By.cssSelector(".badge"));
    }

    private static List<WebElement> buttons(String service) {
        return row(service).findElements(By.cssSelector("button[data-action]"));
    }

    /** "red", "green", "amber" or "grey": what a person sees of the element's background. */
    private static String hue(WebElement element) {
        java.awt.Color colour = Color.fromString(element.getCssValue("background-color")).getColor();
        float[] hsb = java.awt.Color.RGBtoHSB(colour.getRed(), colour.getGreen(), colour.getBlue(), null);
        if (hsb[1] < 0.25f) {
            return "grey";
        }
        float degrees = hsb[0] * 360;
        return degrees < 20 || degrees >= 330 ? "red" : degrees < 65 ? "amber" : degrees < 170 ? "green" : "other";
    }

    private static ProcessHandle webProcess() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .filter(process -> commandLine(process).contains(HealthServerMain.class.getName() + "\0" + webPort))
                .findFirst().orElseThrow(() -> new AssertionError("no live child process runs web"));
    }

    private static String commandLine(ProcessHandle process) {
        try {
            return Files.readString(Path.of("/proc", String.valueOf(process.pid()), "cmdline"));
        } catch (IOException e) {
            return ""; // gone meanwhile
        }
    }

    private static String classesOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpServer startDb(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        server.createContext("/health", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        return server;
    }
}
