package io.aegis.api;

/**
 * Where a {@link LogSource} delivers what it reads; implemented by the engine. Every method returns at once and
 * never throws.
 */
public interface LogSink {

    /**
     * One whole line, without its line terminator ({@code \n}, or {@code \r\n}), as the bytes the service wrote
     * (expected to be UTF-8; invalid sequences are allowed and replaced by the engine where it makes text of them).
     * A final line without a terminator is held by the source until its terminator comes. The bytes are valid only
     * during this call: the source reuses the array, so that reading a line allocates nothing.
     *
     * @param origin where the line was read: a file's path, or for example {@code container 3f2a90c1 stderr};
     *     preferably the same {@code String} instance for every line of one origin
     * @param lineNumber the line's number in {@code origin}, counted from 1 at the first line the source read there
     *     (for a file read from its beginning, its line number in the file); 0 when unknown
     * @param bytes holds the line
     * @param offset where the line starts in {@code bytes}
     * @param length the line's length in bytes, at most {@link LogSourceSpec#maxLineLength()}
     * @param cut whether the line was longer than {@link LogSourceSpec#maxLineLength()}: these are its first bytes
     *     and the rest of it was skipped
     */
    void line(String origin, long lineNumber, byte[] bytes, int offset, int length, boolean cut);

    /**
     * {@code count} more bytes were read from the source, line terminators and skipped parts of cut lines included.
     *
     * @param count how many bytes
     */
    void bytesRead(long count);

    /**
     * Something the operator should know of, as a sentence naming what and where: a file that cannot be read, a
     * stream that closed and is being reopened. The engine logs it (repeats of the same sentence rate-limited).
     *
     * @param sentence what happened and where, for a person
     */
    void problem(String sentence);
}
