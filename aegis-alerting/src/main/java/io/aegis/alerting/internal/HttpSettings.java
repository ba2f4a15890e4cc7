package io.aegis.alerting.internal;

import io.aegis.api.ConfigException;
import io.aegis.api.HeaderValues;
import io.aegis.api.UrlCredentials;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpRequest;
import java.util.Locale;

/** Validation shared by the HTTP notifiers' settings: URLs and request headers. */
public final class HttpSettings {
    private static final String EXPECTED = "an http:// or https:// URL";

    private HttpSettings() {
    }

    /**
     * {@code text} as an absolute http(s) URL with a host.
     *
     * @throws ConfigException at {@code keyPath}; the message shows the URL with its credentials masked
     */
    public static URI httpUrl(String text, String keyPath) {
        String shown = UrlCredentials.mask(text); // a message must not carry the URL's credentials
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new ConfigException(keyPath, "expected " + EXPECTED + ", found \"" + shown + "\" (" + e.getReason()
                    + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.isOpaque()) {
            throw new ConfigException(keyPath, "expected " + EXPECTED + ", found \"" + shown + "\"");
        }
        if (uri.getHost() == null) {
            // java.net.URI rejects host names with underscores, and so does the HTTP client
            throw new ConfigException(keyPath, "expected " + EXPECTED + " with a valid host name, found \"" + shown
                    + "\"");
        }
        return uri;
    }

    /** What is wrong with a header, as the rest of a sentence; null when the HTTP client accepts it. */
    public static String headerProblem(String name, String value) {
        String control = HeaderValues.controlCharacterProblem(value);
        if (control != null) {
            return control;
        }
        try {
            HttpRequest.newBuilder().header(name, value);
            return null;
        } catch (IllegalArgumentException e) {
            String message = e.getMessage() == null ? "" : e.getMessage();
            if (message.startsWith("restricted header name")) {
                return "the HTTP client sets the header \"" + name + "\" itself; remove it";
            }
            // the value is never quoted: it is often a secret (Authorization: Bearer ${TOKEN})
            return message.startsWith("invalid header name")
                    ? "expected a header name (letters, digits and -), found \"" + name + "\""
                    : HeaderValues.INVALID;
        }
    }
}
