package io.aegis.core.internal.alerting.rules;

import io.aegis.api.Alert;
import io.aegis.api.Severity;
import io.aegis.core.alerting.Matcher;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One entry of {@code alerting.rules}, parsed and checked: the alert it raises, its condition, how long the condition
 * must hold ({@code for}), and which services it watches. Immutable.
 *
 * @param keyPath where it is in the configuration ({@code alerting.rules[0]})
 * @param alert the alert's name
 * @param expression its condition
 * @param holdFor how long the condition must hold before the alert fires ({@code for:}; zero fires at once)
 * @param severity the alert's severity
 * @param services the services it watches when listed; empty = every service (matchers permitting)
 * @param matchers further conditions on the service's name ({@code service}) and metadata; all must match
 * @param labels extra labels of the alert
 * @param summary the summary template ({@code annotations.summary}), when given
 * @param annotations the other annotation templates
 */
record ThresholdRule(String keyPath, String alert, RuleExpression expression, Duration holdFor, Severity severity,
        Optional<Set<String>> services, List<Matcher> matchers, Map<String, String> labels,
        Optional<String> summary, Map<String, String> annotations) {

    /**
     * Whether the rule watches service {@code name}, which has {@code metadata}: the matchers see the metadata as
     * labels, and {@code service} as the service's name.
     */
    boolean appliesTo(String name, Map<String, String> metadata) {
        if (!services.map(listed -> listed.contains(name)).orElse(true)) {
            return false;
        }
        if (matchers.isEmpty()) {
            return true;
        }
        Map<String, String> labels = new HashMap<>(metadata);
        labels.put("service", name);
        return Matcher.all(matchers, labels);
    }

    /** The firing alert for {@code service}, its condition true since {@code activeAt}, now at {@code value}. */
    Alert alertFor(String service, double value, Instant activeAt) {
        Map<String, String> values = Map.of("service", service, "value", expression.format(value),
                "threshold", expression.thresholdText(), "alert", alert, "expr", expression.text());
        Map<String, String> texts = new LinkedHashMap<>();
        annotations.forEach((name, template) -> texts.put(name, Templates.render(template, values)));
        String summaryText = summary.map(template -> Templates.render(template, values))
                .orElse(expression.aggregateText() + " is " + expression.format(value) + " (threshold: "
                        + expression.toString().substring(expression.aggregateText().length() + 1) + ")");
        return Alert.builder(alert, service).severity(severity).labels(labels).summary(summaryText)
                .annotations(texts).startsAt(activeAt).build();
    }
}
