package io.aegis.api;

import java.util.Locale;

/** How urgent an {@link Alert} is; the names match the seed's log-pattern severities. */
public enum Severity {
    /** For the record; nobody needs to act. */
    INFO,
    /** Someone should look soon. */
    WARNING,
    /** Someone must act now. */
    CRITICAL;

    /** {@return the lower-case name used as a label value, e.g. {@code "critical"}} */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
