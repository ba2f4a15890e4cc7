package io.aegis.api;

/**
 * Follows the log of one service (a set of files, a container's output stream, a journal) and hands each new line
 * to a {@link LogSink}. Created by a {@link LogSourceFactory}, or by a {@link RuntimeAdapter} for the output of the
 * workload it runs ({@link RuntimeAdapter#logSource(LogSourceSpec)}).
 *
 * <p>A source reads on threads of its own (or the spec's blocking executor) and never on the caller's: {@link
 * #start(LogSink)} returns at once. It delivers the lines of one origin in order, one call at a time. It delivers
 * each line once: where it can, it remembers how far it read in {@link LogSourceSpec#stateDirectory()}, so that a
 * restart of the engine neither replays old lines nor skips the ones written meanwhile. A source that loses its
 * input (a file deleted, a stream closed) keeps trying on its own and says so through {@link LogSink#problem}; it
 * never throws into the engine.
 */
public interface LogSource extends AutoCloseable {

    /**
     * Starts following, delivering to {@code sink}; called once, returns at once.
     *
     * @param sink where lines, byte counts and problems go
     */
    void start(LogSink sink);

    /**
     * Stops following and releases every thread, file and connection the source holds; no line is delivered
     * after it returns. Called once, when the engine stops or the service is removed.
     */
    @Override
    void close();
}
