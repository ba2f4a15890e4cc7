package io.aegis.runtimes.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigException;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeOperation;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import io.aegis.api.WorkloadListener;
import io.aegis.api.WorkloadStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What needs no Docker engine: discovery, the operations offered, and an engine that cannot be reached. */
class DockerRuntimeFactoryTest {
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final DockerRuntimeFactory factory = new DockerRuntimeFactory();

    @TempDir
    Path state;

    @AfterEach
    void close() {
        factory.close();
        pool.shutdownNow();
    }

    @Test
    void isFoundByTheServiceLoaderAsDocker() {
        assertThat(ServiceLoader.load(RuntimeAdapterFactory.class).stream().map(ServiceLoader.Provider::get)
                .map(RuntimeAdapterFactory::type)).contains("docker");
    }

    @Test
    void imageModeOffersRollbackAndIsStoppedWithTheEngine() {
        RuntimeAdapter runtime = create(Map.of("image", "example/web:1.4", "stopTimeout", "90s"));
        assertThat(runtime.supportedOperations()).containsExactlyInAnyOrder(RuntimeOperation.START,
                RuntimeOperation.STOP, RuntimeOperation.RESTART, RuntimeOperation.ROLLBACK, RuntimeOperation.ISOLATE);
        assertThat(runtime.outlivesEngine()).isFalse();
        assertThat(runtime.operationTimeout()).as("two stop timeouts and a minute").isEqualTo(Duration.ofSeconds(240));
        assertThat(runtime.status().toCompletableFuture().getNow(null)).isEqualTo(WorkloadStatus.stopped());
    }

    @Test
    void containerModeCannotRollBackAndOutlivesTheEngine() {
        RuntimeAdapter runtime = create(Map.of("container", "web"));
        assertThat(runtime.supportedOperations()).doesNotContain(RuntimeOperation.ROLLBACK);
        assertThat(runtime.outlivesEngine()).isTrue();
        assertThat(runtime.operationTimeout()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void anUnreachableEngineIsOneSentenceNamingTheServiceTheAddressAndTheFix() {
        String host = "unix://" + state.resolve("docker.sock");
        RuntimeAdapter runtime = create(Map.of("image", "example/web:1.4", "host", host));
        assertThatThrownBy(() -> runtime.start().toCompletableFuture().get(30, TimeUnit.SECONDS)).cause()
                .isInstanceOf(DockerFailure.class)
                .hasMessage("service \"web\": cannot reach the Docker engine at " + host + " to start container"
                        + " aegis-web (No such file or directory); is dockerd running, and is DOCKER_HOST (or"
                        + " runtime.host) right?");
    }

    @Test
    void anAddressDockerJavaCannotUseIsAConfigProblemOfHost() {
        assertThatThrownBy(() -> create(Map.of("image", "example/web:1.4", "host", "tcp://127.0.0.1:notaport")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("services.web.runtime.host: expected the"
                        + " Docker engine's address, unix:///path/to/docker.sock or tcp://host:port, found"
                        + " \"tcp://127.0.0.1:notaport\", which docker-java cannot use (");
    }

    private RuntimeAdapter create(Map<String, Object> settings) {
        return factory.create(new RuntimeSpec("web", Settings.of("services.web.runtime", settings),
                WorkloadListener.NONE, pool, state));
    }
}
