package io.aegis.core.internal.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.aegis.core.AegisConfig;
import io.aegis.core.Engine;
import io.aegis.core.InvalidConfigurationException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Mistakes in {@code alerting.rules} are found when the engine is built (so {@code aegis --validate} shows them),
 * all at once, each with file, line, column and key path.
 */
class ThresholdRulesConfigTest {
    private static final String SERVICES = """
            services:
              - name: api
                type: tcp
                endpoint: 127.0.0.1:1
                metadata: {team: web}
              - name: db
                type: tcp
                endpoint: 127.0.0.1:1
                metadata: {team: storage}
            """;

    private static Engine build(String alerting) {
        return Engine.builder().metricsEnabled(false)
                .config(AegisConfig.parse(SERVICES + alerting, "aegis.yaml", Map.of())).build();
    }

    @Test
    void reportsEveryMistakeInTheRulesAtOnceWithLineColumnAndKeyPath() {
        InvalidConfigurationException e = catchThrowableOfType(() -> build("""
                alerting:
                  evaluationInterval: 15 seconds
                  rules:
                    - alert: SlowChecks
                      expr: p95(check_latncy[5m]) > 500ms
                      for: 2 minutes
                      severity: urgent
                      services: [api, dbb]
                    - alert: Flapping
                      expr: count(restarts[1h]) > 3
                      matchers: ['team=~"(web"', team]
                      labels: {service: x, team: web}
                      annotations: {summary: "{{service}} restarted {{value}} times", description: "{{ $labels.team }}"}
                      forr: 1m
                    - expr: count(restarts[1h]) > 3
                """), InvalidConfigurationException.class);

        assertThat(e.errors()).containsExactly(
                "aegis.yaml:11:23: alerting.evaluationInterval: expected a duration like 500ms, 5s, 1m or 1h, found"
                        + " \"15 seconds\"",
                "aegis.yaml:14:13: alerting.rules[0].expr: unknown series \"check_latncy\" at column 5 of"
                        + " \"p95(check_latncy[5m]) > 500ms\"; did you mean \"check_latency\"? known series:"
                        + " check_latency, checks, failed_checks, restarts, recoveries",
                "aegis.yaml:15:12: alerting.rules[0].for: expected a duration like 500ms, 5s, 1m or 1h, found"
                        + " \"2 minutes\"",
                "aegis.yaml:16:17: alerting.rules[0].severity: expected one of info, warning, critical, found \"urgent\"",
                "aegis.yaml:17:23: alerting.rules[0].services[1]: unknown service \"dbb\"; did you mean \"db\"?",
                // the same parser, and the same sentences, as route, silence and inhibition matchers
                "aegis.yaml:20:18: alerting.rules[1].matchers[0]: \"(web\" is no regular expression: Unclosed group",
                "aegis.yaml:20:34: alerting.rules[1].matchers[1]: \"team\" is no matcher; write it as name=value,"
                        + " name!=value, name=~regex or name!~regex, for example severity=\"critical\"",
                "aegis.yaml:21:25: alerting.rules[1].labels.service: label service is set by aegis (alertname from"
                        + " alert:, service from the service, severity from severity:); remove it from labels",
                "aegis.yaml:22:84: alerting.rules[1].annotations.description: unknown placeholder {{ $labels.team }};"
                        + " the placeholders are {{service}}, {{value}}, {{threshold}}, {{alert}}, {{expr}}",
                "aegis.yaml:23:7: alerting.rules[1].forr: unknown key \"forr\"; did you mean \"for\"?",
                "aegis.yaml:24:7: alerting.rules[2].alert: missing: expected the alert's name, such as SlowChecks");
    }

    @Test
    void refusesTwoRulesThatWouldRaiseTheSameAlertForOneService() {
        InvalidConfigurationException e = catchThrowableOfType(() -> build("""
                alerting:
                  rules:
                    - alert: SlowChecks
                      expr: p95(check_latency[5m]) > 500ms
                      services: [api]
                    - alert: SlowChecks
                      expr: p95(check_latency[5m]) > 5s
                      services: [db]
                    - alert: SlowChecks
                      expr: p99(check_latency[5m]) > 1s
                      matchers: [team=web]
                """), InvalidConfigurationException.class);

        assertThat(e.errors()).containsExactly("aegis.yaml:18:14: alerting.rules[2].alert: raises the same alert as"
                + " alerting.rules[0] (SlowChecks with the same labels) for service(s) api: the two would resolve each"
                + " other's alert; give one of them other services or another label");
    }

    @Test
    void theReadmeExampleIsValid() {
        try (Engine engine = Engine.builder().metricsEnabled(false).config(AegisConfig.parse("""
                services:
                  - name: api
                    type: http
                    endpoint: http://127.0.0.1:8080/health
                    interval: 10s
                    metadata: {team: web}
                  - name: worker
                    type: tcp
                    endpoint: 127.0.0.1:9000
                    metadata: {team: batch}

                alerting:
                  evaluationInterval: 15s            # how often every rule is evaluated (default 15s; 1s to 1h)
                  rules:
                    - alert: SlowChecks
                      expr: p95(check_latency[5m]) > 500ms
                      for: 2m                        # must hold this long before it fires (default 0: fire at once)
                      severity: warning              # info, warning (default) or critical
                      services: [api]                # default: every service
                      labels: {team: web}            # extra labels (alertname, service and severity are set by aegis)
                      annotations:
                        summary: "{{service}} is slow: p95 {{value}} (threshold {{threshold}})"
                        description: "p95 of the check latency over 5 minutes has been above 500ms for 2 minutes."
                        runbook_url: https://runbooks.example.com/slow-checks
                    - alert: SlowChecks              # the same alert with another threshold for other services
                      expr: p95(check_latency[5m]) > 5s
                      matchers: ['team=~"batch|etl"'] # services chosen by name and metadata, in Alertmanager matcher syntax
                    - alert: FailingChecks
                      expr: failure_ratio(checks[10m]) > 20%
                      for: 5m
                      severity: critical
                    - alert: RestartLoop
                      expr: count(restarts[1h]) > 3
                      annotations:
                        summary: "{{service}} was restarted {{value}} times in the last hour"
                    - alert: ChecksStopped
                      expr: count(checks[2m]) < 1    # no check result for 2 minutes: the service is paused or its checks hang
                      for: 1m
                    - alert: OftenDown
                      expr: time_in(unhealthy[1h]) > 10m   # down, in several short incidents or one long one
                """, "aegis.yaml", Map.of())).build()) {
            assertThat(engine.configurationWarnings()).isEmpty();
        }
    }

    @Test
    void readsAGoodRuleWithItsDefaults() {
        try (Engine engine = build("""
                alerting:
                  rules:
                    - alert: SlowChecks
                      expr: p95(check_latency[5m]) > 500ms
                """)) {
            assertThat(engine.configurationWarnings()).isEmpty();
        }
        assertThat(RuleSet.DEFAULT_EVALUATION_INTERVAL).isEqualTo(Duration.ofSeconds(15));
    }
}
