package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadListener;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code logFiles()}: the file the engine's log analysis follows for a process service without a logs.files path. */
class ProcessRuntimeLogFilesTest {
    @TempDir
    Path tempDir;

    @Test
    void theLogFilesAreTheConfiguredLogFile() {
        Path logFile = tempDir.resolve("app.log");
        try (RuntimeAdapter adapter = new ProcessRuntimeFactory().create(new RuntimeSpec("web",
                Settings.of("services[0].runtime", Map.of("command", List.of("sleep", "60"), "logFile",
                        logFile.toString())), WorkloadListener.NONE, Runnable::run))) {
            assertThat(adapter.logFiles()).containsExactly(logFile);
        }
    }
}
