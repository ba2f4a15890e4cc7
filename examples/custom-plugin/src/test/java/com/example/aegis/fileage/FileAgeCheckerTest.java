package com.example.aegis.fileage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.ConfigException;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.HealthStatus;
import io.aegis.api.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileAgeCheckerTest {
    // A fixed "now", so ages are exact: the file's modification time is set relative to it.
    private static final Instant NOW = Instant.parse("2026-01-15T10:00:00Z");
    private final FileAgeCheckerFactory factory = new FileAgeCheckerFactory(Clock.fixed(NOW, ZoneOffset.UTC));

    @TempDir
    Path dir;

    @Test
    void fileModifiedWithinMaxAgeIsHealthy() throws Exception {
        Path heartbeat = heartbeatAged(Duration.ofSeconds(59));

        CheckResult result = check(heartbeat, Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.message()).isEqualTo(heartbeat + " is 59s old (max 60s)");
    }

    @Test
    void fileOlderThanMaxAgeIsUnhealthyWithItsAgeInTheMessage() throws Exception {
        Path heartbeat = heartbeatAged(Duration.ofSeconds(95));

        CheckResult result = check(heartbeat, Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.STATUS);
        assertThat(result.message()).isEqualTo(heartbeat + " is 95s old (max 60s)");
    }

    @Test
    void maxAgeSettingReplacesTheOneMinuteDefault() throws Exception {
        Path heartbeat = heartbeatAged(Duration.ofSeconds(6));

        CheckResult result = check(heartbeat, Map.of("maxAge", "5s"));

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.message()).isEqualTo(heartbeat + " is 6s old (max 5s)");
    }

    @Test
    void agesAreWrittenInSecondsWithATenthOnlyBelowTenSeconds() {
        assertThat(FileAgeChecker.format(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(FileAgeChecker.format(Duration.ofMillis(4854))).isEqualTo("4.8s");
        assertThat(FileAgeChecker.format(Duration.ofSeconds(2))).isEqualTo("2s");
        assertThat(FileAgeChecker.format(Duration.ofMillis(95_900))).isEqualTo("95s");
        assertThat(FileAgeChecker.format(Duration.ofMinutes(1))).isEqualTo("60s");
    }

    @Test
    void missingFileIsUnhealthyAndNotRunning() throws Exception {
        Path missing = dir.resolve("never-written.heartbeat");

        CheckResult result = check(missing, Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.NOT_RUNNING);
        assertThat(result.message()).isEqualTo(missing + " does not exist");
    }

    @Test
    void malformedMaxAgeIsAConfigErrorNamingTheKey() {
        CheckerSpec spec = spec(dir.resolve("app.heartbeat"), Map.of("maxAge", "5 seconds"));

        assertThatThrownBy(() -> factory.create(spec))
                .isInstanceOf(ConfigException.class)
                .hasMessage("services[0].maxAge: expected a duration like 500ms, 5s, 1m or 1h, found \"5 seconds\"");
    }

    @Test
    void zeroMaxAgeIsAConfigErrorNamingTheKey() {
        CheckerSpec spec = spec(dir.resolve("app.heartbeat"), Map.of("maxAge", "0s"));

        assertThatThrownBy(() -> factory.create(spec))
                .isInstanceOf(ConfigException.class)
                .hasMessage("services[0].maxAge: expected a duration above zero, like 30s or 5m, found 0s");
    }

    @Test
    void checkRunsOnTheBlockingExecutorNotTheCallersThread() throws Exception {
        Path heartbeat = heartbeatAged(Duration.ZERO);
        Thread[] ranOn = new Thread[1];
        CheckerSpec spec = CheckerSpec.builder("heartbeat", "file-age", heartbeat.toString())
                .settings(Settings.of("services[0]", Map.of()))
                .blockingExecutor(task -> {
                    Thread thread = new Thread(() -> {
                        ranOn[0] = Thread.currentThread();
                        task.run();
                    }, "test-blocking");
                    thread.start();
                })
                .build();

        CheckResult result = factory.create(spec).check(new CheckContext(1, Duration.ofSeconds(1)))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(result.isPassing()).isTrue();
        assertThat(ranOn[0].getName()).isEqualTo("test-blocking");
    }

    @Test
    void serviceLoaderFindsTheFactoryByItsType() {
        assertThat(ServiceLoader.load(HealthCheckerFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(found -> {
                    assertThat(found).isInstanceOf(FileAgeCheckerFactory.class);
                    assertThat(found.type()).isEqualTo("file-age");
                });
    }

    private Path heartbeatAged(Duration age) throws IOException {
        Path file = Files.writeString(dir.resolve("app.heartbeat"), "alive\n");
        Files.setLastModifiedTime(file, FileTime.from(NOW.minus(age)));
        return file;
    }

    private CheckResult check(Path file, Map<String, ?> settings) throws Exception {
        return factory.create(spec(file, settings)).check(new CheckContext(1, Duration.ofSeconds(1)))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private static CheckerSpec spec(Path file, Map<String, ?> settings) {
        Map<String, Object> block = new HashMap<>(settings);
        block.put("type", "file-age");
        block.put("endpoint", file.toString());
        // No blockingExecutor: the spec's default runs the check on the calling thread, which suits a unit test.
        return CheckerSpec.builder("heartbeat", "file-age", file.toString())
                .settings(Settings.of("services[0]", block))
                .build();
    }
}
