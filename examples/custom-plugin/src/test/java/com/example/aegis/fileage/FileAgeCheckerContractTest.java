package com.example.aegis.fileage;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.Settings;
import io.aegis.testkit.HealthCheckerContract;
import io.aegis.testkit.Misconfiguration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules every checker keeps (aegis-testkit): returns without blocking, completes in time, releases everything
 * on close, reports bad settings by key path, is registered for ServiceLoader. A file-age checker connects nowhere,
 * so the kit's network rules (a target that never answers, a refused port) do not apply and are skipped.
 */
class FileAgeCheckerContractTest extends HealthCheckerContract {
    @TempDir
    Path dir;

    @Override
    protected HealthCheckerFactory factory() {
        return new FileAgeCheckerFactory();
    }

    @Override
    protected CheckerSpec.Builder healthyTarget() throws Exception {
        Path heartbeat = Files.writeString(dir.resolve("worker.heartbeat"), "alive\n");
        return CheckerSpec.builder("worker", "file-age", heartbeat.toString())
                .settings(Settings.of("services[0]", Map.of("maxAge", "1m")));
    }

    @Override
    protected List<Misconfiguration<CheckerSpec.Builder>> misconfigurations() {
        return List.of(Misconfiguration.at("services[0].maxAge",
                CheckerSpec.builder("worker", "file-age", dir.resolve("worker.heartbeat").toString())
                        .settings(Settings.of("services[0]", Map.of("maxAge", "soon")))));
    }
}
