package io.aegis.alerting.internal;

import io.aegis.api.Alert;
import java.util.SortedMap;
import java.util.TreeMap;

/** The annotations a notifier sends for an alert. */
public final class Annotations {
    private Annotations() {
    }

    /**
     * The alert's annotations with its summary as {@code summary}, sorted by name: Alertmanager and its templates
     * read the summary there, and Aegis keeps it apart from the other annotations.
     */
    public static SortedMap<String, String> withSummary(Alert alert) {
        SortedMap<String, String> annotations = new TreeMap<>(alert.annotations());
        annotations.put("summary", alert.summary());
        return annotations;
    }
}
