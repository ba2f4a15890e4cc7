package io.aegis.cli;

import io.aegis.core.Engine;

// sun.misc.Signal by its full name, not imported: javadoc (-P release, failOnWarnings) warns about every import of
// an API that JDK 17's symbol table marks proprietary; javac still warns when it compiles this file.
/**
 * SIGUSR1 reopens every service's log file ({@link Engine#reopenLogs()}), the convention of nginx and
 * supervisord that logrotate's {@code postrotate} relies on: rename the files, then {@code kill -USR1} aegis.
 */
final class LogReopenSignal {

    private LogReopenSignal() {
    }

    /** Installs the handler for the life of the process; reopening after the engine is closed does nothing. */
    static void install(Engine engine) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("USR1"), signal -> engine.reopenLogs());
        } catch (IllegalArgumentException e) {
            // The JVM keeps SIGUSR1 for itself on this platform: logs can still be rotated by size.
        }
    }
}
