package io.aegis.core.internal.logs;

import io.aegis.api.LogSink;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Keeps every line a source delivers (copied: the source reuses its buffer), for tests. */
final class RecordingSink implements LogSink {
    record Line(String origin, long lineNumber, byte[] bytes, boolean cut) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private final List<Line> lines = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final AtomicLong bytes = new AtomicLong();

    @Override
    public synchronized void line(String origin, long lineNumber, byte[] bytes, int offset, int length, boolean cut) {
        lines.add(new Line(origin, lineNumber, Arrays.copyOfRange(bytes, offset, offset + length), cut));
    }

    @Override
    public void bytesRead(long count) {
        bytes.addAndGet(count);
    }

    @Override
    public synchronized void problem(String sentence) {
        problems.add(sentence);
    }

    synchronized List<Line> lines() {
        return List.copyOf(lines);
    }

    synchronized List<String> texts() {
        return lines.stream().map(Line::text).toList();
    }

    synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    long bytesRead() {
        return bytes.get();
    }

    /** Whether the last line delivered is {@code text}. */
    synchronized boolean endsWith(String text) {
        return !lines.isEmpty() && lines.get(lines.size() - 1).text().equals(text);
    }

    synchronized int size() {
        return lines.size();
    }

    static List<String> numbered(String prefix, int from, int to) {
        List<String> texts = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            texts.add(prefix + i);
        }
        return texts;
    }
}
