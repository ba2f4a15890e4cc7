package io.aegis.runtimes.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Frame;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadListener;
import io.aegis.api.WorkloadStatus;
import io.aegis.plugin.support.DaemonThreadFactory;
import io.aegis.plugin.support.ProcFs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docker runtime against a real Docker engine ({@code DOCKER_HOST}); see {@link DockerFixture} for the engine,
 * the image and the clean-up. Containers run busybox {@code sleep} under {@code --init} with a one-second stop
 * timeout, so they stop at once.
 */
class DockerRuntimeTest {
    private static DockerFixture fixture;
    private static ExecutorService pool;
    private static String repository;
    private static String sleeper;

    private final List<RuntimeAdapter> runtimes = new ArrayList<>();
    private DockerRuntimeFactory factory;

    @TempDir
    Path state;

    @BeforeAll
    static void connect() throws Exception {
        fixture = DockerFixture.connect();
        pool = Executors.newCachedThreadPool(new DaemonThreadFactory("test-docker-runtime"));
        repository = "aegis-test-" + fixture.runId + "/app";
        sleeper = fixture.importImage(repository, "sleeper", "[\"sleep\",\"3600\"]");
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
        factory = new DockerRuntimeFactory(Duration.ofMillis(300));
    }

    @AfterEach
    void closeRuntimes() {
        runtimes.forEach(RuntimeAdapter::close);
        factory.close();
    }

    // -------------------------------------------------------------------------------------------- start

    @Test
    void startCreatesTheContainerLabelledAndRecordedThenANewAegisAdoptsIt() throws Exception {
        String service = "adopt-" + fixture.runId;
        RuntimeAdapter first = runtime(service, imageSettings(repository + ":sleeper", "adopt"), WorkloadListener.NONE,
                state);
        complete(first.start());
        WorkloadStatus running = complete(first.status());
        assertThat(running.isRunning()).isTrue();
        assertThat(running.pid()).isPresent();
        assertThat(running.version()).contains(sleeper);
        InspectContainerResponse container = fixture.docker.inspectContainerCmd(running.id().orElseThrow()).exec();
        assertThat(container.getName()).isEqualTo("/" + fixture.name("adopt"));
        assertThat(container.getConfig().getLabels()).containsEntry("io.aegis.service", service);
        assertThat(ContainerRecord.read(state).orElseThrow().containerId()).contains(container.getId());
        first.close();

        DockerRuntimeFactory second = new DockerRuntimeFactory(Duration.ofMillis(300));
        try {
            RuntimeAdapter again = second.create(spec(service, imageSettings(repository + ":sleeper", "adopt"),
                    WorkloadListener.NONE, state));
            complete(again.start());
            WorkloadStatus adopted = complete(again.status());
            assertThat(adopted.id()).as("the same container, adopted").isEqualTo(running.id());
            assertThat(adopted.pid()).as("still the same process").isEqualTo(running.pid());
            again.close();
        } finally {
            second.close();
        }
    }

