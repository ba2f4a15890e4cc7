package io.aegis.core.alerting;

import io.aegis.api.Alert;
import java.util.List;
import java.util.Objects;

/**
 * An alert that fires now, as {@code Engine.alerts()} lists it: the alert and whether it is muted, and by what.
 * Immutable.
 *
 * @param alert the firing alert (its labels, annotations, start)
 * @param silencedBy the ids of the active silences that match it; empty when none does
 * @param inhibitedBy the fingerprints of the firing alerts that inhibit it (inhibition rules, or a firing alert of
 *     a service it depends on); empty when none does
 */
public record ActiveAlert(Alert alert, List<String> silencedBy, List<String> inhibitedBy) {

    /**
     * Validates and copies the values.
     *
     * @param alert the firing alert (its labels, annotations, start)
     * @param silencedBy the ids of the active silences that match it; empty when none does
     * @param inhibitedBy the fingerprints of the firing alerts that inhibit it (inhibition rules, or a firing alert of
     *     a service it depends on); empty when none does
     */
    public ActiveAlert {
        Objects.requireNonNull(alert, "alert");
        silencedBy = List.copyOf(silencedBy);
        inhibitedBy = List.copyOf(inhibitedBy);
    }

    /** {@return whether an active silence matches it: it is not notified} */
    public boolean silenced() {
        return !silencedBy.isEmpty();
    }

    /** {@return whether a firing alert inhibits it: it is not notified} */
    public boolean inhibited() {
        return !inhibitedBy.isEmpty();
    }

    /** {@return the alert's fingerprint, its identity} */
    public String fingerprint() {
        return alert.fingerprint();
    }
}
