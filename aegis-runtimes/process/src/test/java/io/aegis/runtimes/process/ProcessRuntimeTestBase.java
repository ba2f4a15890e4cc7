package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadListener;
import io.aegis.api.WorkloadStatus;
import io.aegis.plugin.support.ProcFs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tests of a process runtime with real child processes share: runtimes of service "web" in a temporary
 * state directory, logging to {@link #logFile()}, closed after each test, and the exits they report.
 */
abstract class ProcessRuntimeTestBase {

    static final Duration PROMPTLY = Duration.ofSeconds(10);

    @TempDir
    Path tempDir;

    /** The runtime's pool; its threads are named {@value #BLOCKING_THREAD}, so a test can tell them apart. */
    final ExecutorService blockingExecutor = Executors.newCachedThreadPool(task -> new Thread(task, BLOCKING_THREAD));
    static final String BLOCKING_THREAD = "test-runtime-pool";
    final List<WorkloadStatus> reportedExits = new CopyOnWriteArrayList<>();
    /** Ends told as ones before a stop or restart (the process had ended on its own first). */
    final List<WorkloadStatus> exitsBeforeStop = new CopyOnWriteArrayList<>();
    final List<RuntimeAdapter> adapters = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        adapters.forEach(RuntimeAdapter::close);
        blockingExecutor.shutdownNow();
    }

    RuntimeAdapter runtime(Map<String, ?> runtimeSettings) {
        Map<String, Object> settings = new HashMap<>(runtimeSettings);
        settings.put("type", "process");
        // A file the test reads; the default is in the state directory.
        settings.putIfAbsent("logFile", logFile().toString());
        RuntimeAdapter adapter = new ProcessRuntimeFactory().create(new RuntimeSpec("web",
                Settings.of("services[0].runtime", settings), new WorkloadListener() {
                    @Override
                    public void workloadExited(WorkloadStatus status) {
                        onExit(status);
                        reportedExits.add(status);
                    }

                    @Override
                    public void workloadExitedBeforeStop(WorkloadStatus status) {
                        exitsBeforeStop.add(status);
                    }
                }, blockingExecutor, tempDir));
        adapters.add(adapter);
        return adapter;
    }

    /** Called with each exit the runtime reports, on the thread that reports it, before it is in reportedExits. */
    void onExit(WorkloadStatus status) {
    }

    static <T> T join(CompletionStage<T> stage) {
        return stage.toCompletableFuture().orTimeout(PROMPTLY.toSeconds(), TimeUnit.SECONDS).join();
    }

    static long pid(RuntimeAdapter runtime) {
        WorkloadStatus status = join(runtime.status());
        assertThat(status.state()).as("state of %s", runtime).isEqualTo(WorkloadStatus.State.RUNNING);
        return status.pid().orElseThrow();
    }

    static boolean isRunning(long pid) {
        return ProcessHandle.of(pid).map(ProcFs::isRunning).orElse(false);
    }

    Path logFile() {
        return tempDir.resolve("web.log");
    }

    String log() {
        return read(logFile());
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
