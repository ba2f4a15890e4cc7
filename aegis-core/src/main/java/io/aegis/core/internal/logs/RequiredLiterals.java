package io.aegis.core.internal.logs;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds literals a regex requires: a set of strings such that every line the regex finds a match in contains at least
 * one of them. Only what is certain is claimed; anything this reader does not understand (comments mode, Unicode case
 * folding, back-references, unusual classes) gives "no requirement", and the regex then runs on every line. The
 * literals are ASCII-lower-cased when the regex is case-insensitive anywhere, and then compared case-insensitively.
 *
 * <p>Rules, per node: a literal is exactly itself; a concatenation keeps the cross product of its parts' exact sets
 * while that stays small, else the best requirement of a part; an alternation requires one of its branches'
 * requirements; {@code x+} and {@code x{n,}} (n &ge; 1) require {@code x}'s; {@code x?}, {@code x*}, anchors and
 * look-arounds require nothing.
 */
final class RequiredLiterals {
    private static final int MAX_EXACT = 16;
    private static final int MAX_LITERALS = 32;

    /** What a regex requires: {@code literals} (empty: nothing, run the regex on every line). */
    record Requirement(List<String> literals, boolean caseInsensitive) {
    }

    private final String regex;
    private int at;
    private boolean caseInsensitive;

    private RequiredLiterals(String regex) {
        this.regex = regex;
    }

    /** What {@code regex} (a valid Java regex) requires. */
    static Requirement of(String regex) {
        RequiredLiterals reader = new RequiredLiterals(regex);
        try {
            Info info = reader.alternation();
            if (reader.at != regex.length()) {
                return new Requirement(List.of(), false);
            }
            Set<String> required = info.requirement();
            if (required == null || required.isEmpty() || required.contains("") || required.size() > MAX_LITERALS) {
                return new Requirement(List.of(), false);
            }
            List<String> literals = new ArrayList<>();
            for (String literal : required) {
                literals.add(reader.caseInsensitive ? fold(literal) : literal);
            }
            return new Requirement(List.copyOf(new LinkedHashSet<>(literals)), reader.caseInsensitive);
        } catch (Unsupported | RuntimeException e) {
            return new Requirement(List.of(), false);
        }
    }

