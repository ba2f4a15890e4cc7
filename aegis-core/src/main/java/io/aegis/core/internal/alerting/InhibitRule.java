package io.aegis.core.internal.alerting;

import io.aegis.core.alerting.Matcher;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An inhibition rule with Alertmanager's meaning: while an alert matching {@code sourceMatchers} fires, alerts
 * matching {@code targetMatchers} that have the same values for the {@code equal} labels are not notified. An
 * alert that matches both sides is not inhibited by itself nor by another alert that matches both sides.
 * {@code dependsOn} is expressed with the same rule ({@link #dependsOn}). Immutable.
 *
 * @param description where it comes from, for logs ({@code alerting.inhibitRules[0]}, {@code dependsOn of api})
 */
record InhibitRule(String description, List<Matcher> sourceMatchers, List<Matcher> targetMatchers,
        List<String> equal) {

    InhibitRule {
        Objects.requireNonNull(description, "description");
        sourceMatchers = List.copyOf(sourceMatchers);
        targetMatchers = List.copyOf(targetMatchers);
        equal = List.copyOf(equal);
    }

    /**
     * The implicit rule of {@code dependsOn}: while {@code dependency} has a firing alert, the alerts of
     * {@code dependent} are inhibited (its trouble is the dependency's, and the dependency's alert says so).
     */
    static InhibitRule dependsOn(String dependent, String dependency) {
        return new InhibitRule("dependsOn: " + dependent + " depends on " + dependency,
                List.of(Matcher.equal("service", dependency)), List.of(Matcher.equal("service", dependent)), List.of());
    }

    /** Whether {@code source} (a firing alert's labels) inhibits {@code target} (another alert's labels). */
    boolean inhibits(Map<String, String> source, Map<String, String> target) {
        if (!Matcher.all(targetMatchers, target) || !Matcher.all(sourceMatchers, source)) {
            return false;
        }
        if (Matcher.all(sourceMatchers, target) && Matcher.all(targetMatchers, source)) {
            return false; // both match both sides: they would silence each other (Alertmanager's two-sided rule)
        }
        for (String label : equal) {
            if (!source.getOrDefault(label, "").equals(target.getOrDefault(label, ""))) {
                return false;
            }
        }
        return true;
    }
}
