package io.aegis.runtimes.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import io.aegis.api.LogSink;
import io.aegis.api.LogSource;
import io.aegis.api.LogSourceSpec;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadListener;
import io.aegis.plugin.support.DaemonThreadFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docker runtime's log source against a real Docker engine ({@code DOCKER_HOST}; see {@link DockerFixture}):
 * the container's stdout and stderr, across restarts and replacements of the container, a restart of the source
 * (aegis) and an engine that goes away. Lines are written into the container's output by {@code docker exec} onto
 * PID 1's stdout or stderr, so a test says exactly when each is written. The scan interval is long: what wakes the
 * source is the runtime's event stream.
 */
class DockerLogSourceTest {
    private static final Duration SCAN = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static DockerFixture fixture;
    private static ExecutorService pool;
    private static String image;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private DockerRuntimeFactory factory;

    @TempDir
    Path state;

    @BeforeAll
    static void connect() throws Exception {
        fixture = DockerFixture.connect();
        pool = Executors.newCachedThreadPool(new DaemonThreadFactory("test-docker-logs"));
        image = "aegis-test-" + fixture.runId + "/logs:sleeper";
        fixture.importImage("aegis-test-" + fixture.runId + "/logs", "sleeper", "[\"sleep\",\"3600\"]");
    }

