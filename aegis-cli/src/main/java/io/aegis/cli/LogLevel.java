package io.aegis.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The log levels {@code --log-level}, {@code AEGIS_LOG_LEVEL} and {@code global.logLevel} accept. */
enum LogLevel {
    TRACE, DEBUG, INFO, WARN, ERROR;

    /** The level when neither the flag, the environment nor the YAML names one. */
    static final LogLevel DEFAULT = INFO;

    /** The level called {@code value} in any case ({@code debug}, {@code DEBUG}); {@code warning} means warn. */
    static Optional<LogLevel> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String name = value.trim().toUpperCase(Locale.ROOT);
        if (name.equals("WARNING")) {
            return Optional.of(WARN);
        }
        return Arrays.stream(values()).filter(level -> level.name().equals(name)).findFirst();
    }

    /**
     * The level from {@code AegisConfig.logLevel()} (environment over YAML). An unknown name falls back to the
     * default here; the engine's validation reports it with file and line.
     */
    static LogLevel fromConfig(String value) {
        return parse(value).orElse(DEFAULT);
    }

    /** {@code trace, debug, info, warn, error}. */
    static String names() {
        return Arrays.stream(values()).map(LogLevel::lowerCase).collect(Collectors.joining(", "));
    }

    /** The name slf4j-simple understands. */
    String lowerCase() {
        return name().toLowerCase(Locale.ROOT);
    }
}
