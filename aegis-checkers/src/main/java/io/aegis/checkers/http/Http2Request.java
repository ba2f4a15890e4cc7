package io.aegis.checkers.http;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** A checker's request as HTTP/2 headers: the same method, target, headers and body as its HTTP/1.1 bytes. */
final class Http2Request {
    /** Connection-specific headers, which HTTP/2 forbids (RFC 9113 8.2.2); the connection itself covers them. */
    private static final Set<String> CONNECTION_SPECIFIC =
            Set.of("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host");

    private Http2Request() {
    }

    static Http2Headers headers(HttpCheckConfig config) {
        java.net.http.HttpRequest request = config.request();
        URI uri = request.uri();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        int port = uri.getPort();
        String host = uri.getHost();
        // :authority as the Host header over HTTP/1.1: the port only when it is not the scheme's default
        String authority = port == -1 || port == 443 ? host : host + ":" + port;
        // names are lower case in HTTP/2; the config validated them already
        Http2Headers headers = new DefaultHttp2Headers(false)
                .method(request.method())
                .scheme("https")
                .authority(authority)
                .path(target);
        boolean userAgent = false;
        for (Map.Entry<String, List<String>> header : request.headers().map().entrySet()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (CONNECTION_SPECIFIC.contains(name)) {
                continue;
            }
            userAgent |= name.equals("user-agent");
            for (String value : header.getValue()) {
                if (!name.equals("te") || value.trim().equalsIgnoreCase("trailers")) {
                    headers.add(name, value);
                }
            }
        }
        if (!userAgent) {
            headers.add("user-agent", "aegis");
        }
        byte[] body = body(config);
        String method = request.method();
        if (body != null || method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            headers.add("content-length", Integer.toString(body == null ? 0 : body.length));
        }
        return headers;
    }

    /** The request body as sent (UTF-8), or null when there is none. */
    static byte[] body(HttpCheckConfig config) {
        if (config.requestBody() == null || config.requestBody().isEmpty()) {
            return null;
        }
        return config.requestBody().getBytes(StandardCharsets.UTF_8);
    }
}
