package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.cli.AegisProcess.Result;
import io.aegis.testkit.LoopbackHttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code aegis} executable keeps secrets to itself: values that came from {@code ${VAR}} and URL
 * credentials appear neither in {@code --validate} output, nor in its log, nor in what a webhook receives, nor in
 * {@code /metrics}.
 */
@Timeout(90)
class SecretsIT {
    private static final String PASSWORD = "pw-from-env-4711";
    private static final String QUERY_TOKEN = "token-in-file-0815";
    /** In the path of a webhook URL: recognisable only as a value from ${VAR}. */
    private static final String HOOK_SECRET = "hook-path-secret-42";

    @TempDir
    Path dir;

    private LoopbackHttpServer receiver;

    @BeforeEach
    void startWebhookReceiver() {
        receiver = LoopbackHttpServer.start();
    }

    @AfterEach
    void stopWebhookReceiver() {
        receiver.close();
    }

    @Test
    void validateShowsNeitherAValueFromTheEnvironmentNorAHeaderValueWithALineBreak() {
        TestConfigs.write(dir, "secrets.yaml", """
                services:
                  - name: api
                    type: http
                    endpoint: http://127.0.0.1:1/health
                    headers:
                      Authorization: "Bearer ${API_TOKEN}"
                  - name: db
                    type: http
                    endpoint: http://127.0.0.1:1/health
                    timeout: ${DB_TIMEOUT}
                """);
        Map<String, String> env = Map.of("API_TOKEN", "tok-part-one\r\nX-Injected: tok-part-two",
                "DB_TIMEOUT", "timeout-secret-99");

        Result result = AegisProcess.run(dir, env, "--config=secrets.yaml", "--validate");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.stderr()).as("%s", result)
                .containsPattern("secrets\\.yaml:6:\\d+: services\\[0\\]\\.headers\\.Authorization: expected a header"
                        + " value on one line, found a line break")
                .containsPattern("secrets\\.yaml:10:\\d+: services\\[1\\]\\.timeout: .*found \"\\*\\*\\*\"");
        assertThat(result.stdout() + result.stderr()).as("%s", result)
                .doesNotContain("tok-part-one", "tok-part-two", "X-Injected", "timeout-secret-99", "\r");
    }

    @Test
    void theProcessRuntimesOwnLogLinesMaskACommandArgumentFromTheEnvironment() {
        // The runtime logs "started pid N (<command>)" itself: that line carried the value of ${SVC_SECRET}.
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsEnabled: false
                services:
                  - name: worker
                    type: tcp
                    endpoint: 127.0.0.1:%d
                    interval: 1s
                    timeout: 500ms
                    runtime:
                      type: process
                      command: [sh, -c, 'exec sleep 30', worker, "--token=${SVC_SECRET}"]
                      stopGracePeriod: 1s
                """.formatted(Loopback.freePort()));

        try (AegisProcess aegis = AegisProcess.start(dir, Map.of("SVC_SECRET", PASSWORD), "--config=aegis.yaml")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> aegis.stderr().contains("started pid"));
            aegis.terminate();
            Result result = aegis.awaitExit(30);

            assertThat(result.stderr()).as("%s", result).contains("worker --token=***)");
            assertThat(result.stdout() + result.stderr()).as("%s", result).doesNotContain(PASSWORD);
        }
    }

    @Test
    void neitherTheLogNorTheWebhookNorMetricsShowTheCredentialsOfAnEndpoint() {
        int metricsPort = Loopback.freePort();
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsPort: %d
                services:
                  - name: api
                    type: http
                    endpoint: http://alice:${API_PASSWORD}@127.0.0.1:%d/health?token=%s&page=1
                    interval: 300ms
                    timeout: 1s
                    actions:
                      onFailure: notify
                notifications:
                  webhook:
                    endpoint: http://127.0.0.1:%d/hook
                  pager:
                    type: webhook
                    endpoint: http://127.0.0.1:%d/hooks/${HOOK_SECRET}
                alerting:
                  route: {groupWait: 0s, groupInterval: 0s}
                """.formatted(metricsPort, Loopback.freePort(), QUERY_TOKEN, receiver.port(),
                Loopback.freePort()));
        Map<String, String> env = Map.of("API_PASSWORD", PASSWORD, "HOOK_SECRET", HOOK_SECRET);

        try (AegisProcess aegis = AegisProcess.start(dir, env, "--config=aegis.yaml")) {
            // the failed delivery to the pager is logged with its URL: masked
            await().atMost(Duration.ofSeconds(30)).until(() -> !payloads().isEmpty()
                    && aegis.stderr().contains("/hooks/***"));
            String metrics = Loopback.body(metricsPort, "/metrics");
            aegis.terminate();
            Result result = aegis.awaitExit(30);

            assertThat(result.stderr()).as("%s", result).contains("WARN")
                    .contains("http://127.0.0.1:").contains("/health?token=***&page=1").contains("/hooks/***");
            assertThat(result.stdout() + result.stderr()).as("%s", result)
                    .doesNotContain(PASSWORD, QUERY_TOKEN, HOOK_SECRET);
            assertThat(payloads().get(0)).as("the webhook payload").contains("\"summary\":\"api is unhealthy: ")
                    .doesNotContain(PASSWORD, QUERY_TOKEN);
            assertThat(metrics).as("/metrics").contains("aegis_service_status").doesNotContain(PASSWORD, QUERY_TOKEN);
        }
    }

    /** The bodies the webhook receiver got, oldest first. */
    private List<String> payloads() {
        return receiver.requests().stream().map(LoopbackHttpServer.Request::body).toList();
    }
}
