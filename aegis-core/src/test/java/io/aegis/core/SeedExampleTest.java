package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.core.ServiceState;
import io.aegis.core.testing.DemoServerMain;
import io.aegis.testkit.LoopbackHttpServer;
import io.aegis.testkit.LoopbackPorts;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The original project's README example, with all four checker types, running together in one engine
 * against real servers: two supervised child processes (http, tcp), a real grpc-java health server and a
 * real script.
 */
class SeedExampleTest {
    @TempDir
    Path dir;

    private Server grpcServer;
    /** The seed's webhook receiver: the config names one; what it receives is not asserted here. */
    private final LoopbackHttpServer webhook = LoopbackHttpServer.start();
    private Engine engine;

    @AfterEach
    void stopAll() throws InterruptedException {
        if (engine != null) {
            engine.close();
        }
        if (grpcServer != null) {
            grpcServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        webhook.close();
    }

    @Test
    void runsAllFourCheckerTypesOfTheSeedExampleTogether() throws IOException {
        HealthStatusManager health = new HealthStatusManager();
        health.setStatus("health.v1.HealthService", ServingStatus.SERVING);
        grpcServer = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(health.getHealthService()).build().start();
        Path script = dir.resolve("check_service.sh");
        Files.writeString(script, "echo \"ExampleService is fine ($*)\"\nexit 0\n");
        int httpPort = LoopbackPorts.free();
        int tcpPort = LoopbackPorts.free();
        Map<String, String> env = new HashMap<>();
        env.put("METRICS_PORT", "0");
        env.put("HTTP_PORT", String.valueOf(httpPort));
        env.put("TCP_PORT", String.valueOf(tcpPort));
        env.put("GRPC_PORT", String.valueOf(grpcServer.getPort()));
        env.put("HOOK_PORT", String.valueOf(webhook.port()));
        env.put("SCRIPT_PATH", script.toString());
        env.put("LOG_PATH", dir.resolve("example-service.log").toString());
        env.put("DEMO_COMMAND_HTTP", demoCommand(httpPort));
        env.put("DEMO_COMMAND_TCP", demoCommand(tcpPort));
        // The seed checks its tcp service every 15 s and its http one every 5 s: a first check made before the child
        // JVM listens left the test waiting for the next one. Environment overrides (as an operator would set them)
        // shorten both.
        env.put("AEGIS_SERVICE_EXAMPLE_TCP_SERVICE_INTERVAL", "1s");
        env.put("AEGIS_SERVICE_EXAMPLE_SERVICE_INTERVAL", "1s");

        AegisConfig config = AegisConfig.parse(seedExample(), "seed-example-runnable.yaml", env);
        engine = Engine.builder().config(config).metricsHost("127.0.0.1").build().start();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(engine.services())
                .extracting(ServiceSnapshot::name, ServiceSnapshot::state)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("example-service", ServiceState.HEALTHY),
                        org.assertj.core.groups.Tuple.tuple("example-tcp-service", ServiceState.HEALTHY),
                        org.assertj.core.groups.Tuple.tuple("example-grpc-service", ServiceState.HEALTHY),
                        org.assertj.core.groups.Tuple.tuple("example-script-service", ServiceState.HEALTHY)));
        assertThat(engine.service("example-script-service").orElseThrow().lastResult().orElseThrow().message())
                .isEqualTo("ExampleService is fine (-Service ExampleService -Timeout 5)");
    }

    private static String seedExample() throws IOException {
        try (InputStream in = SeedExampleTest.class.getResourceAsStream("seed-example-runnable.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String demoCommand(int port) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return String.join(" ", List.of(java, "-cp", System.getProperty("java.class.path"),
                DemoServerMain.class.getName(), String.valueOf(port)));
    }

}