    @AfterAll
    static void cleanUp() {
        if (pool != null) {
            pool.shutdownNow();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @BeforeEach
    void newFactory() {
        factory = new DockerRuntimeFactory(Duration.ofMillis(100));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        factory.close();
    }

    @Test
    void linesOfStdoutAndStderrArriveOnceInOrderWithTheirOrigins() throws Exception {
        String script = "i=0; while [ $i -lt 300 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done; exec sleep 3600";
        RuntimeAdapter runtime = runtime("both", List.of("sh", "-c", script), fixture.host);
        Lines lines = follow(runtime, "both", state, 64 * 1024);
        complete(runtime.start());

        String name = fixture.name("both");
        await().atMost(WAIT).until(() -> lines.of("container " + name + " stderr").size() >= 300);
        await().atMost(WAIT).until(() -> lines.of("container " + name + " stdout").size() >= 300);
        List<String> out = new ArrayList<>();
        List<String> err = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            out.add("out" + i);
            err.add("err" + i);
        }
        assertThat(lines.of("container " + name + " stdout")).isEqualTo(out);
        assertThat(lines.of("container " + name + " stderr")).isEqualTo(err);
        assertThat(lines.numbers("container " + name + " stdout")).startsWith(1L, 2L, 3L);
        assertThat(lines.bytes).isEqualTo(300L * ("out0\n".length() + "err0\n".length())
                + 2L * (90 * 1 + 200 * 2)); // out10..out99 one digit more, out100..out299 two
        assertThat(lines.problems).isEmpty();
    }

    @Test
    void theSourceFollowsTheContainerThroughARestartAndAReplacementDeliveringEachLineOnce() throws Exception {
        RuntimeAdapter runtime = runtime("restarted", List.of("sh", "-c", "echo run; exec sleep 3600"), fixture.host);
        Lines lines = follow(runtime, "restarted", state, 64 * 1024);
        complete(runtime.start());
        String origin = "container " + fixture.name("restarted") + " stdout";
        await().atMost(WAIT).until(() -> lines.of(origin).size() >= 1);
        String first = complete(runtime.status()).id().orElseThrow();

        complete(runtime.restart()); // the same container, a new run: its log holds both runs
        await().atMost(WAIT).until(() -> lines.of(origin).size() >= 2);
        write(first, 1, "after the restart");
        await().atMost(WAIT).until(() -> lines.of(origin).size() >= 3);

        fixture.docker.removeContainerCmd(first).withForce(true).exec(); // gone: the restart creates a new one
        complete(runtime.restart());
        String second = complete(runtime.status()).id().orElseThrow();
        assertThat(second).isNotEqualTo(first);
        await().atMost(WAIT).until(() -> lines.of(origin).size() >= 4);
        write(second, 2, "from the new container");
        await().atMost(WAIT).until(() -> lines.all().size() >= 5);
        assertThat(lines.of(origin)).containsExactly("run", "run", "after the restart", "run");
        assertThat(lines.of("container " + fixture.name("restarted") + " stderr"))
                .containsExactly("from the new container");
        assertThat(lines.numbers(origin)).as("numbered on across runs").containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void aLineLongerThanTheLimitIsCutAndALongOneUnderItComesWhole() throws Exception {
        // 2^17 = 131072 bytes: Docker splits it into 16 KB messages, each with the same timestamp
        String script = "s=x; i=0; while [ $i -lt 17 ]; do s=$s$s; i=$((i+1)); done; echo $s; echo after;"
                + " exec sleep 3600";
        RuntimeAdapter runtime = runtime("long", List.of("sh", "-c", script), fixture.host);
        Lines cut = follow(runtime, "long", state.resolve("cut"), 1000);
        Lines whole = follow(runtime, "long", state.resolve("whole"), 200_000);
        complete(runtime.start());
        String origin = "container " + fixture.name("long") + " stdout";

        await().atMost(WAIT).until(() -> cut.of(origin).size() >= 2 && whole.of(origin).size() >= 2);
        assertThat(cut.of(origin).get(0)).isEqualTo("x".repeat(1000));
        assertThat(cut.cut).containsExactly(true, false);
        assertThat(cut.of(origin).get(1)).isEqualTo("after");
        assertThat(whole.of(origin).get(0)).isEqualTo("x".repeat(131_072));
        assertThat(whole.cut).containsExactly(false, false);
        assertThat(cut.bytes).as("counted whole").isEqualTo(131_073 + "after\n".length());
    }

    @Test
    void aRestartedSourceReplaysNothingAndMissesNothingWrittenWhileItWasAway() throws Exception {
        RuntimeAdapter runtime = runtime("again", List.of("sh", "-c", "echo one; exec sleep 3600"), fixture.host);
        LogSource first = source(runtime, "again", state, 64 * 1024);
        Lines before = new Lines();
        first.start(before);
        complete(runtime.start());
        String id = complete(runtime.status()).id().orElseThrow();
        await().atMost(WAIT).until(() -> before.all().size() >= 1);
        write(id, 1, "two");
        write(id, 2, "two on stderr");
        String longLine = "y".repeat(40_000); // three messages of one timestamp: the position counts them
        write(id, 1, longLine);
        await().atMost(WAIT).until(() -> before.all().size() >= 4);
        first.close();

        write(id, 1, "three");
        write(id, 2, "four");
        LogSource second = source(runtime, "again", state, 64 * 1024); // the next aegis run: same state directory
        Lines after = new Lines();
        second.start(after);
        await().atMost(WAIT).until(() -> after.all().size() >= 2);
        write(id, 1, "five");
        await().atMost(WAIT).until(() -> after.all().size() >= 3);
        assertThat(after.all()).containsExactly("three", "four", "five");
        assertThat(before.all()).containsExactly("one", "two", "two on stderr", longLine);
    }

    @Test
    void aFirstStartOnARunningContainerBeginsAtTheEndUnlessFromBeginning() throws Exception {
        RuntimeAdapter adopter = runtime("adopted", List.of("sh", "-c", "echo old; exec sleep 3600"), fixture.host);
        complete(adopter.start());
        String id = complete(adopter.status()).id().orElseThrow();
        await().atMost(WAIT).until(() -> new String(logsOf(id), StandardCharsets.UTF_8).contains("old"));
        adopter.close();

        // the next aegis run adopts the running container, without a position
        RuntimeAdapter runtime = runtime("adopted", List.of("sh", "-c", "echo old; exec sleep 3600"), fixture.host);
        complete(runtime.start());
        assertThat(complete(runtime.status()).id()).contains(id);
        Lines tail = follow(runtime, "adopted", state.resolve("tail"), 64 * 1024);
        LogSource all = ((DockerRuntime) runtime).logSource(spec("adopted", state.resolve("all"), 64 * 1024, true))
                .orElseThrow();
        closeables.add(all);
        Lines everything = new Lines();
        all.start(everything);
        await().atMost(WAIT).until(() -> everything.all().size() >= 1);
        write(id, 1, "new");
        await().atMost(WAIT).until(() -> tail.all().size() >= 1 && everything.all().size() >= 2);
        assertThat(tail.all()).containsExactly("new");
        assertThat(everything.all()).containsExactly("old", "new");
    }

    @Test
    void aContainerWithATtyIsReadAsTheRawStreamItIs() throws Exception {
        String name = fixture.name("tty");
        String id = fixture.docker.createContainerCmd(image).withName(name).withLabels(fixture.labels()).withTty(true)
                .withCmd("sh", "-c", "echo with a tty; exec sleep 3600")
                .withHostConfig(HostConfig.newHostConfig().withInit(true)).exec().getId();
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("type", "docker");
        settings.put("host", fixture.host);
        settings.put("container", name);
        settings.put("stopTimeout", "1s");
        RuntimeAdapter runtime = factory.create(new RuntimeSpec("tty-" + fixture.runId,
                Settings.of("services.tty.runtime", settings), WorkloadListener.NONE, pool, state));
        closeables.add(runtime);
        Lines lines = follow(runtime, "tty", state.resolve("logs"), 64 * 1024);
        complete(runtime.start());
        await().atMost(WAIT).until(() -> lines.all().size() >= 1);
        write(id, 1, "second");
        await().atMost(WAIT).until(() -> lines.all().size() >= 2);
        assertThat(lines.of("container " + name + " stdout")).containsExactly("with a tty", "second");
    }

    @Test
    void anEngineThatGoesAwayIsSaidOnceAndTheLinesWrittenMeanwhileComeOnceItIsBack(@TempDir Path proxyDirectory)
            throws Exception {
        assumeTrue(fixture.host.startsWith("unix://"), "the engine proxy needs a unix:// DOCKER_HOST, not "
                + fixture.host);
        try (EngineProxy engine = new EngineProxy(proxyDirectory, fixture.host)) {
            RuntimeAdapter runtime = runtime("away", List.of("sh", "-c", "echo before; exec sleep 3600"),
                    engine.host());
            Lines lines = follow(runtime, "away", state, 64 * 1024);
            complete(runtime.start());
            String id = complete(runtime.status()).id().orElseThrow();
            await().atMost(WAIT).until(() -> lines.all().size() >= 1);

            engine.down();
            await().atMost(WAIT).until(() -> !lines.problems.isEmpty());
            write(id, 1, "while away"); // straight to the engine, not through the proxy
            write(id, 2, "also while away");
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                    .until(() -> lines.all().size() == 1);
            engine.up();

            await().atMost(WAIT).until(() -> lines.all().size() >= 3);
            write(id, 1, "after");
            await().atMost(WAIT).until(() -> lines.all().size() >= 4);
            assertThat(lines.all()).containsExactly("before", "while away", "also while away", "after");
            assertThat(lines.problems).hasSize(1);
            assertThat(lines.problems.get(0)).startsWith("service \"away-" + fixture.runId + "\": ")
                    .contains("on the Docker engine at " + engine.host())
                    .endsWith("; following it again once the engine answers");
        }
    }

    @Test
    void closeStopsTheReaderAtOnceAndDeliversNothingAfter() throws Exception {
        RuntimeAdapter runtime = runtime("closed", List.of("sh", "-c", "echo one; exec sleep 3600"), fixture.host);
        LogSource source = source(runtime, "closed", state, 64 * 1024);
        Lines lines = new Lines();
        source.start(lines);
        complete(runtime.start());
        String id = complete(runtime.status()).id().orElseThrow();
        await().atMost(WAIT).until(() -> lines.all().size() >= 1);
        String thread = "aegis-docker-logs-closed-" + fixture.runId;
        assertThat(threadAlive(thread)).isTrue();

        long before = System.nanoTime();
        source.close(); // the stream is idle: a blocked read
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(5));
        assertThat(threadAlive(thread)).as("the reader thread ended").isFalse();
        write(id, 1, "two");
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> lines.all().size() == 1);
    }

