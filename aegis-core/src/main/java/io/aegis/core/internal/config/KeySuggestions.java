package io.aegis.core.internal.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * Finds the word a person probably meant: "intervall" → "interval", "failure_threshold" → "failureThreshold",
 * "htp" → "http". Case, {@code _} and {@code -} do not count; up to two edits for words of five letters or more,
 * one for shorter ones.
 */
public final class KeySuggestions {
    private KeySuggestions() {
    }

    /** The closest candidate to {@code typed}, when one is close enough to be a typo of it. */
    public static Optional<String> closest(String typed, Collection<String> candidates) {
        String normalized = normalize(typed);
        int allowed = normalized.length() >= 5 ? 2 : normalized.length() >= 3 ? 1 : 0;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            if (candidate.equals(typed)) {
                continue;
            }
            int distance = distance(normalized, normalize(candidate));
            if (distance <= allowed && distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Case, {@code _} and {@code -} do not count: people mix snake_case and camelCase. */
    private static String normalize(String key) {
        return key.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
