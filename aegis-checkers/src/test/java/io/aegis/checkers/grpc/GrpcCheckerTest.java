package io.aegis.checkers.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import io.aegis.api.Settings;
import io.aegis.testkit.StalledServer;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The grpc checker against real grpc-java servers on loopback. */
class GrpcCheckerTest {
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);
    private static final String SERVICE = "aegis.test.Orders";

    private final GrpcCheckerFactory factory = new GrpcCheckerFactory();
    private TestGrpcServer server;
    private StalledServer silentServer;

    @AfterEach
    void stopEverything() throws Exception {
        factory.close();
        if (server != null) {
            server.close();
        }
        if (silentServer != null) {
            silentServer.close();
        }
    }

    @Test
    void reportsHealthyWhenWholeServerIsServing() throws Exception {
        server = TestGrpcServer.withHealthService();

        CheckResult result = check(server.endpoint(), "", Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.message()).isEqualTo("SERVING");
        assertThat(result.failureReason()).isEmpty();
        assertThat(result.latency()).isPositive();
    }

    @Test
    void followsTheWholeServerStatusAsItFlipsAtRunTime() throws Exception {
        server = TestGrpcServer.withHealthService();
        HealthChecker checker = factory.create(spec(server.endpoint(), "", Map.of(), Duration.ofSeconds(5)));

        CheckResult serving = await(checker.check(context(Duration.ofSeconds(5))));
        server.health().setStatus("", ServingStatus.NOT_SERVING);
        CheckResult notServing = await(checker.check(context(Duration.ofSeconds(5))));
        server.health().setStatus("", ServingStatus.SERVING);
        CheckResult servingAgain = await(checker.check(context(Duration.ofSeconds(5))));

        assertThat(serving.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(notServing.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(notServing.failureReason()).contains(FailureReason.STATUS);
        assertThat(notServing.message()).isEqualTo("NOT_SERVING");
        assertThat(servingAgain.status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void followsANamedServiceStatusAsItFlipsAtRunTime() throws Exception {
        server = TestGrpcServer.withHealthService();
        server.health().setStatus(SERVICE, ServingStatus.SERVING);
        HealthChecker checker = factory.create(spec(server.endpoint(), SERVICE, Map.of(), Duration.ofSeconds(5)));

        CheckResult serving = await(checker.check(context(Duration.ofSeconds(5))));
        server.health().setStatus(SERVICE, ServingStatus.NOT_SERVING);
        CheckResult notServing = await(checker.check(context(Duration.ofSeconds(5))));
        server.health().setStatus(SERVICE, ServingStatus.SERVING);
        CheckResult servingAgain = await(checker.check(context(Duration.ofSeconds(5))));

        assertThat(serving.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(serving.message()).isEqualTo("SERVING for service \"" + SERVICE + "\"");
        assertThat(notServing.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(notServing.failureReason()).contains(FailureReason.STATUS);
        assertThat(notServing.message()).isEqualTo("NOT_SERVING for service \"" + SERVICE + "\"");
        assertThat(servingAgain.status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void asksAboutTheNamedServiceOnlyNotTheWholeServer() throws Exception {
        server = TestGrpcServer.withHealthService();
        server.health().setStatus(SERVICE, ServingStatus.NOT_SERVING);

        CheckResult result = check(server.endpoint(), SERVICE, Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
    }

    @Test
    void reportsUnknownForAServiceNameTheServerDoesNotKnow() throws Exception {
        server = TestGrpcServer.withHealthService();

        CheckResult result = check(server.endpoint(), "aegis.test.Missing", Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(result.failureReason()).contains(FailureReason.STATUS);
        assertThat(result.message())
                .isEqualTo("SERVICE_UNKNOWN: the server does not know service \"aegis.test.Missing\"");
    }

    @Test
    void reportsUnknownWhenServerAnswersServiceUnknown() throws Exception {
        server = TestGrpcServer.withHealthService();
        server.health().setStatus(SERVICE, ServingStatus.SERVICE_UNKNOWN);

        CheckResult result = check(server.endpoint(), SERVICE, Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(result.failureReason()).contains(FailureReason.STATUS);
        assertThat(result.message()).isEqualTo("SERVICE_UNKNOWN: the server does not know service \"" + SERVICE + "\"");
    }

    @Test
    void reportsUnknownWhenServerAnswersUnknown() throws Exception {
        server = TestGrpcServer.withHealthService();
        server.health().setStatus("", ServingStatus.UNKNOWN);

        CheckResult result = check(server.endpoint(), "", Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(result.failureReason()).contains(FailureReason.STATUS);
        assertThat(result.message()).isEqualTo("UNKNOWN: the server does not know the health of the whole server yet");
    }

    @Test
    void reportsProtocolFailureWhenServerHasNoHealthService() throws Exception {
        server = TestGrpcServer.withoutHealthService();

        CheckResult result = check(server.endpoint(), "", Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.PROTOCOL);
        assertThat(result.message()).isEqualTo("server does not implement grpc.health.v1.Health");
    }

    @Test
    void reportsConnectFailureWhenNothingListens() throws Exception {
        int freePort = freePort();

        CheckResult result = check("127.0.0.1:" + freePort, "", Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.CONNECT);
        assertThat(result.message()).startsWith("cannot connect to 127.0.0.1:" + freePort + ": ")
                .containsIgnoringCase("connection refused");
    }

    @Test
    void reportsHealthyAtTheNextCheckOnceTheServerIsBack() throws Exception {
        int port = freePort();
        HealthChecker checker = factory.create(spec("127.0.0.1:" + port, "", Map.of(), Duration.ofSeconds(5)));
        CheckResult down = await(checker.check(context(Duration.ofSeconds(5))));
        CheckResult stillDown = await(checker.check(context(Duration.ofSeconds(5))));

        server = TestGrpcServer.withHealthServiceOn(port);
        CheckResult back = await(checker.check(context(Duration.ofSeconds(5))));

        assertThat(down.failureReason()).contains(FailureReason.CONNECT);
        assertThat(stillDown.failureReason()).contains(FailureReason.CONNECT);
        // without a fresh connection attempt the channel would replay the old failure for its whole backoff
        assertThat(back.status()).as("%s", back).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void reportsTimeoutWhenServerNeverAnswers() throws Exception {
        silentServer = StalledServer.start();

        CheckResult result = check(silentEndpoint(), "", Map.of(), SHORT_TIMEOUT);

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
        assertThat(result.latency()).isGreaterThanOrEqualTo(SHORT_TIMEOUT);
        assertThat(result.message()).isEqualTo("no answer from " + silentEndpoint() + " within 300ms");
    }

    @Test
    void opensAFreshConnectionAfterATimeout() throws Exception {
        silentServer = StalledServer.start();
        HealthChecker checker = factory.create(spec(silentEndpoint(), "", Map.of(), SHORT_TIMEOUT));

        CheckResult first = await(checker.check(context(SHORT_TIMEOUT)));
        CheckResult second = await(checker.check(context(SHORT_TIMEOUT)));

        assertThat(first.failureReason()).contains(FailureReason.TIMEOUT);
        assertThat(second.failureReason()).contains(FailureReason.TIMEOUT);
        // a connection that swallowed one call is not trusted with the next
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(silentServer.accepted())
                .isEqualTo(2));
    }

    @Test
    void returnsBeforeTheServerAnswers() throws Exception {
        silentServer = StalledServer.start();
        HealthChecker checker = factory.create(spec(silentEndpoint(), "", Map.of(), Duration.ofSeconds(30)));

        CompletionStage<CheckResult> pending = checker.check(context(Duration.ofSeconds(30)));

        assertThat(pending.toCompletableFuture()).isNotDone();
        pending.toCompletableFuture().cancel(false);
    }

    @Test
    void sendsConfiguredHeadersWithEveryCall() throws Exception {
        server = TestGrpcServer.withHealthService();
        HealthChecker checker = factory.create(spec(server.endpoint(), "",
                Map.of("headers", Map.of("Authorization", "Bearer s3cret", "x-tenant", "blue")), Duration.ofSeconds(5)));

        await(checker.check(context(Duration.ofSeconds(5))));
        await(checker.check(context(Duration.ofSeconds(5))));

        assertThat(server.receivedHeaders()).hasSize(2).allSatisfy(headers -> {
            assertThat(headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER)))
                    .isEqualTo("Bearer s3cret");
            assertThat(headers.get(Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER))).isEqualTo("blue");
        });
    }

    @Test
    void sendsEachCheckersOwnHeadersOverTheSharedChannel() throws Exception {
        server = TestGrpcServer.withHealthService();
        HealthChecker blue = factory.create(spec(server.endpoint(), "", Map.of("headers", Map.of("x-tenant", "blue")),
                Duration.ofSeconds(5)));
        HealthChecker plain = factory.create(spec(server.endpoint(), "", Map.of(), Duration.ofSeconds(5)));

        await(blue.check(context(Duration.ofSeconds(5))));
        await(plain.check(context(Duration.ofSeconds(5))));

        Metadata.Key<String> tenant = Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER);
        assertThat(server.receivedHeaders()).extracting(headers -> headers.get(tenant)).containsExactly("blue", null);
    }

    @Test
    void reusesOneConnectionForEveryCheckOfTheSameServer() throws Exception {
        server = TestGrpcServer.withHealthService();
        server.health().setStatus(SERVICE, ServingStatus.SERVING);
        HealthChecker wholeServer = factory.create(spec(server.endpoint(), "", Map.of(), Duration.ofSeconds(5)));
        HealthChecker oneService = factory.create(spec(server.endpoint(), SERVICE, Map.of(), Duration.ofSeconds(5)));

        for (int i = 0; i < 3; i++) {
            assertThat(await(wholeServer.check(context(Duration.ofSeconds(5)))).status()).isEqualTo(HealthStatus.HEALTHY);
            assertThat(await(oneService.check(context(Duration.ofSeconds(5)))).status()).isEqualTo(HealthStatus.HEALTHY);
        }

        assertThat(server.connections()).isEqualTo(1);
        assertThat(factory.channelCount()).isEqualTo(1);
    }

    @Test
    void stopsTheCallWhenTheEngineStopsWaiting() throws Exception {
        CountDownLatch callCancelled = new CountDownLatch(1);
        CountDownLatch callReceived = new CountDownLatch(1);
        server = TestGrpcServer.with(new HealthGrpc.HealthImplBase() {
            @Override
            public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> answer) {
                // never answers; tells the test when the client gives up on the call
                Context.current().addListener(context -> callCancelled.countDown(), Runnable::run);
                callReceived.countDown();
            }
        });
        HealthChecker checker = factory.create(spec(server.endpoint(), "", Map.of(), Duration.ofSeconds(30)));
        CompletableFuture<CheckResult> pending = checker.check(context(Duration.ofSeconds(30))).toCompletableFuture();
        assertThat(callReceived.await(10, TimeUnit.SECONDS)).isTrue();

        pending.cancel(false);

        assertThat(callCancelled.await(10, TimeUnit.SECONDS)).as("the server saw the call cancelled").isTrue();
    }

    static CheckerSpec spec(String endpoint, String service, Map<String, ?> settings, Duration timeout) {
        return CheckerSpec.builder("orders", GrpcCheckerFactory.TYPE, endpoint)
                .timeout(timeout)
                .settings(Settings.of("services[0]", settings))
                .metadata(service.isEmpty() ? Map.of() : Map.of("service", service))
                .build();
    }

    static CheckContext context(Duration timeout) {
        return new CheckContext(1, timeout);
    }

    static CheckResult await(CompletionStage<CheckResult> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static int freePort() {
        return StalledServer.refusedAddress().getPort();
    }

    private CheckResult check(String endpoint, String service, Map<String, ?> settings) throws Exception {
        return check(endpoint, service, settings, Duration.ofSeconds(5));
    }

    private CheckResult check(String endpoint, String service, Map<String, ?> settings, Duration timeout)
            throws Exception {
        HealthChecker checker = factory.create(spec(endpoint, service, settings, timeout));
        return await(checker.check(context(timeout)));
    }

    private String silentEndpoint() {
        return "127.0.0.1:" + silentServer.port();
    }
}
