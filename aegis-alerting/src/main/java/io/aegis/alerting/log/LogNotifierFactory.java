package io.aegis.alerting.log;

import io.aegis.api.Notifier;
import io.aegis.api.NotifierFactory;
import io.aegis.api.NotifierSpec;

/**
 * Creates {@code log} notifiers, which write each alert as one line through {@link System.Logger} (so it
 * lands in whatever logging backend the application uses: java.util.logging, or SLF4J through its
 * platform-logging bridge).
 *
 * <pre>{@code
 * notifications:
 *   log:
 *     enabled: true     # the only setting
 * }</pre>
 *
 * <p>The logger is named {@code io.aegis.alerts}. A firing alert is logged at {@code WARNING} ({@code ERROR}
 * when critical), a resolved one at {@code INFO}, as
 * {@code ALERT firing critical ServiceUnhealthy service=api: api is unhealthy: HTTP 503}; extra labels follow
 * {@code service=} in name order, and line breaks in the summary are written as {@code \n}.
 */
public final class LogNotifierFactory implements NotifierFactory {
    /** The notifier type this factory serves. */
    public static final String TYPE = "log";

    /** The name of the logger alerts are written to. */
    public static final String LOGGER_NAME = "io.aegis.alerts";

    /** Creates the factory. */
    public LogNotifierFactory() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Notifier create(NotifierSpec spec) {
        // read so that it is not reported as unknown; the engine skips disabled notifiers before this
        spec.settings().bool("enabled", true);
        return new LogNotifier(System.getLogger(LOGGER_NAME));
    }
}
