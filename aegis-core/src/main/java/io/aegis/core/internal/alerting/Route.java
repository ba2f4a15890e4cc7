package io.aegis.core.internal.alerting;

import io.aegis.core.alerting.Matcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One node of the routing tree ({@code alerting.route} and its {@code routes}), with Alertmanager's matching: an
 * alert goes down to the first child that matches (and on to the next ones too when that child has
 * {@code continue: true}); where no child matches, the route itself takes it. Children inherit their parent's
 * notifiers, grouping and timings unless they set their own. Immutable.
 *
 * @param id the route's position, {@code 0} for the root and {@code 0.1} for its second child: the key of its
 *     groups in the state directory
 * @param key Alertmanager's route key, the matchers from the root down ({@code {}/{severity="critical"}})
 */
record Route(String id, String key, List<Matcher> matchers, List<String> notifiers, List<String> groupBy,
        Duration groupWait, Duration groupInterval, Duration repeatInterval, boolean continueMatching,
        List<Route> children) {

    /** groupBy: [...] groups by every label, as in Alertmanager. */
    static final String ALL_LABELS = "...";

    Route {
        matchers = List.copyOf(matchers);
        notifiers = List.copyOf(notifiers);
        groupBy = List.copyOf(groupBy);
        children = List.copyOf(children);
    }

    /** The routes that take an alert with {@code labels}; empty when this route does not match it. */
    List<Route> match(Map<String, String> labels) {
        if (!Matcher.all(matchers, labels)) {
            return List.of();
        }
        List<Route> matched = new ArrayList<>();
        for (Route child : children) {
            List<Route> taken = child.match(labels);
            matched.addAll(taken);
            if (!taken.isEmpty() && !child.continueMatching) {
                break;
            }
        }
        return matched.isEmpty() ? List.of(this) : matched;
    }

    /** The values of the {@code groupBy} labels of an alert with {@code labels} (absent ones left out). */
    Map<String, String> groupLabels(Map<String, String> labels) {
        if (groupBy.contains(ALL_LABELS)) {
            return new TreeMap<>(labels);
        }
        Map<String, String> group = new TreeMap<>();
        for (String name : groupBy) {
            String value = labels.get(name);
            if (value != null && !value.isEmpty()) {
                group.put(name, value);
            }
        }
        return group;
    }

    /** Alertmanager's group key: the route's key and the group labels, {@code {}:{alertname="X", service="y"}}. */
    String groupKey(Map<String, String> groupLabels) {
        StringBuilder text = new StringBuilder(key).append(":{");
        String separator = "";
        for (Map.Entry<String, String> label : groupLabels.entrySet()) {
            text.append(separator).append(Matcher.equal(label.getKey(), label.getValue()));
            separator = ", ";
        }
        return text.append('}').toString();
    }

    /** This route and every route below it, depth first. */
    List<Route> all() {
        List<Route> all = new ArrayList<>(List.of(this));
        children.forEach(child -> all.addAll(child.all()));
        return all;
    }
}
