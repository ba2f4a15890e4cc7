package io.aegis.runtimes.nomad;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Starts a fake Nomad agent per test and creates runtimes against it. */
abstract class NomadTestSupport {

    static final String A1 = "8ba85cef-2f5a-1d5e-2f0a-9e1c3b8c7e31";
    static final String A2 = "3f2a1b9c-0d4e-4f5a-8b6c-7d8e9f0a1b2c";
    static final String A3 = "c0ffee00-1111-2222-3333-444455556666";
    static final String TOKEN = "5f6a1a2b-secret-token";

    /** Short enough that reconnects are quick, long enough for a loaded machine. */
    static final NomadRuntimeFactory.Timings TIMINGS = new NomadRuntimeFactory.Timings(Duration.ofSeconds(10),
            Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofMillis(400));

    @TempDir
    Path stateDirectory;

    FakeNomadServer nomad;
    final ExecutorService blocking = Executors.newCachedThreadPool();
    final BlockingQueue<WorkloadStatus> exits = new LinkedBlockingQueue<>();
    private final List<RuntimeAdapter> created = new java.util.ArrayList<>();

    @BeforeEach
    void startFakeNomad() throws Exception {
        nomad = new FakeNomadServer();
        nomad.requireToken(TOKEN);
        // job web in namespace shop: versions 5 (current, unstable), 4 and 3 stable; groups api and worker
        nomad.job("web", "shop", 5, List.of(3L, 4L), List.of("api", "worker"), 2);
        nomad.allocation("web", A1, "api", "running", 5);
        nomad.allocation("web", A2, "api", "running", 5);
        nomad.allocation("web", A3, "worker", "running", 5);
    }

    @AfterEach
    void stopEverything() {
        created.forEach(RuntimeAdapter::close);
        nomad.close();
        blocking.shutdownNow();
    }

    Map<String, Object> settings() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("type", "nomad");
        values.put("address", nomad.address());
        values.put("token", TOKEN);
        values.put("namespace", "shop");
        values.put("job", "web");
        values.put("group", "api");
        return values;
    }

    RuntimeAdapter runtime(Map<String, Object> settings) {
        return runtime(settings, TIMINGS);
    }

    RuntimeAdapter runtime(Map<String, Object> settings, NomadRuntimeFactory.Timings timings) {
        RuntimeAdapter adapter = new NomadRuntimeFactory(Map.of(), timings).create(new RuntimeSpec("web",
                Settings.of("services.web.runtime", settings), exits::add, blocking, stateDirectory));
        created.add(adapter);
        return adapter;
    }

    static void join(java.util.concurrent.CompletionStage<?> stage) {
        stage.toCompletableFuture().orTimeout(20, TimeUnit.SECONDS).join();
    }

    /** The message of the exception a failed stage carries, as the engine shows it. */
    static String failure(java.util.concurrent.CompletionStage<?> stage) {
        try {
            join(stage);
        } catch (CompletionException e) {
            return e.getCause().getMessage();
        }
        throw new AssertionError("the stage did not fail");
    }
}
