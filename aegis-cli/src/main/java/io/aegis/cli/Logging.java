package io.aegis.cli;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogManager;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Sets up slf4j-simple, the logging backend of the {@code aegis} command, through its system properties.
 *
 * <p>slf4j-simple reads them once, when the first logger is created, so {@link #configure} must run before
 * anything calls {@code LoggerFactory} or {@code System.getLogger} (plugins log through the JDK's
 * {@code System.Logger}, which slf4j-jdk-platform-logging sends to SLF4J as well). Libraries that log through
 * {@code java.util.logging} reach SLF4J through jul-to-slf4j, so every line on stderr has one format.
 */
final class Logging {
    private static final String PREFIX = "org.slf4j.simpleLogger.";
    private static final String DOCKER_HTTP_RETRY =
            "com.github.dockerjava.zerodep.shaded.org.apache.hc.client5.http.impl.classic.HttpRequestRetryExec";
    /** Logger name prefixes of the JDK itself; slf4j-simple applies a level to every name below a prefix. */
    private static final List<String> JDK_LOGGERS = List.of("java", "javax", "jdk", "sun", "com.sun");

    private Logging() {
    }

    /**
     * One line per event on stderr: {@code 2025-01-31T10:15:30.123+01:00 [INFO] Engine - demo: ...}.
     * Properties given with {@code -D} (in {@code JAVA_OPTS}) win, except the level, which follows the
     * flag, the environment and the YAML.
     */
    static void configure(LogLevel level) {
        System.setProperty(PREFIX + "defaultLogLevel", level.lowerCase());
        setIfAbsent("logFile", "System.err");
        setIfAbsent("showDateTime", "true");
        setIfAbsent("dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        setIfAbsent("levelInBrackets", "true");
        setIfAbsent("showThreadName", "false");
        setIfAbsent("showShortLogName", "true");
        // The JDK logs through System.Logger too, and at debug it is a flood (every trusted CA certificate,
        // every HTTP exchange): --log-level=debug and trace are about aegis, so the JDK stays at info or above.
        String jdkLevel = (level.compareTo(LogLevel.INFO) < 0 ? LogLevel.INFO : level).lowerCase();
        for (String jdkLogger : JDK_LOGGERS) {
            setIfAbsent("log." + jdkLogger, jdkLevel);
        }
        // The Docker client's HTTP stack says at INFO that it re-sent a request after an I/O error, on every attempt
        // while dockerd restarts or is missing; the docker runtime says what happened in a sentence of its own.
        setIfAbsent("log." + DOCKER_HTTP_RETRY, "warn");
        routeJavaUtilLogging(level.compareTo(LogLevel.INFO) < 0 ? LogLevel.INFO : level);
    }

    /**
     * Sends {@code java.util.logging} to SLF4J instead of its own console handler, which printed multi-line
     * records in another format ("SEVERE: ..." and a stack trace) on the same stderr. JUL filters by level
     * before the bridge sees a record, so its root level is set too: records below it cost nothing.
     */
    static void routeJavaUtilLogging(LogLevel level) {
        LogManager.getLogManager().reset();
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        java.util.logging.Logger.getLogger("").setLevel(julLevel(level));
    }

    static Level julLevel(LogLevel level) {
        switch (level) {
            case TRACE:
                return Level.FINEST;
            case DEBUG:
                return Level.FINE;
            case INFO:
                return Level.INFO;
            case WARN:
                return Level.WARNING;
            default:
                return Level.SEVERE;
        }
    }

    /** Turns off the logger {@code name} and those below it, unless {@code JAVA_OPTS} set its level. */
    static void silence(String name) {
        setIfAbsent("log." + name, "off");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(PREFIX + key) == null) {
            System.setProperty(PREFIX + key, value);
        }
    }
}