    @Test
    void startReplacesItsContainerWhenTheTagNowPointsToAnotherImage() throws Exception {
        String tag = "moving-" + fixture.runId;
        String before = fixture.importImage(repository, tag, "[\"sleep\",\"3600\"]");
        Map<String, Object> settings = imageSettings(repository + ":" + tag, "moving");
        RuntimeAdapter first = runtime("moving-" + fixture.runId, settings, WorkloadListener.NONE, state);
        complete(first.start());
        String firstId = complete(first.status()).id().orElseThrow();
        first.close();

        String after = fixture.importImage(repository, tag, "[\"sleep\",\"3601\"]");
        RuntimeAdapter second = runtime("moving-" + fixture.runId, settings, WorkloadListener.NONE, state);
        complete(second.start());
        WorkloadStatus status = complete(second.status());
        assertThat(status.version()).contains(after).isNotEqualTo(Optional.of(before));
        assertThat(status.id()).isNotEqualTo(Optional.of(firstId));
        assertThat(fixture.docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(firstId)).exec())
                .as("the replaced container is removed").isEmpty();
    }

    @Test
    void startOfASupervisedContainerStartsItAndTheEngineLeavesItRunning() throws Exception {
        String name = fixture.name("existing");
        fixture.docker.createContainerCmd(sleeper).withName(name).withLabels(fixture.labels())
                .withHostConfig(com.github.dockerjava.api.model.HostConfig.newHostConfig().withInit(true)).exec();
        Recorder exits = new Recorder();
        RuntimeAdapter runtime = runtime("existing-" + fixture.runId, containerSettings(name), exits, state);
        assertThat(runtime.outlivesEngine()).isTrue();
        assertThat(runtime.supportedOperations()).doesNotContain(RuntimeOperation.ROLLBACK)
                .contains(RuntimeOperation.ISOLATE, RuntimeOperation.RESTART);

        complete(runtime.start());
        WorkloadStatus status = complete(runtime.status());
        assertThat(status.isRunning()).isTrue();
        assertThat(fixture.docker.inspectContainerCmd(name).exec().getState().getRunning()).isTrue();

        kill(status.pid().getAsLong());
        WorkloadStatus exited = exits.next();
        assertThat(exited.exitCode()).hasValue(137);
        assertThat(exited.id()).isEqualTo(status.id());
    }

    @Test
    void aSupervisedContainerRecreatedUnderTheSameNameIsFollowed() throws Exception {
        String name = fixture.name("redeployed");
        String first = fixture.docker.createContainerCmd(sleeper).withName(name).withLabels(fixture.labels())
                .withHostConfig(com.github.dockerjava.api.model.HostConfig.newHostConfig().withInit(true)).exec()
                .getId();
        Recorder exits = new Recorder();
        RuntimeAdapter runtime = runtime("redeployed-" + fixture.runId, containerSettings(name), exits, state);
        complete(runtime.start());

        // a deploy tool replaces it: the old one dies and is removed, a new one starts under the same name
        fixture.docker.removeContainerCmd(first).withForce(true).exec();
        assertThat(exits.next().id()).contains(first);
        String second = fixture.docker.createContainerCmd(sleeper).withName(name).withLabels(fixture.labels())
                .withHostConfig(com.github.dockerjava.api.model.HostConfig.newHostConfig().withInit(true)).exec()
                .getId();
        fixture.docker.startContainerCmd(second).exec();

        await().atMost(Duration.ofSeconds(10)).until(() -> complete(runtime.status()).id().equals(Optional.of(second)));
        assertThat(complete(runtime.status()).isRunning()).isTrue();
    }

    @Test
    void dockersOwnHealthcheckVerdictShowsInTheStatus() throws Exception {
        String image = fixture.importImage(repository, "checked", "[\"sleep\",\"3600\"]",
                "HEALTHCHECK --interval=1s --timeout=1s CMD true");
        RuntimeAdapter runtime = runtime("checked-" + fixture.runId, imageSettings(repository + ":checked", "checked"),
                new Recorder(), state);
        complete(runtime.start());
        assertThat(complete(runtime.status()).version()).contains(image);
        await().atMost(Duration.ofSeconds(10)).until(() -> complete(runtime.status()).description()
                .endsWith(", healthy)"));
    }

    // ----------------------------------------------------------------------------------------------- exits

    @Test
    void aContainerKilledFromOutsideIsReportedFromTheEventStreamAtOnce() throws Exception {
        Recorder exits = new Recorder();
        RuntimeAdapter runtime = runtime("killed-" + fixture.runId, imageSettings(repository + ":sleeper", "killed"),
                exits, state);
        complete(runtime.start());
        WorkloadStatus running = complete(runtime.status());

        long killedAt = System.nanoTime();
        kill(running.pid().getAsLong());
        WorkloadStatus exited = exits.next();
        long millis = TimeUnit.NANOSECONDS.toMillis(exits.lastAt - killedAt);

        System.out.println("docker runtime: kill -9 -> workloadExited in " + millis + " ms");
        // The runtime never polls, so being told at all proves the event stream; the bound only catches a stream
        // that delivers late (about 0.1 s idle here, 0.5 s at load 13), with room for a loaded CI machine.
        assertThat(millis).as("told from the event stream soon after the kill").isLessThan(3000);
        assertThat(exited.state()).isEqualTo(WorkloadStatus.State.EXITED);
        assertThat(exited.exitCode()).hasValue(137);
        assertThat(exited.pid()).isEqualTo(running.pid());
        assertThat(exited.id()).isEqualTo(running.id());
        assertThat(exited.version()).contains(sleeper);
        assertThat(complete(runtime.status()).state()).isEqualTo(WorkloadStatus.State.EXITED);
    }

    @Test
    void restartRunsTheContainerAgainWithoutReportingTheStopItCaused() throws Exception {
        Recorder exits = new Recorder();
        RuntimeAdapter runtime = runtime("restart-" + fixture.runId, imageSettings(repository + ":sleeper", "restart"),
                exits, state);
        complete(runtime.start());
        WorkloadStatus before = complete(runtime.status());

        complete(runtime.restart());
        WorkloadStatus after = complete(runtime.status());
        assertThat(after.isRunning()).isTrue();
        assertThat(after.id()).as("the same container").isEqualTo(before.id());
        assertThat(after.pid()).as("a new run").isNotEqualTo(before.pid());

        // The next report is the kill below, not the death the restart caused.
        kill(after.pid().getAsLong());
        WorkloadStatus exited = exits.next();
        assertThat(exited.pid()).isEqualTo(after.pid());
        assertThat(exits.queue).isEmpty();
    }

    @Test
    void restartCreatesTheContainerAgainWhenItIsGone() throws Exception {
        RuntimeAdapter runtime = runtime("gone-" + fixture.runId, imageSettings(repository + ":sleeper", "gone"),
                new Recorder(), state);
        complete(runtime.start());
        String id = complete(runtime.status()).id().orElseThrow();
        fixture.docker.removeContainerCmd(id).withForce(true).exec();

        complete(runtime.restart());
        WorkloadStatus status = complete(runtime.status());
        assertThat(status.isRunning()).isTrue();
        assertThat(status.id()).isNotEqualTo(Optional.of(id));
    }

    @Test
    void aRestartWhileADeployToolRemovesTheContainerWaitsUntilItIsGoneAndCreatesItAgain() throws Exception {
        Map<String, Object> settings = imageSettings(repository + ":sleeper", "removing");
        // Many files in its writable layer: Docker takes a while to delete them after the container died, and a
        // restart in that while meets a container "marked for removal" that Docker refuses to start.
        settings.put("command", List.of("sh", "-c", "cd /tmp && busybox seq 40000 | busybox xargs busybox touch"
                + " && : > /tmp/done && exec sleep 3600"));
        Recorder exits = new Recorder();
        RuntimeAdapter runtime = runtime("removing-" + fixture.runId, settings, exits, state);
        complete(runtime.start());
        String id = complete(runtime.status()).id().orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> exec(id, "cat", "/tmp/done") == 0);

        CompletableFuture<Void> removal = CompletableFuture.runAsync(
                () -> fixture.docker.removeContainerCmd(id).withForce(true).exec(), pool);
        assertThat(exits.next().id()).as("the death the removal caused, reported").contains(id);
        assertThat(fixture.docker.inspectContainerCmd(id).exec().getState().getStatus())
                .as("the removal is still under way when the engine restarts the service").isEqualTo("removing");

        complete(runtime.restart());
        WorkloadStatus status = complete(runtime.status());
        assertThat(status.isRunning()).isTrue();
        assertThat(status.id()).isNotEqualTo(Optional.of(id));
        assertThat(fixture.docker.inspectContainerCmd(fixture.name("removing")).exec().getId())
                .isEqualTo(status.id().orElseThrow());
        removal.get(60, TimeUnit.SECONDS);
    }

    @Test
    void anOomBeforeTheDeathIsTheExitReason() throws Exception {
        Recorder exits = new Recorder();
        DockerRuntime runtime = (DockerRuntime) runtime("oom-" + fixture.runId,
                imageSettings(repository + ":sleeper", "oom"), exits, state);
        complete(runtime.start());
        String id = complete(runtime.status()).id().orElseThrow();
        long now = System.currentTimeMillis() * 1_000_000L + 1_000_000_000L;
        // Docker's own sequence for a container the kernel OOM-killed: oom, then die with 137.
        runtime.onEvent(event(id, "oom", now, Map.of()));
        runtime.onEvent(event(id, "die", now + 1, Map.of("exitCode", "137")));

        WorkloadStatus exited = exits.next();
        assertThat(exited.exitReason()).contains("OOMKilled");
        assertThat(exited.exitCode()).hasValue(137);
    }

    @Test
    void aDeathWhileTheEventStreamIsAwayIsReportedOnceWhenItIsBack() throws Exception {
        Recorder exits = new Recorder();
        RuntimeAdapter runtime = runtime("stream-" + fixture.runId, imageSettings(repository + ":sleeper", "stream"),
                exits, state);
        complete(runtime.start());
        WorkloadStatus running = complete(runtime.status());
        EventStream stream = factory.engine(fixture.host).subscribe((DockerRuntime) runtime);

        stream.dropConnection();
        kill(running.pid().getAsLong());
        WorkloadStatus exited = exits.next();
        await().atMost(Duration.ofSeconds(10)).until(stream::isConnected);

        assertThat(exited.exitCode()).hasValue(137);
        assertThat(exited.id()).isEqualTo(running.id());
        // Both the replayed die event and the inspection after the reconnection see it; the next report must be the
        // death of the next run, not a second report of this one.
        complete(runtime.restart());
        WorkloadStatus next = complete(runtime.status());
        kill(next.pid().getAsLong());
        assertThat(exits.next().pid()).isEqualTo(next.pid());
    }

    @Test
    void aStopOfAContainerThatDiedWhileTheEventStreamWasAwayTellsItsEndOnceAsOneBeforeTheStop() throws Exception {
        Recorder exits = new Recorder();
        withSlowReconnects("diedstop", exits, (factory, runtime) -> {
            WorkloadStatus running = killWithTheStreamAway(factory, runtime);

            // The stream is back only a minute later: the stop, which finds the container stopped already, is the
            // only one to know. Its die event was taken for the stop's own doing, and the crash was lost.
            complete(runtime.stop());

            WorkloadStatus ended = exits.nextBeforeStop();
            assertThat(ended.exitCode()).hasValue(137);
            assertThat(ended.pid()).isEqualTo(running.pid());
            assertThat(ended.id()).isEqualTo(running.id());
            assertThat(exits.queue).isEmpty();
        });
    }

    @Test
    void aRestartOfAContainerThatDiedWhileTheEventStreamWasAwayTellsItsEndOnce() throws Exception {
        Recorder exits = new Recorder();
        withSlowReconnects("diedrestart", exits, (factory, runtime) -> {
            WorkloadStatus running = killWithTheStreamAway(factory, runtime);

            // The restart reopens the stream, whose replayed die event races the restart's own look at the
            // container: told once either way, as a crash or as an end before the stop (the restart's).
            complete(runtime.restart());

            await().atMost(Duration.ofSeconds(10)).until(() -> exits.queue.size() + exits.beforeStop.size() >= 1);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                    .until(() -> exits.queue.size() + exits.beforeStop.size() == 1);
            WorkloadStatus ended = exits.queue.isEmpty() ? exits.beforeStop.peek() : exits.queue.peek();
            assertThat(ended.exitCode()).hasValue(137);
            assertThat(ended.pid()).isEqualTo(running.pid());
            assertThat(complete(runtime.status()).isRunning()).isTrue();
        });
    }

    @Test
    void aRestartWhileTheEventStreamIsAwayReopensItAtOnceAndSucceeds() throws Exception {
        withSlowReconnects("reopen", new Recorder(), (factory, runtime) -> {
            complete(runtime.start());
            EventStream stream = factory.engine(fixture.host).subscribe((DockerRuntime) runtime);
            stream.dropConnection();
            await().atMost(Duration.ofSeconds(10)).until(() -> !stream.isConnected());

            // the next attempt is a minute away; the restart needs the stream now
            complete(runtime.restart());
            assertThat(stream.isConnected()).isTrue();
            assertThat(complete(runtime.status()).isRunning()).isTrue();
        });
    }

    /** A test's body, given a runtime and its factory. */
    @FunctionalInterface
    private interface WithRuntime {
        void run(DockerRuntimeFactory factory, RuntimeAdapter runtime) throws Exception;
    }

    /** Runs {@code body} with a runtime whose factory's event stream reconnects only a minute after it breaks. */
    private void withSlowReconnects(String name, WorkloadListener listener, WithRuntime body) throws Exception {
        DockerRuntimeFactory slowRetries = new DockerRuntimeFactory(Duration.ofMinutes(1));
        try {
            RuntimeAdapter runtime = slowRetries.create(spec(name + "-" + fixture.runId,
                    imageSettings(repository + ":sleeper", name), listener, state));
            runtimes.add(runtime);
            body.run(slowRetries, runtime);
        } finally {
            runtimes.forEach(RuntimeAdapter::close);
            slowRetries.close();
        }
    }

    /** Starts the container, drops the engine's event stream (back a minute later), kills it: its status before. */
    private WorkloadStatus killWithTheStreamAway(DockerRuntimeFactory factory, RuntimeAdapter runtime)
            throws Exception {
        complete(runtime.start());
        WorkloadStatus running = complete(runtime.status());
        EventStream stream = factory.engine(fixture.host).subscribe((DockerRuntime) runtime);
        stream.dropConnection();
        await().atMost(Duration.ofSeconds(10)).until(() -> !stream.isConnected());
        kill(running.pid().getAsLong());
        await().atMost(Duration.ofSeconds(10)).until(() -> !Boolean.TRUE.equals(fixture.docker
                .inspectContainerCmd(running.id().orElseThrow()).exec().getState().getRunning()));
        return running;
    }

    @Test
    void aRestartWhileDockerdIsAwayWaitsForItToComeBackInsteadOfFailing(@TempDir Path proxyDirectory)
            throws Exception {
        // Seen with the aegis jar: dockerd stopping kills the containers, and every restart of the ladder failed
        // within a second while it was away, leaving each service FAILED when dockerd came back.
        assumeTrue(fixture.host.startsWith("unix://"), "the engine proxy needs a unix:// DOCKER_HOST, not "
                + fixture.host);
        try (EngineProxy engine = new EngineProxy(proxyDirectory, fixture.host)) {
            Map<String, Object> settings = imageSettings(repository + ":sleeper", "away");
            settings.put("host", engine.host());
            Recorder exits = new Recorder();
            RuntimeAdapter runtime = runtime("away-" + fixture.runId, settings, exits, state);
            complete(runtime.start());
            WorkloadStatus before = complete(runtime.status());
            EventStream stream = factory.engine(engine.host()).subscribe((DockerRuntime) runtime);

            engine.down();
            await().atMost(Duration.ofSeconds(10)).until(() -> !stream.isConnected());
            java.util.concurrent.CompletableFuture<Void> restart = runtime.restart().toCompletableFuture();
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> !restart.isDone());
            engine.up();

            complete(restart);
            WorkloadStatus after = complete(runtime.status());
            assertThat(after.isRunning()).isTrue();
            assertThat(after.pid()).as("a new run").isNotEqualTo(before.pid());
            assertThat(exits.queue).as("the restart's own stop is not reported").isEmpty();
        }
    }

    @Test
    void aStartBeforeDockerdIsUpFailsAtOnceThenTheRestartWaitsForIt(@TempDir Path proxyDirectory) throws Exception {
        // Seen with the aegis jar started before dockerd (boot order): the start failed, then the whole ladder
        // within 1.5 s, and the service stayed FAILED once dockerd was up.
        assumeTrue(fixture.host.startsWith("unix://"), "the engine proxy needs a unix:// DOCKER_HOST, not "
                + fixture.host);
        try (EngineProxy engine = new EngineProxy(proxyDirectory, fixture.host)) {
            engine.down();
            Map<String, Object> settings = imageSettings(repository + ":sleeper", "late");
            settings.put("host", engine.host());
            RuntimeAdapter runtime = runtime("late-" + fixture.runId, settings, new Recorder(), state);
            assertThatThrownBy(() -> complete(runtime.start())).hasMessageContaining("cannot reach the Docker engine");

            java.util.concurrent.CompletableFuture<Void> restart = runtime.restart().toCompletableFuture();
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> !restart.isDone());
            engine.up();

            complete(restart);
            assertThat(complete(runtime.status()).isRunning()).isTrue();
        }
    }

    @Test
    void aContainerTheEngineCannotRestartBecauseATaskOfItIsLeftIsReplacedFromTheSameImage(
            @TempDir Path proxyDirectory) throws Exception {
        // Seen with the aegis jar after dockerd restarts with 30 containers: "Cannot restart container X: task X:
        // already exists" at every restart, until each service was FAILED; docker rm -f and a new container cure it.
        assumeTrue(fixture.host.startsWith("unix://"), "the engine proxy needs a unix:// DOCKER_HOST, not "
                + fixture.host);
        try (EngineProxy engine = new EngineProxy(proxyDirectory, fixture.host)) {
            Map<String, Object> settings = imageSettings(repository + ":sleeper", "task");
            settings.put("host", engine.host());
            Recorder exits = new Recorder();
            RuntimeAdapter runtime = runtime("task-" + fixture.runId, settings, exits, state);
            complete(runtime.start());
            WorkloadStatus before = complete(runtime.status());

            engine.failNext("/restart", "Cannot restart container " + before.id().orElseThrow() + ": task "
                    + before.id().orElseThrow() + ": already exists");
            complete(runtime.restart());

            WorkloadStatus after = complete(runtime.status());
            assertThat(after.isRunning()).isTrue();
            assertThat(after.id()).as("a new container").isNotEqualTo(before.id());
            assertThat(after.version()).as("from the same image").isEqualTo(before.version());
            assertThat(ContainerRecord.read(state).orElseThrow().containerId()).isEqualTo(after.id());
            assertThat(exits.queue).as("the replacement is not reported as a death").isEmpty();
        }
    }

    @Test
    void aWaiterForTheEngineToComeBackIsNotToldSoByTheBreakItself() throws Exception {
        DockerRuntimeFactory slowRetries = new DockerRuntimeFactory(Duration.ofMinutes(1));
        try {
            RuntimeAdapter runtime = slowRetries.create(spec("back-" + fixture.runId,
                    imageSettings(repository + ":sleeper", "back"), new Recorder(), state));
            runtimes.add(runtime);
            complete(runtime.start());
            EventStream stream = slowRetries.engine(fixture.host).subscribe((DockerRuntime) runtime);
            java.util.concurrent.CompletableFuture<Void> back = stream.whenDown().thenCompose(down -> stream.whenUp());

            stream.dropConnection();
            await().atMost(Duration.ofSeconds(10)).until(() -> !stream.isConnected());
            // the next attempt is a minute away: nothing is back
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !back.isDone());
            stream.open();
            back.get(10, TimeUnit.SECONDS);
            assertThat(stream.isConnected()).isTrue();
        } finally {
            runtimes.forEach(RuntimeAdapter::close);
            slowRetries.close();
        }
    }

    // ---------------------------------------------------------------------------------------- rollback

    @Test
    void rollbackRecreatesTheContainerFromTheLastHealthyImageAfterTheTagMovedToABrokenOne() throws Exception {
        String tag = "release-" + fixture.runId;
        String service = "rollback-" + fixture.runId;
        String good = fixture.importImage(repository, tag, "[\"sleep\",\"3600\"]");
        Map<String, Object> settings = imageSettings(repository + ":" + tag, "rollback");
        RuntimeAdapter runtime = runtime(service, settings, new Recorder(), state);
        assertThat(runtime.supportedOperations()).contains(RuntimeOperation.ROLLBACK);
        complete(runtime.start());
        runtime.workloadHealthy();
        await().atMost(Duration.ofSeconds(10)).until(() -> ContainerRecord.read(state).orElseThrow().lastHealthy()
                .equals(Optional.of(good)));
        assertThat(fixture.docker.inspectImageCmd("aegis/" + service + ":last-healthy").exec().getId()).isEqualTo(good);

        // A broken release under the same tag; the service is started on it.
        String broken = fixture.importImage(repository, tag, "[\"sleep\",\"3602\"]");
        complete(runtime.stop());
        complete(runtime.start());
        assertThat(complete(runtime.status()).version()).contains(broken);

        complete(runtime.rollback());
        WorkloadStatus rolledBack = complete(runtime.status());
        assertThat(rolledBack.isRunning()).isTrue();
        assertThat(rolledBack.version()).contains(good);
        assertThat(fixture.docker.inspectContainerCmd(rolledBack.id().orElseThrow()).exec().getImageId()).isEqualTo(good);

        complete(runtime.restart());
        assertThat(complete(runtime.status()).version()).as("restarts keep the rolled-back image").contains(good);

        String fixed = fixture.importImage(repository, tag, "[\"sleep\",\"3603\"]");
        complete(runtime.restart());
        assertThat(complete(runtime.status()).version()).as("a new image under the tag ends the rollback")
                .contains(fixed);
    }

    @Test
    void rollbackCreatesTheContainerFromTheLastHealthyImageWhenItIsGone() throws Exception {
        String tag = "gonerelease-" + fixture.runId;
        String service = "gonerollback-" + fixture.runId;
        String good = fixture.importImage(repository, tag, "[\"sleep\",\"3600\"]");
        RuntimeAdapter runtime = runtime(service, imageSettings(repository + ":" + tag, "gonerollback"),
                new Recorder(), state);
        complete(runtime.start());
        String id = complete(runtime.status()).id().orElseThrow();
        runtime.workloadHealthy();
        await().atMost(Duration.ofSeconds(10)).until(() -> ContainerRecord.read(state).orElseThrow().lastHealthy()
                .equals(Optional.of(good)));

        // a deploy tool moves the tag to a broken release and removes the container: nothing runs the good image
        String broken = fixture.importImage(repository, tag, "[\"sleep\",\"3604\"]");
        fixture.docker.removeContainerCmd(id).withForce(true).exec();

        complete(runtime.rollback());
        WorkloadStatus rolledBack = complete(runtime.status());
        assertThat(rolledBack.isRunning()).isTrue();
        assertThat(rolledBack.version()).contains(good);
        assertThat(fixture.docker.inspectContainerCmd(fixture.name("gonerollback")).exec().getImageId())
                .isEqualTo(good);
        assertThat(fixture.docker.inspectImageCmd(repository + ":" + tag).exec().getId()).isEqualTo(broken);
    }

    @Test
    void theRemovalOfItsOwnContainerIsNotReportedAsSomeoneElses() throws Exception {
        String service = "ownremoval-" + fixture.runId;
        // A last healthy image that Docker refuses to create a container from (no command): the rollback removes
        // the running container, then fails, so that container stays the current one.
        String noCommand = fixture.importImage(repository, "nocommand", "[]");
        ContainerRecord.empty(fixture.host, service).withLastHealthy(noCommand).write(state);
        RuntimeAdapter runtime = runtime(service, imageSettings(repository + ":sleeper", "ownremoval"), new Recorder(),
                state);
        // Its destroy event reaches the runtime only once the rollback has ended, as it can when the stream lags:
        // only aegis' memory of its own removal then tells it apart from a deploy tool's.
        CountDownLatch rollbackEnded = new CountDownLatch(1);
        LinkedBlockingQueue<String> destroyed = new LinkedBlockingQueue<>();
        DockerEngine engine = factory.engine(fixture.host);
        DockerEngine.Subscriber before = subscriber(event -> {
            if ("destroy".equals(event.getAction())) {
                awaitQuietly(rollbackEnded);
            }
        });
        DockerEngine.Subscriber after = subscriber(event -> {
            if ("destroy".equals(event.getAction())) {
                destroyed.add(event.getId());
            }
        });
        engine.subscribe(before); // told each event before the runtime, which subscribes at its start
        complete(runtime.start());
        String id = complete(runtime.status()).id().orElseThrow();
        engine.subscribe(after); // told each event after the runtime handled it
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(new TeeStream(stderr, log), true));
        try {
            assertThatThrownBy(() -> complete(runtime.rollback())).cause()
                    .hasMessageContaining("No command specified");
            rollbackEnded.countDown();
            assertThat(destroyed.poll(10, TimeUnit.SECONDS)).as("its container's destroy event").isEqualTo(id);
        } finally {
            rollbackEnded.countDown();
            System.setErr(stderr);
            engine.unsubscribe(before);
            engine.unsubscribe(after);
        }
        assertThat(log.toString()).contains("rolling back from image").doesNotContain("was removed by someone else");
    }

    @Test
    void rollbackFailsWithASentenceWhenNoImageRanHealthyOrTheLastHealthyOneRuns() throws Exception {
        String service = "norollback-" + fixture.runId;
        RuntimeAdapter runtime = runtime(service, imageSettings(repository + ":sleeper", "norollback"), new Recorder(),
                state);
        complete(runtime.start());
        assertThatThrownBy(() -> complete(runtime.rollback())).hasCauseInstanceOf(DockerFailure.class)
                .cause().hasMessage("cannot roll back service \"" + service + "\": no image has run healthy under aegis"
                        + " yet (aegis records the running image id after each healthy check cycle), so there is"
                        + " nothing known-good to go back to");

        runtime.workloadHealthy();
        await().atMost(Duration.ofSeconds(10)).until(() -> ContainerRecord.read(state).orElseThrow().lastHealthy()
                .isPresent());
        assertThatThrownBy(() -> complete(runtime.rollback())).cause()
                .hasMessageContaining("it already runs its last healthy image " + DockerRuntime.shortId(sleeper));
    }

    // ----------------------------------------------------------------------------------------- isolate

    @Test
    void isolateDisconnectsTheContainerFromItsNetworksAndKeepsItRunningForDockerExec() throws Exception {
        String network = fixture.name("internal");
        fixture.createNetwork("internal", true);
        Map<String, Object> settings = imageSettings(repository + ":sleeper", "isolated");
        settings.put("network", network);
        RuntimeAdapter runtime = runtime("isolated-" + fixture.runId, settings, new Recorder(), state);
        complete(runtime.start());
        String id = complete(runtime.status()).id().orElseThrow();
        assertThat(fixture.docker.inspectContainerCmd(id).exec().getNetworkSettings().getNetworks())
                .containsKey(network);

        complete(runtime.isolate());

        InspectContainerResponse after = fixture.docker.inspectContainerCmd(id).exec();
        assertThat(after.getNetworkSettings().getNetworks()).isEmpty();
        assertThat(after.getState().getRunning()).isTrue();
        assertThat(exec(id, "true")).as("docker exec still works").isZero();
        assertThat(complete(runtime.status()).isRunning()).isTrue();

        // aegis is restarted meanwhile: the next aegis adopts the isolated container, and its restart (a reset)
        // connects it to its network again
        runtime.close();
        RuntimeAdapter next = runtime("isolated-" + fixture.runId, settings, new Recorder(), state);
        complete(next.start());
        assertThat(complete(next.status()).id()).contains(id);
        complete(next.restart());
        assertThat(fixture.docker.inspectContainerCmd(id).exec().getNetworkSettings().getNetworks())
                .as("a restart connects it again").containsKey(network);
        assertThat(ContainerRecord.read(state).orElseThrow().isolatedFrom()).isEmpty();
    }

    @Test
    void isolateOfAHostNetworkContainerFailsSayingItCannotBeDisconnectedAndKeepsItRunning() throws Exception {
        String service = "hostnet-" + fixture.runId;
        Map<String, Object> settings = imageSettings(repository + ":sleeper", "hostnet");
        settings.put("network", "host");
        RuntimeAdapter runtime = runtime(service, settings, new Recorder(), state);
        complete(runtime.start());

        assertThatThrownBy(() -> complete(runtime.isolate())).cause().hasMessageStartingWith("cannot isolate service \""
                + service + "\": network mode host cannot be disconnected").hasMessageContaining("kept running")
                .hasMessageContaining("set runtime.isolate.command to a command that takes it out of traffic");
        String id = complete(runtime.status()).id().orElseThrow();
        assertThat(fixture.docker.inspectContainerCmd(id).exec().getState().getRunning()).isTrue();
    }

    @Test
    void isolateOfAHostNetworkContainerWithAHookRunsItWithTheContainersIdentityAndSucceeds(@TempDir Path hookDir)
            throws Exception {
        String service = "hosthook-" + fixture.runId;
        Path seen = hookDir.resolve("env.txt");
        Map<String, Object> settings = imageSettings(repository + ":sleeper", "hosthook");
        settings.put("network", "host");
        settings.put("isolate", Map.of("command", List.of("/bin/sh", "-c", "env > '" + seen + "'; echo drained")));
        RuntimeAdapter runtime = runtime(service, settings, new Recorder(), state);
        complete(runtime.start());
        String id = complete(runtime.status()).id().orElseThrow();

        complete(runtime.isolate());

        assertThat(Files.readAllLines(seen)).contains("AEGIS_SERVICE=" + service, "AEGIS_CONTAINER_ID=" + id,
                "AEGIS_CONTAINER_NAME=" + fixture.name("hosthook"));
        InspectContainerResponse after = fixture.docker.inspectContainerCmd(id).exec();
        assertThat(after.getState().getRunning()).isTrue();
        assertThat(after.getHostConfig().getNetworkMode()).isEqualTo("host");
        assertThat(exec(id, "true")).as("docker exec still works").isZero();
        assertThat(complete(runtime.status()).isRunning()).isTrue();
    }

    @Test
    void theHookAlsoRunsAfterTheContainerIsDisconnectedFromItsNetworks(@TempDir Path hookDir) throws Exception {
        String network = fixture.name("hooknet");
        fixture.createNetwork("hooknet", true);
        Path seen = hookDir.resolve("name.txt");
        Map<String, Object> settings = imageSettings(repository + ":sleeper", "nethook");
        settings.put("network", network);
        settings.put("isolate", Map.of("command", "/bin/sh -c 'echo \"$AEGIS_CONTAINER_NAME\" > " + seen + "'"));
        RuntimeAdapter runtime = runtime("nethook-" + fixture.runId, settings, new Recorder(), state);
        complete(runtime.start());
        String id = complete(runtime.status()).id().orElseThrow();

        complete(runtime.isolate());

        assertThat(fixture.docker.inspectContainerCmd(id).exec().getNetworkSettings().getNetworks()).isEmpty();
        assertThat(Files.readString(seen).strip()).isEqualTo(fixture.name("nethook"));
    }

    @Test
    void aHookThatFailsFailsTheIsolateNamingItsExitCodeAndLastLine() throws Exception {
        String service = "hookfail-" + fixture.runId;
        Map<String, Object> settings = imageSettings(repository + ":sleeper", "hookfail");
        settings.put("network", "host");
        settings.put("isolate", Map.of("command", List.of("/bin/sh", "-c", "echo load balancer says no; exit 3")));
        RuntimeAdapter runtime = runtime(service, settings, new Recorder(), state);
        complete(runtime.start());

        assertThatThrownBy(() -> complete(runtime.isolate())).cause().hasMessage("the isolate hook of service \""
                + service + "\" (services." + service + ".runtime.isolate.command: /bin/sh -c echo load balancer says"
                + " no; exit 3) failed with exit code 3; its last line of output: \"load balancer says no\"; the"
                + " container was kept running");
        String id = complete(runtime.status()).id().orElseThrow();
        assertThat(fixture.docker.inspectContainerCmd(id).exec().getState().getRunning()).isTrue();
    }

    @Test
    void aHookThatOverrunsItsTimeoutIsKilledWithWhatItStartedAndFailsTheIsolate(@TempDir Path hookDir)
            throws Exception {
        String service = "hookslow-" + fixture.runId;
        Path pids = hookDir.resolve("pids.txt");
        Map<String, Object> settings = imageSettings(repository + ":sleeper", "hookslow");
        settings.put("network", "host");
        settings.put("isolate", Map.of("timeout", "1s", "command", List.of("/bin/sh", "-c",
                "sleep 60 & echo $$ $! > '" + pids + "'; wait")));
        RuntimeAdapter runtime = runtime(service, settings, new Recorder(), state);
        complete(runtime.start());

        long started = System.nanoTime();
        assertThatThrownBy(() -> complete(runtime.isolate())).cause().hasMessage("the isolate hook of service \""
                + service + "\" (services." + service + ".runtime.isolate.command: /bin/sh -c sleep 60 & echo $$ $! > '"
                + pids + "'; wait) did not finish within 1s and was killed; it printed nothing; make it finish"
                + " sooner or raise services." + service + ".runtime.isolate.timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
        assertThat(hookPids(pids)).hasSize(2).noneMatch(DockerRuntimeTest::running);
        String id = complete(runtime.status()).id().orElseThrow();
        assertThat(fixture.docker.inspectContainerCmd(id).exec().getState().getRunning()).isTrue();
    }

    @Test
    void closeKillsARunningHookWithWhatItStarted(@TempDir Path hookDir) throws Exception {
        String service = "hookclose-" + fixture.runId;
        Path pids = hookDir.resolve("pids.txt");
        Map<String, Object> settings = imageSettings(repository + ":sleeper", "hookclose");
        settings.put("network", "host");
        settings.put("isolate", Map.of("timeout", "5m", "command", List.of("/bin/sh", "-c",
                "sleep 300 & echo $$ $! > '" + pids + ".tmp'; mv '" + pids + ".tmp' '" + pids + "'; wait")));
        RuntimeAdapter runtime = runtime(service, settings, new Recorder(), state);
        complete(runtime.start());
        CompletableFuture<Void> isolate = runtime.isolate().toCompletableFuture();
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(pids));
        List<Long> hook = hookPids(pids);
        assertThat(hook).hasSize(2).allMatch(DockerRuntimeTest::running);

        runtime.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> hook.stream().noneMatch(DockerRuntimeTest::running));
        assertThatThrownBy(() -> isolate.get(30, TimeUnit.SECONDS)).cause()
                .hasMessageContaining("was killed because its docker runtime was closed while it ran");
    }

    /** The pids a hook wrote to {@code file}. */
    private static List<Long> hookPids(Path file) throws IOException {
        return java.util.Arrays.stream(Files.readString(file).trim().split("\\s+")).map(Long::parseLong).toList();
    }

    /** Whether the process runs (a zombie does not: an orphan of the hook may wait for a reaper here). */
    private static boolean running(long pid) {
        return ProcessHandle.of(pid).filter(ProcFs::isRunning).isPresent();
    }

    // ------------------------------------------------------------------------------------- bad input

    @Test
    void aMissingImageWithPullNeverIsASentenceNamingTheServiceAndTheFix() {
        String service = "noimage-" + fixture.runId;
        RuntimeAdapter runtime = runtime(service, imageSettings("aegis-test/no-such-image:1", "noimage"),
                new Recorder(), state);
        assertThatThrownBy(() -> complete(runtime.start())).cause().hasMessage("service \"" + service + "\": image"
                + " aegis-test/no-such-image:1 is not on the Docker engine at " + fixture.host
                + "; pull it or set pull: missing");
    }

    @Test
    void aMissingImageThatCannotBePulledIsASentenceWithTheRegistrysAnswer() {
        String service = "nopull-" + fixture.runId;
        Map<String, Object> settings = imageSettings("127.0.0.1:1/aegis-test/no-such-image:1", "nopull");
        settings.put("pull", "missing");
        RuntimeAdapter runtime = runtime(service, settings, new Recorder(), state);
        assertThatThrownBy(() -> complete(runtime.start())).cause().hasMessageStartingWith("service \"" + service
                + "\": image 127.0.0.1:1/aegis-test/no-such-image:1 is not on the Docker engine at " + fixture.host
                + " and pulling it failed: ").hasMessageEndingWith("; check the image name and the registry, or load"
                + " the image onto the engine (docker pull, docker load)");
    }

    @Test
    void anUnreachableSocketIsASentenceNamingTheServiceAndTheFix() {
        String service = "nosocket-" + fixture.runId;
        Map<String, Object> settings = imageSettings(repository + ":sleeper", "nosocket");
        String host = "unix://" + state.resolve("no-docker.sock");
        settings.put("host", host);
        RuntimeAdapter runtime = runtime(service, settings, new Recorder(), state);
        assertThatThrownBy(() -> complete(runtime.start())).cause()
                .hasMessageStartingWith("service \"" + service + "\": cannot reach the Docker engine at " + host)
                .hasMessageEndingWith("; is dockerd running, and is DOCKER_HOST (or runtime.host) right?")
                .hasMessageNotContaining("\tat ");
    }

    @Test
    void aSupervisedContainerThatDoesNotExistIsASentence() {
        String service = "nocontainer-" + fixture.runId;
        RuntimeAdapter runtime = runtime(service, containerSettings(fixture.name("nosuch")), new Recorder(), state);
        assertThatThrownBy(() -> complete(runtime.start())).cause().hasMessage("service \"" + service + "\": container "
                + fixture.name("nosuch") + " is not on the Docker engine at " + fixture.host + "; create it first"
                + " (docker create --name " + fixture.name("nosuch") + " ...), or let aegis run one with runtime.image");
    }

    @Test
    void aContainerOfTheSameNameThatAegisDidNotCreateIsAConflictLeftAlone() throws Exception {
        String name = fixture.name("taken");
        String theirs = fixture.docker.createContainerCmd(sleeper).withName(name).withLabels(fixture.labels()).exec()
                .getId();
        String service = "taken-" + fixture.runId;
        RuntimeAdapter runtime = runtime(service, imageSettings(repository + ":sleeper", "taken"), new Recorder(),
                state);
        assertThatThrownBy(() -> complete(runtime.start())).cause().hasMessageStartingWith("service \"" + service
                + "\": a container named " + name + " already exists on the Docker engine at " + fixture.host
                + " and aegis did not create it");
        assertThat(fixture.docker.inspectContainerCmd(name).exec().getId()).isEqualTo(theirs);
    }

    // ----------------------------------------------------------------------------------------- leftovers

    @Test
    void stopLeftoversRemovesTheContainerOfAServiceNoLongerConfigured() throws Exception {
        RuntimeAdapter runtime = runtime("leftover-" + fixture.runId, imageSettings(repository + ":sleeper",
                "leftover"), new Recorder(), state);
        complete(runtime.start());
        String id = complete(runtime.status()).id().orElseThrow();
        runtime.close();

        DockerRuntimeFactory next = new DockerRuntimeFactory();
        try {
            next.stopLeftovers(state);
        } finally {
            next.close();
        }
        assertThat(fixture.docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(id)).exec()).isEmpty();
        assertThat(ContainerRecord.read(state)).isEmpty();
    }

    // ----------------------------------------------------------------------------------------- helpers

    private Map<String, Object> imageSettings(String image, String name) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("type", "docker");
        settings.put("host", fixture.host);
        settings.put("image", image);
        settings.put("name", fixture.name(name));
        settings.put("pull", "never");
        settings.put("init", true);
        settings.put("stopTimeout", "1s");
        settings.put("labels", fixture.labels());
        return settings;
    }

    private Map<String, Object> containerSettings(String container) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("type", "docker");
        settings.put("host", fixture.host);
        settings.put("container", container);
        settings.put("stopTimeout", "1s");
        return settings;
    }

    private RuntimeAdapter runtime(String service, Map<String, Object> settings, WorkloadListener listener, Path dir) {
        RuntimeAdapter runtime = factory.create(spec(service, settings, listener, dir));
        runtimes.add(runtime);
        return runtime;
    }

    private static RuntimeSpec spec(String service, Map<String, Object> settings, WorkloadListener listener,
            Path dir) {
        return new RuntimeSpec(service, Settings.of("services." + service + ".runtime", settings), listener, pool, dir);
    }

    private static <T> T complete(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static void kill(long pid) {
        assertThat(ProcessHandle.of(pid)).as("the container's process " + pid).isPresent();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    }

    private static long exec(String container, String... command) throws InterruptedException {
        String exec = fixture.docker.execCreateCmd(container).withCmd(command).withAttachStdout(true)
                .withAttachStderr(true).exec().getId();
        fixture.docker.execStartCmd(exec).exec(new ResultCallback.Adapter<Frame>()).awaitCompletion(10,
                TimeUnit.SECONDS);
        return fixture.docker.inspectExecCmd(exec).exec().getExitCodeLong();
    }

    private static com.github.dockerjava.api.model.Event event(String id, String action, long timeNanos,
            Map<String, String> attributes) {
        return new com.github.dockerjava.api.model.Event(action, id, null, timeNanos / 1_000_000_000L)
                .withAction(action).withTimenano(timeNanos)
                .withEventActor(new com.github.dockerjava.api.model.EventActor().withId(id).withAttributes(attributes));
    }

    private static DockerEngine.Subscriber subscriber(
            java.util.function.Consumer<com.github.dockerjava.api.model.Event> onEvent) {
        return new DockerEngine.Subscriber() {
            @Override
            public void onEvent(com.github.dockerjava.api.model.Event event) {
                onEvent.accept(event);
            }

            @Override
            public void resync() {
                // a test's subscriber has nothing to look at again
            }
        };
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes to two streams: what the runtime logs is still shown, and kept for a test to read. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream first;
        private final OutputStream second;

        TeeStream(OutputStream first, OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            first.write(b);
            second.write(b);
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
            first.write(bytes, offset, length);
            second.write(bytes, offset, length);
        }

        @Override
        public synchronized void flush() throws IOException {
            first.flush();
            second.flush();
        }
    }

    /** Records what the runtime reports, with when. */
    private static final class Recorder implements WorkloadListener {
        final LinkedBlockingQueue<WorkloadStatus> queue = new LinkedBlockingQueue<>();
        volatile long lastAt;

        final LinkedBlockingQueue<WorkloadStatus> beforeStop = new LinkedBlockingQueue<>();

        @Override
        public void workloadExited(WorkloadStatus status) {
            lastAt = System.nanoTime();
            queue.add(status);
        }

        @Override
        public void workloadExitedBeforeStop(WorkloadStatus status) {
            beforeStop.add(status);
        }

        WorkloadStatus nextBeforeStop() throws InterruptedException {
            WorkloadStatus status = beforeStop.poll(10, TimeUnit.SECONDS);
            assertThat(status).as("an end before the stop reported within 10 s").isNotNull();
            return status;
        }

        WorkloadStatus next() throws InterruptedException {
            WorkloadStatus status = queue.poll(10, TimeUnit.SECONDS);
            assertThat(status).as("a workload exit reported within 10 s").isNotNull();
            return status;
        }
    }
}