    private static String fold(String literal) {
        StringBuilder folded = new StringBuilder(literal.length());
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            folded.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
        }
        return folded.toString();
    }

    /** Thrown where the regex uses something this reader does not model. */
    private static final class Unsupported extends Exception {
        Unsupported() {
            super(null, null, false, false);
        }
    }

    /**
     * What one node matches: {@code exact}, every string it can match (null: too many or unknown); {@code required},
     * strings one of which every match contains (null: nothing known).
     */
    private record Info(Set<String> exact, Set<String> required) {
        static final Info ANY = new Info(null, null);
        static final Info EMPTY = new Info(Set.of(""), null);

        Set<String> requirement() {
            return exact != null ? exact : required;
        }
    }

    private Info alternation() throws Unsupported {
        List<Info> branches = new ArrayList<>();
        branches.add(concatenation());
        while (at < regex.length() && regex.charAt(at) == '|') {
            at++;
            branches.add(concatenation());
        }
        if (branches.size() == 1) {
            return branches.get(0);
        }
        Set<String> exact = new LinkedHashSet<>();
        Set<String> required = new LinkedHashSet<>();
        for (Info branch : branches) {
            if (exact != null && branch.exact() != null) {
                exact.addAll(branch.exact());
                if (exact.size() > MAX_EXACT) {
                    exact = null;
                }
            } else {
                exact = null;
            }
            Set<String> r = branch.requirement();
            if (required != null && r != null && !r.contains("")) {
                required.addAll(r);
            } else {
                required = null;
            }
        }
        return new Info(exact, required);
    }

    private Info concatenation() throws Unsupported {
        Set<String> run = Set.of("");
        boolean whole = true;
        Set<String> best = null;
        while (at < regex.length() && regex.charAt(at) != '|' && regex.charAt(at) != ')') {
            Info piece = repetition();
            if (run != null && piece.exact() != null && run.size() * piece.exact().size() <= MAX_EXACT) {
                Set<String> product = new LinkedHashSet<>();
                for (String left : run) {
                    for (String right : piece.exact()) {
                        product.add(left + right);
                    }
                }
                run = product;
                continue;
            }
            whole = false;
            best = better(best, run);
            best = better(best, piece.requirement());
            run = piece.exact();
        }
        if (whole) {
            return new Info(run, null);
        }
        return new Info(null, better(best, run));
    }

    /** The more selective requirement: no empty string, longest shortest literal, then fewest literals. */
    private static Set<String> better(Set<String> a, Set<String> b) {
        int sa = score(a);
        int sb = score(b);
        if (sa != sb) {
            return sa > sb ? a : b;
        }
        if (sa < 0) {
            return null;
        }
        return a.size() <= b.size() ? a : b;
    }

    private static int score(Set<String> set) {
        if (set == null || set.isEmpty() || set.size() > MAX_LITERALS) {
            return -1;
        }
        int shortest = Integer.MAX_VALUE;
        for (String s : set) {
            shortest = Math.min(shortest, s.length());
        }
        return shortest == 0 ? -1 : shortest;
    }

    private Info repetition() throws Unsupported {
        Info atom = atom();
        if (at >= regex.length()) {
            return atom;
        }
        char c = regex.charAt(at);
        int min;
        boolean once = false;
        if (c == '*' || c == '?') {
            at++;
            min = 0;
        } else if (c == '+') {
            at++;
            min = 1;
        } else if (c == '{') {
            int close = regex.indexOf('}', at);
            if (close < 0) {
                throw new Unsupported();
            }
            String[] bounds = regex.substring(at + 1, close).split(",", -1);
            min = Integer.parseInt(bounds[0].trim());
            once = bounds.length == 1 && min == 1 || bounds.length == 2 && min == 1 && "1".equals(bounds[1].trim());
            at = close + 1;
        } else {
            return atom;
        }
        if (at < regex.length() && (regex.charAt(at) == '?' || regex.charAt(at) == '+')) {
            at++; // lazy or possessive: the same strings
        }
        if (at < regex.length() && "{*+?".indexOf(regex.charAt(at)) >= 0) {
            // a stacked quantifier (a{1}{2}, a*{2}): Java accepts it with rules of its own (it finds "a" with a{1}{2});
            // taking the second one as literal text would claim "a{2}" and reject every line
            throw new Unsupported();
        }
        if (once) {
            return atom;
        }
        if (min == 0) {
            return Info.ANY;
        }
        return new Info(null, atom.requirement());
    }

    private Info atom() throws Unsupported {
        char c = regex.charAt(at);
        switch (c) {
            case '(':
                return group();
            case '[':
                return characterClass();
            case '.':
                at++;
                return Info.ANY;
            case '^':
            case '$':
                at++;
                return Info.EMPTY;
            case '\\':
                return escape();
            default:
                break;
        }
        int codePoint = regex.codePointAt(at);
        at += Character.charCount(codePoint);
        return literal(codePoint);
    }

    private Info literal(int codePoint) {
        if (codePoint == 0xFFFD || Character.isSurrogate((char) codePoint) && codePoint < 0x10000) {
            return Info.ANY; // the replacement character also stands for invalid bytes
        }
        return new Info(Set.of(new String(Character.toChars(codePoint))), null);
    }

    private Info group() throws Unsupported {
        at++; // (
        boolean lookaround = false;
        boolean flagsOnly = false;
        if (regex.startsWith("?", at)) {
            at++;
            char kind = regex.charAt(at);
            if (kind == ':' || kind == '>') {
                at++;
            } else if (kind == '=' || kind == '!') {
                at++;
                lookaround = true;
            } else if (kind == '<' && (regex.charAt(at + 1) == '=' || regex.charAt(at + 1) == '!')) {
                at += 2;
                lookaround = true;
            } else if (kind == '<') {
                int close = regex.indexOf('>', at);
                at = close + 1; // named group
            } else {
                while (at < regex.length() && regex.charAt(at) != ')' && regex.charAt(at) != ':') {
                    char flag = regex.charAt(at++);
                    switch (flag) {
                        case '-' -> {
                        }
                        case 'i' -> caseInsensitive = true; // either way: comparing folded is still sound
                        case 'd', 'm', 's' -> {
                        }
                        default -> throw new Unsupported(); // x (comments), u and U (Unicode case), unknown
                    }
                }
                flagsOnly = regex.charAt(at) == ')';
                at++;
                if (flagsOnly) {
                    return Info.EMPTY;
                }
            }
        }
        Info inner = alternation();
        if (at >= regex.length() || regex.charAt(at) != ')') {
            throw new Unsupported();
        }
        at++;
        return lookaround ? Info.EMPTY : inner;
    }

    private Info escape() throws Unsupported {
        at++; // backslash
        char c = regex.charAt(at++);
        switch (c) {
            case 't':
                return literal('\t');
            case 'n':
                return literal('\n');
            case 'r':
                return literal('\r');
            case 'f':
                return literal('\f');
            case 'a':
                return literal('\u0007');
            case 'e':
                return literal('\u001B');
            case 'd', 'D', 'w', 'W', 's', 'S', 'h', 'H', 'v', 'V':
                return Info.ANY; // one character of a class: no literal, but the rest of the regex can have one
            case 'b':
            case 'B':
            case 'A':
            case 'G':
            case 'Z':
            case 'z':
                return Info.EMPTY;
            case 'Q': {
                int end = regex.indexOf("\\E", at);
                String quoted = end < 0 ? regex.substring(at) : regex.substring(at, end);
                at = end < 0 ? regex.length() : end + 2;
                for (int i = 0; i < quoted.length(); i++) {
                    if (quoted.charAt(i) == '\uFFFD' || Character.isSurrogate(quoted.charAt(i))) {
                        return Info.ANY;
                    }
                }
                return new Info(Set.of(quoted), null);
            }
            case 'x': {
                if (regex.charAt(at) == '{') {
                    int close = regex.indexOf('}', at);
                    int codePoint = Integer.parseInt(regex.substring(at + 1, close), 16);
                    at = close + 1;
                    return literal(codePoint);
                }
                int codePoint = Integer.parseInt(regex.substring(at, at + 2), 16);
                at += 2;
                return literal(codePoint);
            }
            case 'u': {
                int codePoint = Integer.parseInt(regex.substring(at, at + 4), 16);
                at += 4;
                return literal(codePoint);
            }
            default:
                break;
        }
        if (Character.isLetterOrDigit(c)) {
            // \p{..} \k<..> \1 \0nn \cX \N{..} \R \X ...: not modelled
            throw new Unsupported();
        }
        return literal(c); // an escaped punctuation character is itself
    }

    private Info characterClass() throws Unsupported {
        at++; // [
        Set<String> chars = new LinkedHashSet<>();
        boolean any = false; // too many characters, or a predefined class: it stays a class of no literal
        if (at < regex.length() && (regex.charAt(at) == '^' || regex.charAt(at) == ']')) {
            throw new Unsupported();
        }
        while (true) {
            char c = regex.charAt(at);
            if (c == ']') {
                at++;
                break;
            }
            if (c == '[' || c == '&') {
                throw new Unsupported();
            }
            int from;
            if (c == '\\') {
                char e = regex.charAt(at + 1);
                at += 2;
                int escaped = classEscape(e);
                if (escaped < 0) {
                    any = true;
                    continue;
                }
                from = escaped;
            } else {
                from = c;
                at++;
            }
            int to = from;
            if (regex.charAt(at) == '-' && regex.charAt(at + 1) != ']') {
                char e = regex.charAt(at + 1);
                if (e == '\\' || e == '[') {
                    throw new Unsupported();
                }
                to = e;
                at += 2;
            }
            if (to - from > MAX_EXACT || from >= 0x80 || to >= 0x80) {
                any = true;
                continue;
            }
            for (int x = from; x <= to; x++) {
                chars.add(String.valueOf((char) x));
            }
            any |= chars.size() > MAX_EXACT;
        }
        return any ? Info.ANY : new Info(chars, null);
    }

    /** The character an escape inside a class stands for; -1 for a predefined class. */
    private int classEscape(char e) throws Unsupported {
        switch (e) {
            case 't':
                return '\t';
            case 'n':
                return '\n';
            case 'r':
                return '\r';
            case 'f':
                return '\f';
            case 'd', 'D', 'w', 'W', 's', 'S', 'h', 'H', 'v', 'V':
                return -1;
            case 'p', 'P':
                if (regex.charAt(at) == '{') {
                    at = regex.indexOf('}', at) + 1;
                } else {
                    at++;
                }
                return -1;
            default:
                if (Character.isLetterOrDigit(e)) {
                    throw new Unsupported();
                }
                return e;
        }
    }
}
