package io.aegis.checkers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.HealthStatus;
import io.aegis.checkers.http.HttpCheckerFactory;
import io.aegis.checkers.tcp.TcpCheckerFactory;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** How the factories are found, and what they do once the engine has closed them. */
class FactoryLifecycleTest {

    @Test
    void serviceLoaderFindsEveryBundledCheckerFactory() {
        List<String> types = ServiceLoader.load(HealthCheckerFactory.class).stream()
                .map(provider -> provider.get().type())
                .collect(Collectors.toList());

        assertThat(types).containsExactlyInAnyOrder("http", "tcp", "grpc", "script");
    }

    static List<Arguments> factories() {
        return List.of(
                Arguments.of(Named.of("http", new HttpCheckerFactory()), "http://127.0.0.1:9/health"),
                Arguments.of(Named.of("tcp", new TcpCheckerFactory()), "127.0.0.1:9"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("factories")
    void refusesToCreateCheckersAfterClose(HealthCheckerFactory factory, String endpoint) {
        factory.close();

        assertThatThrownBy(() -> factory.create(spec(factory, endpoint)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("factories")
    void reportsUnknownInsteadOfThrowingWhenCheckingAfterClose(HealthCheckerFactory factory, String endpoint)
            throws Exception {
        HealthChecker checker = factory.create(spec(factory, endpoint));
        factory.close();

        CheckResult result = checker.check(new CheckContext(1, Duration.ofSeconds(1)))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(result.status()).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(result.failureReason()).contains(FailureReason.PLUGIN_ERROR);
    }

    private static CheckerSpec spec(HealthCheckerFactory factory, String endpoint) {
        return CheckerSpec.builder("svc", factory.type(), endpoint).build();
    }
}
