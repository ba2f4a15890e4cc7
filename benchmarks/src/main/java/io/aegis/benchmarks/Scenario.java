package io.aegis.benchmarks;

/**
 * One whole-system measurement. Adding a scenario is one class implementing this and one line in
 * {@link Driver#SCENARIOS}.
 */
public interface Scenario {
    /** The name given on the command line, e.g. {@code fleet}. */
    String name();

    /** Runs the measurement (aegis and, where installed, its peers) and returns the table rows. */
    Result run(Options options) throws Exception;
}