    @Test
    void closingTheRuntimeClosesItsLogSources() throws Exception {
        RuntimeAdapter runtime = runtime("owner", List.of("sh", "-c", "echo one; exec sleep 3600"), fixture.host);
        Lines lines = follow(runtime, "owner", state, 64 * 1024);
        complete(runtime.start());
        await().atMost(WAIT).until(() -> lines.all().size() >= 1);
        String thread = "aegis-docker-logs-owner-" + fixture.runId;
        assertThat(threadAlive(thread)).isTrue();

        runtime.close(); // an embedder that closes only the runtime leaves no reader behind
        assertThat(threadAlive(thread)).isFalse();
    }

    // ----------------------------------------------------------------------------------------- helpers

    private RuntimeAdapter runtime(String what, List<String> command, String host) throws java.io.IOException {
        java.nio.file.Files.createDirectories(state.resolve("runtime-" + what));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("type", "docker");
        settings.put("host", host);
        settings.put("image", image);
        settings.put("name", fixture.name(what));
        settings.put("pull", "never");
        settings.put("init", true);
        settings.put("stopTimeout", "1s");
        settings.put("labels", fixture.labels());
        settings.put("command", command);
        String service = what + "-" + fixture.runId;
        RuntimeAdapter runtime = factory.create(new RuntimeSpec(service,
                Settings.of("services." + service + ".runtime", settings), WorkloadListener.NONE, pool,
                state.resolve("runtime-" + what)));
        closeables.add(runtime);
        return runtime;
    }

