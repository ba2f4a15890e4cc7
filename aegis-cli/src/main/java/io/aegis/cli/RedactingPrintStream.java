package io.aegis.cli;

import java.io.PrintStream;
import java.util.function.UnaryOperator;

/**
 * Standard error with secrets masked, installed as {@code System.err} before logging starts: the engine masks what
 * it logs itself and what plugins report, but a plugin's own log lines reach slf4j-simple unmasked (the process
 * runtime names the command it started, whose arguments may come from {@code ${VAR}}). Masking here, where every
 * log line of the command passes, covers them all.
 *
 * <p>slf4j-simple writes each event with one {@code println} (its stack trace with more), which ends in
 * {@link #print(String)} or {@link #print(Object)} in a subclass of {@link PrintStream}; only those are masked,
 * so text written as bytes or through {@code printf} passes as it is.
 */
final class RedactingPrintStream extends PrintStream {
    private final UnaryOperator<String> redactor;

    RedactingPrintStream(PrintStream target, UnaryOperator<String> redactor) {
        super(target, true);
        this.redactor = redactor;
    }

    @Override
    public void print(String text) {
        super.print(redactor.apply(text));
    }

    @Override
    public void print(Object value) {
        super.print(redactor.apply(String.valueOf(value)));
    }
}
