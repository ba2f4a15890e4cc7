package io.aegis.api;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Credentials in URLs: masks them before a URL is shown, and turns a URL's user info into an HTTP
 * {@code Authorization: Basic} header. Plugins that print a URL they were configured with (in a check result,
 * a log line or an error) pass it through {@link #mask(String)} first.
 *
 * <p>What is masked, with {@value #MASK}:
 * <ul>
 *   <li>the password of the user info: {@code https://user:***@host/}; user info without a password is masked
 *       whole ({@code https://***@host/}), as it is usually a token;
 *   <li>the value of every query (or fragment) parameter whose name looks like a credential: after dropping
 *       everything but letters and digits and lower-casing ({@code X-Api-Key} reads {@code xapikey}), a name
 *       that contains {@code token}, {@code secret}, {@code passw}, {@code pwd}, {@code apikey},
 *       {@code credential}, {@code signature}, {@code auth} or {@code session}, or that is or ends with
 *       {@code key}, {@code sig} or {@code pass} ({@code access_token}, {@code X-Amz-Signature}, {@code sig}).
 * </ul>
 * A secret elsewhere in a URL (a path segment such as a chat webhook's) cannot be recognised by its shape; the
 * engine also masks every value that came from an environment variable ({@code ${VAR}}), which covers it when
 * it is kept out of the configuration file, as secrets should be.
 */
public final class UrlCredentials {
    /** What a masked credential reads as. */
    public static final String MASK = "***";

    // scheme://authority, then the rest up to white space or a quote; the authority's user info ends at its last @.
    // The scheme's length is bounded so that a long run of letters costs linear time, not quadratic.
    private static final Pattern URL = Pattern.compile(
            "(?i)\\b([a-z][a-z0-9+.-]{0,31}://)([^\\s/?#\"'<>]*)([^\\s\"'<>]*)");
    private static final Pattern PARAMETER = Pattern.compile("([?&;#])([^=&;#?\\s\"'<>]+)=([^&;#\\s\"'<>]*)");
    private static final String TRAILING_PUNCTUATION = ":.,)]";
    private static final List<String> CONTAINED = List.of("token", "secret", "passw", "pwd", "apikey", "credential",
            "signature", "auth", "session");
    private static final List<String> ENDINGS = List.of("key", "sig", "pass");

    private UrlCredentials() {
    }

    /**
     * {@return {@code text} with the credentials of every URL in it masked; a text without a URL is returned as is}
     * Works on a bare URL as well as on a message that quotes one.
     *
     * @param text any text: a URL, or a message that may quote URLs
     */
    public static String mask(String text) {
        int scheme = text == null ? -1 : text.indexOf("://");
        if (scheme < 0 || text.indexOf('@', scheme) < 0 && text.indexOf('=', scheme) < 0) {
            return text; // no URL, or one without user info or parameters: the common case, kept cheap
        }
        Matcher url = URL.matcher(text);
        StringBuilder result = new StringBuilder(text.length());
        while (url.find()) {
            String masked = url.group(1) + maskUserInfo(url.group(2)) + url.group(3);
            url.appendReplacement(result, Matcher.quoteReplacement(masked));
        }
        url.appendTail(result);
        // Parameters anywhere after the first URL, not only inside one: a URL that failed to parse because of a
        // space ("http://local host/?token=x") still holds its credentials behind the space.
        int first = result.indexOf("://");
        return result.substring(0, first) + maskParameters(result.substring(first));
    }

    /**
     * {@return {@code uri} as text with its credentials masked}
     *
     * @param uri a URL
     */
    public static String mask(URI uri) {
        return mask(uri.toString());
    }

    /**
     * {@return whether a query parameter named {@code name} holds a credential, by the rule above}
     *
     * @param name a query parameter's name
     */
    public static boolean isCredentialName(String name) {
        StringBuilder normalized = new StringBuilder(name.length());
        name.toLowerCase(Locale.ROOT).chars().filter(Character::isLetterOrDigit).forEach(normalized::appendCodePoint);
        String text = normalized.toString();
        return CONTAINED.stream().anyMatch(text::contains) || ENDINGS.stream().anyMatch(text::endsWith);
    }

    /**
     * {@return the {@code Authorization: Basic} value for the user info of {@code uri}, percent-decoded and encoded in
     * UTF-8 (RFC 7617); empty when the URL has none} User info without a colon is a user name with an empty password
     * ({@code https://token@host} sends {@code token:}).
     *
     * @param uri a URL
     */
    public static Optional<String> basicAuthorization(URI uri) {
        String userInfo = uri.getUserInfo(); // percent-decoded by URI
        if (userInfo == null) {
            return Optional.empty();
        }
        String credentials = userInfo.indexOf(':') < 0 ? userInfo + ":" : userInfo;
        return Optional.of("Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * {@return {@code uri} without its user info (the HTTP client would ignore it anyway); {@code uri} when it has
     * none}
     *
     * @param uri a URL
     */
    public static URI withoutUserInfo(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri;
        }
        String raw = uri.toString();
        int start = raw.indexOf("//") + 2;
        int end = raw.indexOf('@', start + uri.getRawUserInfo().length());
        try {
            return new URI(raw.substring(0, start) + raw.substring(end + 1));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot remove the user info of " + mask(raw), e);
        }
    }

    private static String maskUserInfo(String authority) {
        int at = authority.lastIndexOf('@');
        if (at < 0) {
            return authority;
        }
        String userInfo = authority.substring(0, at);
        int colon = userInfo.indexOf(':');
        String masked = colon < 0 ? MASK : userInfo.substring(0, colon + 1) + MASK;
        return masked + authority.substring(at);
    }

    private static String maskParameters(String rest) {
        if (rest.indexOf('=') < 0) {
            return rest;
        }
        Matcher parameter = PARAMETER.matcher(rest);
        StringBuilder result = new StringBuilder(rest.length());
        while (parameter.find()) {
            String value = parameter.group(3);
            if (isCredentialName(parameter.group(2))) {
                // punctuation that ends a value in a message ("cannot get http://h/?token=x: refused") stays
                int end = value.length();
                while (end > 0 && TRAILING_PUNCTUATION.indexOf(value.charAt(end - 1)) >= 0) {
                    end--;
                }
                value = end == 0 ? value : MASK + value.substring(end);
            }
            parameter.appendReplacement(result,
                    Matcher.quoteReplacement(parameter.group(1) + parameter.group(2) + "=" + value));
        }
        parameter.appendTail(result);
        return result.toString();
    }
}
