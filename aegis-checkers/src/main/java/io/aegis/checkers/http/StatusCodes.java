package io.aegis.checkers.http;

import io.aegis.api.Settings;
import io.aegis.plugin.support.ConfigProblems;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The set of HTTP status codes a check accepts, parsed from entries like {@code 200}, {@code 200-299}, {@code 2xx}. */
final class StatusCodes {
    static final StatusCodes DEFAULT = new StatusCodes(range(200, 399), "200-399");

    private static final int MIN = 100;
    private static final int MAX = 599;
    private static final Pattern SINGLE = Pattern.compile("(\\d{3})");
    private static final Pattern RANGE = Pattern.compile("(\\d{3})\\s*-\\s*(\\d{3})");
    private static final Pattern CLASS = Pattern.compile("([1-5])xx");

    // Never mutated after construction.
    private final BitSet codes;
    private final String description;

    private StatusCodes(BitSet codes, String description) {
        this.codes = codes;
        this.description = description;
    }

    /** Reads {@code key} of {@code settings}; {@link #DEFAULT} when absent, null (with problems) when invalid. */
    static StatusCodes read(Settings settings, String key, ConfigProblems problems) {
        if (!settings.has(key)) {
            return DEFAULT;
        }
        boolean isList = settings.raw(key).orElseThrow() instanceof List;
        List<String> entries = problems.read(() -> settings.stringList(key)).orElse(null);
        if (entries == null) {
            return null;
        }
        if (entries.isEmpty()) {
            problems.add(settings.keyPath(key), "expected at least one status code, found an empty list");
            return null;
        }
        BitSet codes = new BitSet(MAX + 1);
        List<String> described = new ArrayList<>();
        boolean valid = true;
        for (int i = 0; i < entries.size(); i++) {
            String entry = entries.get(i).trim().toLowerCase(Locale.ROOT);
            String keyPath = settings.keyPath(isList ? key + "[" + i + "]" : key);
            String problem = addEntry(entry, codes);
            if (problem != null) {
                problems.add(keyPath, problem + ", found \"" + entries.get(i) + "\"");
                valid = false;
            } else {
                described.add(entry.replaceAll("\\s", ""));
            }
        }
        return valid ? new StatusCodes(codes, String.join(", ", described)) : null;
    }

    /** Adds the codes {@code entry} stands for; returns what was expected when it is invalid. */
    private static String addEntry(String entry, BitSet codes) {
        Matcher matcher;
        if ((matcher = SINGLE.matcher(entry)).matches()) {
            int code = Integer.parseInt(matcher.group(1));
            if (code < MIN || code > MAX) {
                return "expected a status code from " + MIN + " to " + MAX;
            }
            codes.set(code);
            return null;
        }
        if ((matcher = RANGE.matcher(entry)).matches()) {
            int from = Integer.parseInt(matcher.group(1));
            int to = Integer.parseInt(matcher.group(2));
            if (from < MIN || to > MAX) {
                return "expected a range of status codes from " + MIN + " to " + MAX;
            }
            if (from > to) {
                return "expected a range whose start is not after its end";
            }
            codes.or(range(from, to));
            return null;
        }
        if ((matcher = CLASS.matcher(entry)).matches()) {
            int hundreds = Integer.parseInt(matcher.group(1)) * 100;
            codes.or(range(hundreds, hundreds + 99));
            return null;
        }
        return "expected a status code like 200, a range like 200-299 or a class like 2xx";
    }

    private static BitSet range(int from, int to) {
        BitSet bits = new BitSet(MAX + 1);
        bits.set(from, to + 1);
        return bits;
    }

    /** Returns whether {@code status} is accepted. */
    boolean contains(int status) {
        return status >= 0 && codes.get(status);
    }

    /** The accepted codes as configured, e.g. {@code 200-399} or {@code 200, 204}. */
    @Override
    public String toString() {
        return description;
    }
}
