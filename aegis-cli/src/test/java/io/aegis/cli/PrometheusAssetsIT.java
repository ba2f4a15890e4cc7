package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every aegis metric the shipped alerting rules and Grafana dashboard query is exported by the real
 * {@code aegis} executable, so that no rule silently never fires and no panel stays empty after a rename.
 */
@Timeout(120)
class PrometheusAssetsIT {
    @TempDir
    Path dir;

    @Test
    void everyMetricTheRulesAndTheDashboardNameIsExportedByARunningAegis() {
        int metricsPort = Loopback.freePort();
        int demoPort = Loopback.freePort();
        // A healthy process service, and a TCP check of a port nothing listens on: it fails and is recovered
        // (notify), so the series that exist only once a check failed, a recovery ran or an alert fired are there too.
        TestConfigs.write(dir, "aegis.yaml", """
                global:
                  metricsEnabled: true
                  metricsPort: %d
                  stateDir: state
                services:
                  - name: demo
                    type: http
                    endpoint: http://127.0.0.1:%d/health
                    interval: 500ms
                    timeout: 1s
                    startPeriod: 3s
                    actions:
                      onFailure: restart
                    runtime:
                      type: process
                      command: [%s, --port=%d]
                      logFile: %s
                  - name: nothing-here
                    type: tcp
                    endpoint: 127.0.0.1:%d
                    interval: 500ms
                    timeout: 500ms
                    actions:
                      onFailure: notify
                # a notifier, so that the aegis_notifications_* series exist (they are per notifier)
                notifications:
                  log: {}
                """.formatted(metricsPort, demoPort, TestConfigs.demoCommand(), demoPort,
                TestConfigs.quote(dir.resolve("demo.log").toString()), Loopback.freePort()));
        Set<String> inRules = PrometheusAssets.aegisNames(PrometheusAssets.ruleExpressions());
        Set<String> inDashboard = PrometheusAssets.aegisNames(PrometheusAssets.dashboardExpressions());
        assertThat(inRules).as("aegis metrics in %s", PrometheusAssets.rules()).isNotEmpty();
        assertThat(inDashboard).as("aegis metrics in %s", PrometheusAssets.dashboard()).isNotEmpty();

        try (AegisProcess aegis = AegisProcess.start(dir, "--config=aegis.yaml")) {
            aegis.patiently().untilAsserted(() -> assertThat(Loopback.body(metricsPort, "/metrics")).contains(
                    "aegis_service_status{service=\"demo\"} 1",
                    "aegis_health_check_errors_total{reason=\"connect\",service=\"nothing-here\"}",
                    "aegis_recoveries_total{action=\"notify\""));
            String scrape = Loopback.body(metricsPort, "/metrics");
            Set<String> exported = PrometheusAssets.exportedSampleNames(scrape);

            // Soft: a rename shows up in both files at once, so report both.
            SoftAssertions.assertSoftly(softly -> {
                softly.assertThat(exported).as("series of %s that aegis does not export; it exports:%n%s",
                        PrometheusAssets.rules(), String.join("\n", exported)).containsAll(inRules);
                softly.assertThat(exported).as("series of %s that aegis does not export; it exports:%n%s",
                        PrometheusAssets.dashboard(), String.join("\n", exported)).containsAll(inDashboard);
            });
        }
    }
}
