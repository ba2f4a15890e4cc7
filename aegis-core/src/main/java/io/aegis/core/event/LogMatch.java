package io.aegis.core.event;

import io.aegis.api.Severity;
import java.time.Instant;
import java.util.Objects;

/**
 * A line of the service's log matched a pattern of {@code logs.patterns} (for a pattern with a {@code threshold},
 * the match that made {@code count} of them within {@code within}): the pattern's alert fires and its
 * {@code action}, if any, goes to the service's recovery.
 *
 * @param serviceName the service whose log it is
 * @param at when the line was read, by the engine's clock
 * @param pattern the pattern's name
 * @param severity the pattern's severity
 * @param line the line as text (invalid UTF-8 replaced), cut to its first {@value #MAX_LINE_BYTES} bytes
 * @param origin where the line was read: a file's path, or what the source calls its stream
 * @param lineNumber the line's number in {@code origin} as the source counts it (from 1); 0 when unknown
 * @param matches how many matches the threshold counted within its window (1 without a threshold)
 */
public record LogMatch(String serviceName, Instant at, String pattern, Severity severity, String line, String origin,
        long lineNumber, int matches) implements ServiceEvent {
    /** The most of a line an event carries, in bytes of the line as written. */
    public static final int MAX_LINE_BYTES = 1024;

    /**
     * Validates the values.
     *
     * @param serviceName the service whose log it is
     * @param at when the line was read, by the engine's clock
     * @param pattern the pattern's name
     * @param severity the pattern's severity
     * @param line the line as text (invalid UTF-8 replaced), cut to its first {@value #MAX_LINE_BYTES} bytes
     * @param origin where the line was read: a file's path, or what the source calls its stream
     * @param lineNumber the line's number in {@code origin} as the source counts it (from 1); 0 when unknown
     * @param matches how many matches the threshold counted within its window (1 without a threshold)
     */
    public LogMatch {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(line, "line");
        Objects.requireNonNull(origin, "origin");
    }
}
