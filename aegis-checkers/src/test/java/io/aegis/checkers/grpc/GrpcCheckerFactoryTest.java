package io.aegis.checkers.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.HealthStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the grpc factory is found, how it shares channels, and what its close() leaves behind. */
class GrpcCheckerFactoryTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final GrpcCheckerFactory factory = new GrpcCheckerFactory();
    private TestGrpcServer server;

    @AfterEach
    void stopEverything() throws Exception {
        factory.close();
        if (server != null) {
            server.close();
        }
    }

    @Test
    void serviceLoaderFindsTheGrpcFactory() {
        List<HealthCheckerFactory> grpc = ServiceLoader.load(HealthCheckerFactory.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(found -> found.type().equals("grpc"))
                .collect(Collectors.toList());

        assertThat(grpc).singleElement().isInstanceOf(GrpcCheckerFactory.class);
    }

    @Test
    void startsNoThreadBeforeItsFirstChecker() {
        try (GrpcCheckerFactory unused = new GrpcCheckerFactory()) {
            assertThat(unused.type()).isEqualTo("grpc");
            assertThat(checkerThreads()).isEmpty();
        }
    }

    @Test
    void sharesOneChannelPerServerAndTlsSettings() throws Exception {
        factory.create(GrpcCheckerTest.spec("127.0.0.1:50051", "", Map.of(), TIMEOUT));
        factory.create(GrpcCheckerTest.spec("127.0.0.1:50051", "a.B", Map.of("headers", Map.of("x-a", "1")), TIMEOUT));
        factory.create(GrpcCheckerTest.spec("127.0.0.1:50052", "", Map.of(), TIMEOUT));
        factory.create(GrpcCheckerTest.spec("127.0.0.1:50051", "", Map.of("tls", Map.of()), TIMEOUT));

        assertThat(factory.channelCount()).isEqualTo(3);
    }

    @Test
    void closeEndsTheConnectionAndStopsEveryThreadItStarted() throws Exception {
        server = TestGrpcServer.withHealthService();
        HealthChecker checker = factory.create(GrpcCheckerTest.spec(server.endpoint(), "", Map.of(), TIMEOUT));
        assertThat(GrpcCheckerTest.await(checker.check(GrpcCheckerTest.context(TIMEOUT))).status())
                .isEqualTo(HealthStatus.HEALTHY);
        assertThat(checkerThreads()).isNotEmpty();

        factory.close();

        Awaitility.await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(server.closedConnections()).isEqualTo(1));
        // close() waited for the threads to end; a thread may still be returning from its last task
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(checkerThreads()).isEmpty());
        // grpc-java frees its shared pools a second after their last user, so a leak would show up here too
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(grpcSharedThreads())
                .as("grpc-java's own shared threads, which the checker must not use").isEmpty());
    }

    @Test
    void refusesToCreateCheckersAfterClose() {
        factory.close();

        assertThatThrownBy(() -> factory.create(GrpcCheckerTest.spec("127.0.0.1:50051", "", Map.of(), TIMEOUT)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the grpc checker factory is closed");
    }

    @Test
    void reportsUnknownInsteadOfThrowingWhenCheckingAfterClose() throws Exception {
        HealthChecker checker = factory.create(GrpcCheckerTest.spec("127.0.0.1:50051", "", Map.of(), TIMEOUT));
        factory.close();

        CheckResult result = GrpcCheckerTest.await(checker.check(GrpcCheckerTest.context(TIMEOUT)));

        assertThat(result.status()).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(result.failureReason()).contains(FailureReason.PLUGIN_ERROR);
        assertThat(result.message()).isEqualTo("the grpc checker is closed");
    }

    @Test
    void closeCanBeCalledTwice() {
        factory.create(GrpcCheckerTest.spec("127.0.0.1:50051", "", Map.of(), TIMEOUT));

        factory.close();
        factory.close();

        assertThat(factory.channelCount()).isZero();
    }

    private static List<String> checkerThreads() {
        return threadNames("aegis-grpc");
    }

    /** Threads of grpc-java's process-wide pools (grpc-default-executor, grpc-nio-worker-ELG, grpc-timer...). */
    private static List<String> grpcSharedThreads() {
        return threadNames("grpc-");
    }

    private static List<String> threadNames(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> name.startsWith(prefix))
                .sorted()
                .collect(Collectors.toList());
    }
}
