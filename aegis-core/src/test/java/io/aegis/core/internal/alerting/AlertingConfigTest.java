package io.aegis.core.internal.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.ConfigProblem;
import io.aegis.core.alerting.Matcher;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The alerting: section: defaults, inheritance, and every mistake with its key path. */
class AlertingConfigTest {

    @Test
    void withoutASectionEveryNotifierGetsEveryAlertWithAlertmanagersTimings() {
        List<ConfigProblem> problems = new java.util.ArrayList<>();
        AlertingConfig config = AlertingConfig.parse(LifecycleHarness.alerting(""), List.of("hook", "log"), problems);

        assertThat(problems).isEmpty();
        assertThat(config.route().notifiers()).containsExactly("hook", "log");
        assertThat(config.route().groupBy()).containsExactly("alertname", "service");
        assertThat(config.route().groupWait()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.route().groupInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.route().repeatInterval()).isEqualTo(Duration.ofHours(4));
    }

    @Test
    void childRoutesInheritNotifiersAndTimingsUnlessTheySetTheirOwn() {
        List<ConfigProblem> problems = new java.util.ArrayList<>();
        AlertingConfig config = AlertingConfig.parse(LifecycleHarness.alerting("""
                route:
                  notifiers: [log]
                  groupWait: 10s
                  routes:
                    - {matchers: [severity=critical], groupInterval: 1m}
                """), List.of("hook", "log"), problems);

        assertThat(problems).isEmpty();
        Route child = config.route().children().get(0);
        assertThat(child.notifiers()).containsExactly("log");
        assertThat(child.groupWait()).isEqualTo(Duration.ofSeconds(10));
        assertThat(child.groupInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(child.matchers()).containsExactly(Matcher.equal("severity", "critical"));
    }

    @Test
    void everyMistakeIsReportedAtOnceWithItsKeyPath() {
        List<ConfigProblem> problems = LifecycleHarness.problems("""
                metadataLabels: [team, severity, "bad-name"]
                evaluationInterval: 15s
                rules: []
                route:
                  groupWait: soon
                  groupBy: [service, 5, ...]
                  routes:
                    - matchers: ['severity=="x', 'team~pay']
                      notifiers: [pagr]
                      grupBy: [service]
                silences:
                  - matchers: [service=db]
                    startsAt: 2026-12-01T23:00:00Z
                    endsAt: 2026-12-01T22:00:00Z
                  - matchers: [service=db]
                    schedule: {weekdays: [caturday], times: [{start: "04:00", end: "02:00"}], timeZone: Mars/Olympus}
                  - comment: no matchers, no end
                inhibitRules:
                  - targetMatchers: [severity=warning]
                """, List.of("pager", "log"));

        assertThat(problems).extracting(ConfigProblem::keyPath).containsExactlyInAnyOrder(
                "alerting.metadataLabels[1]",
                "alerting.metadataLabels[2]",
                "alerting.route.groupWait",
                "alerting.route.groupBy[1]",
                "alerting.route.routes[0].matchers[0]",
                "alerting.route.routes[0].matchers[1]",
                "alerting.route.routes[0].notifiers[0]",
                "alerting.route.routes[0].grupBy",
                "alerting.silences[0].endsAt",
                "alerting.silences[1].schedule.weekdays[0]",
                "alerting.silences[1].schedule.times[0].end",
                "alerting.silences[1].schedule.timeZone",
                "alerting.silences[2].matchers",
                "alerting.silences[2].endsAt",
                "alerting.inhibitRules[0].sourceMatchers");
        assertThat(problems).filteredOn(p -> p.keyPath().endsWith("notifiers[0]")).singleElement()
                .extracting(ConfigProblem::message).asString().contains("\"pagr\"").contains("pager, log");
        assertThat(problems).filteredOn(p -> p.keyPath().endsWith("grupBy")).singleElement()
                .extracting(ConfigProblem::message).asString().contains("did you mean \"groupBy\"");
    }

    @Test
    void matchersParseAlertmanagersSyntaxWithOrWithoutQuotes() {
        assertThat(Matcher.parse("team=~\"pay.*\"").matches(Map.of("team", "payments"))).isTrue();
        assertThat(Matcher.parse("team=~pay").matches(Map.of("team", "payments"))).as("anchored").isFalse();
        assertThat(Matcher.parse("env!=\"prod\"").matches(Map.of())).isTrue();
        assertThat(Matcher.parse("env!~\"dev|test\"").matches(Map.of("env", "test"))).isFalse();
        assertThat(Matcher.parse(" service = db ")).isEqualTo(Matcher.equal("service", "db"));
        assertThat(Matcher.parse("summary=\"say \\\"hi\\\"\"").value()).isEqualTo("say \"hi\"");
    }
}
