package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.cli.PrometheusAssets.PromtoolRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Prometheus config, alerting rules and Grafana dashboard are valid for the real {@code promtool}
 * (Debian's prometheus package): the config and its rule files load, the rules' unit tests pass, and every
 * dashboard query parses. That they name only metrics aegis exports is {@link PrometheusAssetsIT}'s job.
 */
@Timeout(120)
class PrometheusAssetsTest {
    @TempDir
    Path dir;

    @Test
    void prometheusConfigAndTheRuleFilesItNamesPassPromtoolCheckConfig() {
        Path config = PrometheusAssets.prometheusConfig();

        PromtoolRun run = PrometheusAssets.promtool(dir, "check", "config", config.toString());

        assertThat(run.exitCode()).as("promtool check config %s:%n%s", config, run.output()).isZero();
        // check config also loads rule_files; make sure it found ours rather than none.
        assertThat(run.output()).as("promtool check config %s", config).contains("1 rule files found");
    }

    @Test
    void alertingRulesPassPromtoolCheckRules() {
        Path rules = PrometheusAssets.rules();

        PromtoolRun run = PrometheusAssets.promtool(dir, "check", "rules", rules.toString());

        assertThat(run.exitCode()).as("promtool check rules %s:%n%s", rules, run.output()).isZero();
        assertThat(run.output()).contains("SUCCESS: " + PrometheusAssets.ruleExpressions().size() + " rules found");
    }

    @Test
    void alertingRulesPassTheirPromtoolUnitTests() {
        Path tests = PrometheusAssets.rulesTest();

        PromtoolRun run = PrometheusAssets.promtool(dir, "test", "rules", tests.toString());

        assertThat(run.exitCode()).as("promtool test rules %s:%n%s", tests, run.output()).isZero();
        assertThat(run.output()).contains("SUCCESS");
    }

    /** promtool has no "check query": each query becomes a recording rule, which it parses as PromQL. */
    @Test
    void everyDashboardQueryIsValidPromql() throws IOException {
        List<String> queries = PrometheusAssets.dashboardExpressions();
        ObjectMapper json = new ObjectMapper();
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (int i = 0; i < queries.size(); i++) {
            String promql = withVariablesSet(queries.get(i));
            // A JSON string is a valid YAML double-quoted scalar.
            rules.append("      - record: dashboard:query_").append(i).append('\n')
                    .append("        expr: ").append(json.writeValueAsString(promql)).append('\n');
        }
        Path file = Files.writeString(dir.resolve("dashboard-queries.yml"), rules);

        PromtoolRun run = PrometheusAssets.promtool(dir, "check", "rules", file.toString());

        assertThat(run.exitCode()).as("promtool check rules on the dashboard's queries:%n%s%n%s", run.output(),
                rules).isZero();
    }

    @Test
    void dashboardIsAnImportableGrafanaDashboard() {
        JsonNode dashboard = PrometheusAssets.dashboardJson();

        assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        assertThat(dashboard.path("__inputs").findValuesAsText("name")).containsExactly("DS_PROMETHEUS");
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        Set<Integer> ids = new HashSet<>();
        List<String> types = new ArrayList<>();
        List<String> rows = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(ids.add(panel.path("id").asInt())).as("panel ids are unique: %s", panel.path("id")).isTrue();
            types.add(panel.path("type").asText());
            if ("row".equals(panel.path("type").asText())) {
                // A row only heads the panels after it; expanded, so they stay top-level panels (and are checked).
                assertThat(panel.path("collapsed").asBoolean()).as("row %s is collapsed", panel.path("title")).isFalse();
                rows.add(panel.path("title").asText());
                continue;
            }
            assertThat(panel.path("datasource").path("uid").asText()).as("datasource of %s", panel.path("title"))
                    .isEqualTo("${DS_PROMETHEUS}");
            assertThat(panel.path("targets")).as("queries of %s", panel.path("title")).isNotEmpty();
        }
        assertThat(types).contains("state-timeline", "timeseries", "table");
        assertThat(rows).contains("Alerts");
    }

    /** The query with Grafana's variables replaced by what they may expand to. */
    private static String withVariablesSet(String query) {
        return query.replace("$__rate_interval", "1m").replace("$job", ".+").replace("$service", ".+");
    }
}