    private LogSourceSpec spec(String what, Path directory, int maxLineLength, boolean fromBeginning) {
        return new LogSourceSpec(what + "-" + fixture.runId, Settings.of("logs", Map.of()), fromBeginning,
                maxLineLength, SCAN, Optional.of(directory), pool);
    }

    private LogSource source(RuntimeAdapter runtime, String what, Path directory, int maxLineLength) {
        LogSource source = runtime.logSource(spec(what, directory, maxLineLength, false)).orElseThrow();
        closeables.add(source);
        return source;
    }

    private Lines follow(RuntimeAdapter runtime, String what, Path directory, int maxLineLength) {
        Lines lines = new Lines();
        source(runtime, what, directory, maxLineLength).start(lines);
        return lines;
    }

    private static <T> T complete(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    /** Writes a line to the container's stdout (1) or stderr (2), as its own process would. */
    private static void write(String container, int fd, String line) throws InterruptedException {
        String exec = fixture.docker.execCreateCmd(container).withCmd("sh", "-c", "echo '" + line + "' > /proc/1/fd/"
                + fd).withAttachStdout(true).withAttachStderr(true).exec().getId();
        fixture.docker.execStartCmd(exec).exec(new ResultCallback.Adapter<Frame>()).awaitCompletion(10,
                TimeUnit.SECONDS);
        assertThat(fixture.docker.inspectExecCmd(exec).exec().getExitCodeLong()).as("exec writing " + line)
                .isZero();
    }

    private static byte[] logsOf(String container) throws InterruptedException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        fixture.docker.logContainerCmd(container).withStdOut(true).withStdErr(true)
                .exec(new ResultCallback.Adapter<Frame>() {
                    @Override
                    public void onNext(Frame frame) {
                        out.writeBytes(frame.getPayload());
                    }
                }).awaitCompletion(10, TimeUnit.SECONDS);
        return out.toByteArray();
    }

    private static boolean threadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    /** What a source delivered, in order. */
    private static final class Lines implements LogSink {
        private final List<String[]> lines = new ArrayList<>();
        final List<Boolean> cut = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile long bytes;

        @Override
        public synchronized void line(String origin, long lineNumber, byte[] b, int offset, int length,
                boolean wasCut) {
            lines.add(new String[] {origin, Long.toString(lineNumber),
                new String(b, offset, length, StandardCharsets.UTF_8)});
            cut.add(wasCut);
        }

        @Override
        public synchronized void bytesRead(long count) {
            bytes += count;
        }

        @Override
        public void problem(String sentence) {
            problems.add(sentence);
        }

        synchronized List<String> all() {
            return lines.stream().map(l -> l[2]).toList();
        }

        synchronized List<String> of(String origin) {
            return lines.stream().filter(l -> l[0].equals(origin)).map(l -> l[2]).toList();
        }

        synchronized List<Long> numbers(String origin) {
            return lines.stream().filter(l -> l[0].equals(origin)).map(l -> Long.parseLong(l[1])).toList();
        }
    }
}
