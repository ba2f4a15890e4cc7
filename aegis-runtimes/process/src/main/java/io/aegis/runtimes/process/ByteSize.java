package io.aegis.runtimes.process;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes written like {@code 50MB}, {@code 10KiB} or {@code 1048576}. */
final class ByteSize {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgKMG](?:[iI]?[bB])?|[bB])?");

    private ByteSize() {
    }

    /**
     * Parses a whole number of bytes with an optional unit: B, K/KB/KiB, M/MB/MiB, G/GB/GiB, in any case, each
     * a power of 1024 (the meaning supervisord and logrotate give them, which is what people configure log
     * sizes with). Empty when the text is not such a size or does not fit in a {@code long}.
     */
    static Optional<Long> parse(String text) {
        Matcher matcher = SIZE.matcher(text.strip());
        if (!matcher.matches()) {
            return Optional.empty();
        }
        String unit = matcher.group(2) == null ? "b" : matcher.group(2).toLowerCase(Locale.ROOT);
        int shift;
        switch (unit.charAt(0)) {
            case 'k':
                shift = 10;
                break;
            case 'm':
                shift = 20;
                break;
            case 'g':
                shift = 30;
                break;
            default:
                shift = 0;
        }
        try {
            long number = Long.parseLong(matcher.group(1));
            if (number > (Long.MAX_VALUE >> shift)) {
                return Optional.empty();
            }
            return Optional.of(number << shift);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
