package io.aegis.runtimes.process.contract;

import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.Settings;
import io.aegis.runtimes.process.ProcessRuntimeFactory;
import io.aegis.testkit.Misconfiguration;
import io.aegis.testkit.RuntimeAdapterContract;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The {@code process} runtime against the SPI's rules: its child must not outlive the adapter's close. */
class ProcessRuntimeContractTest extends RuntimeAdapterContract {
    @TempDir
    Path dir;

    @Override
    protected RuntimeAdapterFactory factory() {
        return new ProcessRuntimeFactory();
    }

    @Override
    protected Settings workload() {
        return Settings.of("services[0].runtime", Map.of("command", List.of("sleep", "600"),
                "stopGracePeriod", "2s", "logFile", dir.resolve("sleep.log").toString()));
    }

    @Override
    protected List<Misconfiguration<Settings>> misconfigurations() {
        return List.of(
                Misconfiguration.at("services[0].runtime.command", Settings.of("services[0].runtime",
                        Map.of("command", List.of()))),
                Misconfiguration.at("services[0].runtime.stopGracePeriod", Settings.of("services[0].runtime",
                        Map.of("command", List.of("sleep", "600"), "stopGracePeriod", "a while"))));
    }
}
