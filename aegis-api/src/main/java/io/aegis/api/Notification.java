package io.aegis.api;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One message to one notifier: a group of alerts sent together, as Alertmanager groups them (by the route's
 * {@code groupBy} labels). A notifier that sends one request per group (the webhook) uses it whole; others
 * may send its alerts one by one ({@link Notifier#deliver(Notification)}'s default).
 *
 * <p>Immutable. {@link #id()} stays the same across retries and restarts of aegis (the notification waits in
 * an on-disk spool until delivered), so a receiver can drop a duplicate: delivery is at least once.
 *
 * @param id unique and stable across retries, for idempotency
 * @param groupKey identifies the group (the route and the values of its {@code groupBy} labels)
 * @param groupLabels the {@code groupBy} labels and their values shared by every alert of the group
 * @param alerts the alerts, firing and resolved, oldest first; never empty
 * @param repeat true when it only repeats what was already delivered ({@code repeatInterval}, or a notifier's
 *     {@linkplain Notifier#resendInterval() re-send}): delivery may drop it for a newer notification of the group
 * @param createdAt when aegis made it
 */
public record Notification(String id, String groupKey, Map<String, String> groupLabels, List<Alert> alerts,
        boolean repeat, Instant createdAt) {

    /**
     * Validates and copies the values.
     *
     * @param id unique and stable across retries, for idempotency
     * @param groupKey identifies the group (the route and the values of its {@code groupBy} labels)
     * @param groupLabels the {@code groupBy} labels and their values shared by every alert of the group
     * @param alerts the alerts, firing and resolved, oldest first; never empty
     * @param repeat true when it only repeats what was already delivered ({@code repeatInterval}, or a notifier's
     *     {@linkplain Notifier#resendInterval() re-send}): delivery may drop it for a newer notification of the group
     * @param createdAt when aegis made it
     */
    public Notification {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(groupKey, "groupKey");
        groupLabels = Collections.unmodifiableMap(new TreeMap<>(groupLabels));
        alerts = List.copyOf(alerts);
        Objects.requireNonNull(createdAt, "createdAt");
        if (alerts.isEmpty()) {
            throw new IllegalArgumentException("a notification needs at least one alert");
        }
    }

    /**
     * A notification of one alert alone, grouped by its fingerprint.
     *
     * @param id unique and stable across retries, for idempotency
     * @param alert the alert
     * @param createdAt when aegis made it
     * @return a notification of {@code alert} alone, not a repeat
     */
    public static Notification of(String id, Alert alert, Instant createdAt) {
        return new Notification(id, "{}/{fingerprint=\"" + alert.fingerprint() + "\"}", Map.of(), List.of(alert),
                false, createdAt);
    }

    /** {@return {@link Alert.State#FIRING} when at least one alert fires, else {@link Alert.State#RESOLVED}} */
    public Alert.State status() {
        return alerts.stream().anyMatch(alert -> alert.state() == Alert.State.FIRING) ? Alert.State.FIRING
                : Alert.State.RESOLVED;
    }

    /** {@return the labels every alert of the group has with the same value, sorted by name} */
    public Map<String, String> commonLabels() {
        return common(alerts.stream().map(Alert::labelSet).toList());
    }

    /** {@return the annotations every alert of the group has with the same value (the summary as {@code summary})} */
    public Map<String, String> commonAnnotations() {
        return common(alerts.stream().map(alert -> {
            Map<String, String> all = new TreeMap<>(alert.annotations());
            all.put("summary", alert.summary());
            return (Map<String, String>) all;
        }).toList());
    }

    private static Map<String, String> common(List<Map<String, String>> maps) {
        TreeMap<String, String> common = new TreeMap<>(maps.get(0));
        for (Map<String, String> map : maps.subList(1, maps.size())) {
            common.entrySet().removeIf(entry -> !entry.getValue().equals(map.get(entry.getKey())));
        }
        return Collections.unmodifiableMap(common);
    }
}
