package io.aegis.core.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
    private final PrometheusRegistry registry = new PrometheusRegistry();

    @Test
    void servesJvmAndProcessMetricsWhenTheyAreRegistered() throws Exception {
        new EngineMetrics(registry, Clock.systemUTC()).serviceAdded("api");
        EngineMetrics.registerJvmMetrics(registry);

        try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, registry)) {
            Scrape scrape = Scrape.of(server);

            assertThat(scrape.text()).contains(
                    "# TYPE jvm_memory_used_bytes gauge",
                    "# TYPE jvm_threads_current gauge",
                    "# TYPE jvm_gc_collection_seconds summary",
                    "# TYPE jvm_runtime_info gauge",
                    "# TYPE process_cpu_seconds_total counter",
                    "# TYPE process_start_time_seconds gauge",
                    "aegis_service_status{service=\"api\"} 0.0");
        }
    }

    @Test
    void servesNoJvmMetricsUnlessAsked() throws Exception {
        new EngineMetrics(registry, Clock.systemUTC());

        try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, registry)) {
            assertThat(Scrape.of(server).text()).doesNotContain("jvm_", "process_");
        }
    }

    @Test
    void reportsATakenPortInOneSentenceThatSaysWhatToChange() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0));
            int port = taken.getLocalPort();

            assertThatThrownBy(() -> MetricsServer.start("0.0.0.0", port, registry))
                    .isInstanceOf(MetricsPortInUseException.class)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("cannot serve metrics on 0.0.0.0:" + port + ": the port is already in use; set "
                            + "global.metricsPort (or AEGIS_METRICS_PORT) to a free port, or metricsEnabled: false");
        }
    }

    @Test
    void refusesThePortOfAnotherEnginesMetricsServer() {
        try (MetricsServer first = MetricsServer.start("127.0.0.1", 0, registry)) {
            assertThatThrownBy(() -> MetricsServer.start("127.0.0.1", first.port(), new PrometheusRegistry()))
                    .isInstanceOfSatisfying(MetricsPortInUseException.class,
                            e -> assertThat(e.port()).isEqualTo(first.port()))
                    .hasMessageStartingWith("cannot serve metrics on 127.0.0.1:" + first.port() + ": ");
        }
    }

    @Test
    void releasesThePortWhenClosed() throws Exception {
        MetricsServer server = MetricsServer.start("127.0.0.1", 0, registry);
        int port = server.port();
        assertThat(port).isPositive();
        Scrape.of(server);

        server.close();

        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void leavesNoThreadBehindWhenClosed() throws Exception {
        List<String> before = threadsServingHttp();
        MetricsServer server = MetricsServer.start("127.0.0.1", 0, registry);
        // A scrape makes the pool start its threads.
        Scrape.of(server);
        Scrape.of(server);
        List<Thread> pool = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(MetricsServer.THREAD_NAME_PREFIX))
                .collect(Collectors.toList());
        assertThat(pool).as("scrape threads while serving").isNotEmpty().allMatch(Thread::isDaemon);

        server.close();

        assertThat(threadsServingHttp()).as("threads after close").isEqualTo(before);
    }

    @Test
    void closingTwiceIsHarmless() {
        MetricsServer server = MetricsServer.start("127.0.0.1", 0, registry);
        server.close();
        server.close();
    }

    @Test
    void leavesNoThreadBehindWhenThePortIsTaken() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<String> before = threadsServingHttp();

            assertThatThrownBy(() -> MetricsServer.start("127.0.0.1", taken.getLocalPort(), registry))
                    .isInstanceOf(MetricsPortInUseException.class);

            assertThat(threadsServingHttp()).isEqualTo(before);
        }
    }

    /** Our pool's threads and the JDK server's dispatcher threads, which close() must both end. */
    private static List<String> threadsServingHttp() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> name.startsWith(MetricsServer.THREAD_NAME_PREFIX) || name.startsWith("HTTP-Dispatcher"))
                .sorted()
                .collect(Collectors.toList());
    }
}
