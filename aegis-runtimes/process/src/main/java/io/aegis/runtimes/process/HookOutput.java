package io.aegis.runtimes.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;

/**
 * Reads a hook's output to its end and logs it line by line, within bounds: a hook is the user's script, and one
 * that prints megabytes (or one endless line) must neither flood aegis' log nor fill its heap. The first
 * {@link #MAX_LOGGED_LINES} lines are logged, each cut at {@link #MAX_LINE_CHARS} characters; the rest is read and
 * counted (so the hook never blocks on a full pipe) and summed up in one line at the end.
 */
final class HookOutput {

    /** Lines of one hook run that are logged; later ones are counted. */
    static final int MAX_LOGGED_LINES = 100;

    /** Characters of one line kept (logged, or quoted as the last line); the rest of the line is skipped. */
    static final int MAX_LINE_CHARS = 1000;

    private HookOutput() {
    }

    /**
     * Logs the output as {@code <service>: <what>: <line>} and returns its last line that is not blank (stripped,
     * at most {@link #MAX_LINE_CHARS} characters), or "" when there is none. Returns what was read so far when the
     * stream fails (the pipe closes when the hook is killed).
     */
    static String drain(InputStream output, System.Logger log, String serviceName, String what) {
        Lines lines = new Lines(log, serviceName, what);
        try (Reader reader = new InputStreamReader(output, StandardCharsets.UTF_8)) {
            char[] buffer = new char[8192];
            for (int n = reader.read(buffer); n >= 0; n = reader.read(buffer)) {
                for (int i = 0; i < n; i++) {
                    lines.accept(buffer[i]);
                }
            }
        } catch (IOException e) {
            // The pipe closes when the hook is killed; what was read so far is what there is.
        }
        return lines.finish();
    }

    /** The lines read so far: logs each as it ends, keeps the last one that is not blank. */
    private static final class Lines {
        private final System.Logger log;
        private final String serviceName;
        private final String what;
        private final StringBuilder line = new StringBuilder();
        private boolean cut;
        private String last = "";
        private long lines;
        private long unlogged;

        Lines(System.Logger log, String serviceName, String what) {
            this.log = log;
            this.serviceName = serviceName;
            this.what = what;
        }

        void accept(char c) {
            if (c == '\n') {
                endLine();
            } else if (line.length() < MAX_LINE_CHARS) {
                line.append(c);
            } else {
                cut = true;
            }
        }

        /** Ends a last line without a newline, logs how many lines were not, and returns the last line. */
        String finish() {
            if (line.length() > 0 || cut) {
                endLine();
            }
            if (unlogged > 0) {
                log.log(Level.WARNING, "{0}: {1}: {2} more lines of output not logged (only the first {3} are)",
                        serviceName, what, Long.toString(unlogged), Integer.toString(MAX_LOGGED_LINES));
            }
            return last;
        }

        private void endLine() {
            String done = HookOutput.finish(line, cut);
            if (lines++ < MAX_LOGGED_LINES) {
                log.log(Level.INFO, "{0}: {1}: {2}", serviceName, what, done);
            } else {
                unlogged++;
            }
            if (!done.isBlank()) {
                last = done.strip();
            }
            line.setLength(0);
            cut = false;
        }
    }

    private static String finish(StringBuilder line, boolean cut) {
        int end = line.length();
        if (end > 0 && line.charAt(end - 1) == '\r') {
            end--;
        }
        String text = line.substring(0, end);
        return cut ? text + "... (line cut at " + MAX_LINE_CHARS + " characters)" : text;
    }
}
