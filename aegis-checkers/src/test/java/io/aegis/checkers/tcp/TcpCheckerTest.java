package io.aegis.checkers.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import io.aegis.api.Settings;
import io.aegis.testkit.StalledServer;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The tcp checker against real TCP servers on loopback. */
class TcpCheckerTest {
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);

    private final TcpCheckerFactory factory = new TcpCheckerFactory();
    private StalledServer server;

    @AfterEach
    void stopEverything() {
        factory.close();
        if (server != null) {
            server.close();
        }
    }

    @Test
    void reportsHealthyWhenPortAcceptsConnections() throws Exception {
        server = StalledServer.start();

        CheckResult result = check(endpoint(), Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.message()).isEqualTo("connected to " + endpoint());
        assertThat(result.failureReason()).isEmpty();
    }

    @Test
    void closesTheConnectionAfterTheCheck() throws Exception {
        server = StalledServer.start();

        check(endpoint(), Map.of());

        assertThat(server.awaitAccepted(1, Duration.ofSeconds(5))).isTrue();
        assertThat(server.awaitNoneOpen(Duration.ofSeconds(5))).as("the check's connection closed").isTrue();
    }

    @Test
    void reportsConnectFailureWhenNothingListens() throws Exception {
        int freePort = StalledServer.refusedAddress().getPort();

        CheckResult result = check("127.0.0.1:" + freePort, Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.CONNECT);
        assertThat(result.message()).startsWith("cannot connect to 127.0.0.1:" + freePort);
    }

    @Test
    void sendsConfiguredTextWithEscapesUnderstood() throws Exception {
        server = StalledServer.start();

        CheckResult result = check(endpoint(), Map.of("send", "PING\\r\\n"));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(server.received())
                .isEqualTo("PING\r\n"));
    }

    @Test
    void reportsHealthyWhenAnswerMatchesExpectedBody() throws Exception {
        server = StalledServer.saying("+PONG\r\n");

        CheckResult result = check(endpoint(), Map.of("send", "PING\n", "expect", Map.of("body", "^\\+PONG")));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.message()).isEqualTo("connected to " + endpoint());
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(server.received())
                .isEqualTo("PING\n"));
    }

    @Test
    void readsUntilTheAnswerMatchesAcrossSeveralWrites() throws Exception {
        server = StalledServer.saying("220 mail.example ", "ESMTP ready\r\n");

        CheckResult result = check(endpoint(), Map.of("expect", Map.of("body", "220 .* ESMTP ready")));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void reportsBodyFailureWhenServerClosesBeforeAnswerMatches() throws Exception {
        server = StalledServer.sayingThenClosing("-ERR unknown command\r\n");

        CheckResult result = check(endpoint(), Map.of("send", "PING\n", "expect", Map.of("body", "PONG")));

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.BODY);
        assertThat(result.message()).isEqualTo("the connection closed before the answer matched /PONG/");
    }

    @Test
    void reportsBodyFailureWhenAnswerExceedsReadLimitWithoutMatch() throws Exception {
        server = StalledServer.saying("x".repeat(TcpProbe.READ_LIMIT + 1));

        CheckResult result = check(endpoint(), Map.of("expect", Map.of("body", "PONG")));

        assertThat(result.failureReason()).contains(FailureReason.BODY);
        assertThat(result.message()).isEqualTo("the answer did not match /PONG/ in its first 64 KiB");
    }

    @Test
    void reportsTimeoutWhenServerNeverAnswersTheExpectedBody() throws Exception {
        server = StalledServer.start();

        CheckResult result = check(endpoint(), Map.of("send", "PING\n", "expect", Map.of("body", "PONG")),
                SHORT_TIMEOUT);

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.TIMEOUT);
        assertThat(result.latency()).isGreaterThanOrEqualTo(SHORT_TIMEOUT);
        assertThat(result.message()).isEqualTo("no answer matching /PONG/ from " + endpoint() + " within 300ms");
    }

    @Test
    void returnsBeforeTheServerAnswers() throws Exception {
        server = StalledServer.start();
        HealthChecker checker = factory.create(spec(endpoint(), Map.of("expect", Map.of("body", "PONG")),
                Duration.ofSeconds(30)));

        CompletionStage<CheckResult> pending = checker.check(new CheckContext(1, Duration.ofSeconds(30)));

        assertThat(pending.toCompletableFuture()).isNotDone();
        pending.toCompletableFuture().cancel(false);
    }

    @Test
    void reportsDnsFailureWhenHostDoesNotExist() throws Exception {
        CheckResult result = check("does-not-exist.invalid:5432", Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.DNS);
        assertThat(result.message()).isEqualTo("cannot resolve host does-not-exist.invalid");
    }

    @Test
    void resolvesHostNamesOnItsOwnThreadsEvenWhenTheEnginesBlockingPoolIsSaturated() throws Exception {
        server = StalledServer.start();
        // A pool whose every thread is busy (with scripts, say): what is handed to it never runs.
        List<Runnable> neverRun = new CopyOnWriteArrayList<>();
        CheckerSpec spec = CheckerSpec.builder("db", TcpCheckerFactory.TYPE, "localhost:" + server.port())
                .settings(Settings.of("services[0]", Map.of()))
                .blockingExecutor(neverRun::add)
                .build();

        CheckResult result = await(factory.create(spec).check(new CheckContext(1, Duration.ofSeconds(2))));

        assertThat(result.status()).as(result.message()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(neverRun).as("DNS look-ups handed to the engine's shared pool").isEmpty();
    }

    @Test
    void stopsItsResolverThreadsOnClose() throws Exception {
        server = StalledServer.start();
        CheckResult result = check("localhost:" + server.port(), Map.of());
        assertThat(result.status()).as(result.message()).isEqualTo(HealthStatus.HEALTHY);

        factory.close();

        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                Thread.getAllStackTraces().keySet()).filteredOn(Thread::isAlive).extracting(Thread::getName)
                .noneMatch(name -> name.startsWith("aegis-tcp-resolver")));
    }

    @Test
    void connectsToBracketedIpv6Literal() throws Exception {
        InetAddress ipv6Loopback = InetAddress.getByName("::1");
        try (ServerSocket ipv6Server = new ServerSocket()) {
            try {
                ipv6Server.bind(new InetSocketAddress(ipv6Loopback, 0));
            } catch (IOException e) {
                Assumptions.abort("this machine has no IPv6 loopback: " + e.getMessage());
            }
            assertThat(ipv6Loopback).isInstanceOf(Inet6Address.class);

            CheckResult result = check("[::1]:" + ipv6Server.getLocalPort(), Map.of());

            assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
            assertThat(result.message()).isEqualTo("connected to [::1]:" + ipv6Server.getLocalPort());
        }
    }

    private String endpoint() {
        return "127.0.0.1:" + server.port();
    }

    private CheckResult check(String endpoint, Map<String, ?> settings) throws Exception {
        return check(endpoint, settings, Duration.ofSeconds(5));
    }

    private CheckResult check(String endpoint, Map<String, ?> settings, Duration timeout) throws Exception {
        HealthChecker checker = factory.create(spec(endpoint, settings, timeout));
        return await(checker.check(new CheckContext(1, timeout)));
    }

    static CheckerSpec spec(String endpoint, Map<String, ?> settings, Duration timeout) {
        return CheckerSpec.builder("db", TcpCheckerFactory.TYPE, endpoint)
                .timeout(timeout)
                .settings(Settings.of("services[0]", settings))
                .build();
    }

    private static CheckResult await(CompletionStage<CheckResult> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
