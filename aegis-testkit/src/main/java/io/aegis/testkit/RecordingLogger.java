package io.aegis.testkit;

import java.text.MessageFormat;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link System.Logger} that keeps every line it is given, for a test to read: hand it to the plugin class that
 * logs (as the plugin would get one from {@link System#getLogger}) and assert on {@link #lines()}. Each line is the
 * level's name, a space and the message, its parameters filled in as the JDK's own formatter does
 * ({@link MessageFormat}), followed by a space and the throwable when there is one:
 * {@code WARNING web: cannot rotate its output: disk full}.
 */
public final class RecordingLogger implements System.Logger {
    private final List<String> lines = new CopyOnWriteArrayList<>();

    /** A logger that has kept nothing yet. */
    public RecordingLogger() {
    }

    /** {@return the lines logged so far, oldest first (a live view, safe to read from any thread)} */
    public List<String> lines() {
        return lines;
    }

    @Override
    public String getName() {
        return "recording";
    }

    @Override
    public boolean isLoggable(Level level) {
        return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
        lines.add(level.getName() + " " + message + (thrown == null ? "" : " " + thrown));
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        lines.add(level.getName() + " " + (params == null || params.length == 0 ? format
                : MessageFormat.format(format, params)));
    }
}
