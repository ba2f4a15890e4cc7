package io.aegis.checkers.grpc;

import io.aegis.api.CheckerSpec;
import io.aegis.api.Settings;
import io.aegis.plugin.support.ConfigProblems;
import io.grpc.Metadata;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The validated settings of one gRPC check.
 *
 * @param channelKey what identifies the channel this check may share with others
 * @param trustedCertificates the PEM bytes of the CA file, or null to use the JVM's trust store (or no TLS)
 * @param service the name sent in {@code HealthCheckRequest.service}; empty asks about the whole server
 * @param headers the call metadata sent with every check; empty when none is configured
 */
record GrpcCheckConfig(ChannelKey channelKey, byte[] trustedCertificates, String service, Metadata headers) {
    /** The key of the seed's {@code metadata:} block that names the gRPC service. */
    static final String SERVICE_KEY = "service";

    // worded like the http checker's tls.caFile, so both read the same
    static final String EXPECTED_CA_FILE = "expected a PEM file with one or more certificates"
            + " (-----BEGIN CERTIFICATE-----)";

    // grpc-java sets these itself and silently drops them from the call metadata, so asking for them is a mistake.
    private static final List<String> TRANSPORT_HEADERS = List.of("content-type", "te", "user-agent");

    /**
     * Identifies one shared channel: checks of the same server with the same TLS settings share it, whatever
     * their service name or headers, because those travel with each call.
     *
     * @param target the server
     * @param tls whether the channel uses TLS
     * @param caFile the CA file that verifies the server, or null for the JVM's trust store (or no TLS)
     */
    record ChannelKey(GrpcTarget target, boolean tls, Path caFile) {
    }

    /**
     * Validates {@code spec}.
     *
     * @throws io.aegis.api.ConfigException naming every invalid key
     */
    static GrpcCheckConfig from(CheckerSpec spec) {
        Settings settings = spec.settings();
        ConfigProblems problems = new ConfigProblems();

        GrpcTarget target = null;
        try {
            target = GrpcTarget.parse(spec.endpoint());
        } catch (IllegalArgumentException e) {
            problems.add(settings.keyPath("endpoint"), e.getMessage());
        }

        String service = spec.metadata().getOrDefault(SERVICE_KEY, "").trim();
        if (!isServiceName(service)) {
            problems.add(settings.keyPath("metadata") + "." + SERVICE_KEY, "expected a gRPC service name such as"
                    + " my.package.MyService (or nothing for the whole server), found \"" + service + "\"");
        }

        boolean tls = false;
        Path caFile = null;
        byte[] trustedCertificates = null;
        Optional<Settings> tlsSection = problems.read(() -> settings.section("tls").orElse(null));
        if (tlsSection.isPresent()) {
            Settings tlsSettings = tlsSection.get();
            // A tls block asks for TLS; enabled: false keeps the block but turns it off (handy with ${VAR}).
            tls = problems.read(() -> tlsSettings.bool("enabled", true)).orElse(true);
            Optional<String> caText = problems.read(() -> tlsSettings.string("caFile").orElse(null));
            if (tls && caText.isPresent()) {
                caFile = caFile(caText.get(), tlsSettings.keyPath("caFile"), problems);
                if (caFile != null) {
                    trustedCertificates = readCertificates(caFile, caText.get(), tlsSettings.keyPath("caFile"),
                            problems);
                }
            }
        }

        Map<String, String> headerValues = problems.read(() -> settings.stringMap("headers")).orElse(Map.of());
        Metadata headers = new Metadata();
        headerValues.forEach((name, value) -> header(headers, name, value, settings.keyPath("headers") + "." + name,
                problems));

        problems.throwIfAny();
        return new GrpcCheckConfig(new ChannelKey(target, tls, caFile), trustedCertificates, service, headers);
    }

    /** The server whose health is checked. */
    GrpcTarget target() {
        return channelKey.target();
    }

    /** How messages name what was asked about: the whole server, or one service of it. */
    String subject() {
        return service.isEmpty() ? "the whole server" : "service \"" + service + "\"";
    }

    /**
     * The health protocol treats the name as an opaque string, so only what cannot be meant is refused:
     * white space and control characters, which come from a YAML slip rather than a real service.
     */
    private static boolean isServiceName(String service) {
        return service.codePoints().noneMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c));
    }

    private static Path caFile(String text, String keyPath, ConfigProblems problems) {
        if (text.isBlank()) {
            problems.add(keyPath, EXPECTED_CA_FILE + ", found an empty value");
            return null;
        }
        Path path;
        try {
            path = Path.of(text.trim());
        } catch (InvalidPathException e) {
            problems.add(keyPath, EXPECTED_CA_FILE + ", found an invalid path \"" + text + "\" (" + e.getReason()
                    + ")");
            return null;
        }
        if (!Files.exists(path)) {
            problems.add(keyPath, EXPECTED_CA_FILE + ", found no file at \"" + text + "\"");
            return null;
        }
        if (Files.isDirectory(path)) {
            problems.add(keyPath, EXPECTED_CA_FILE + ", found a directory at \"" + text + "\"");
            return null;
        }
        return path.toAbsolutePath().normalize();
    }

    /** Reads and parses the CA file now, so a bad file is a config error instead of a failing check later. */
    private static byte[] readCertificates(Path path, String text, String keyPath, ConfigProblems problems) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            problems.add(keyPath, "cannot read \"" + text + "\": " + e.getMessage());
            return null;
        }
        try {
            if (CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))
                    .isEmpty()) {
                problems.add(keyPath, EXPECTED_CA_FILE + ", found none in \"" + text + "\"");
                return null;
            }
        } catch (CertificateException e) {
            problems.add(keyPath, EXPECTED_CA_FILE + ", found none in \"" + text + "\"");
            return null;
        }
        return bytes;
    }

    private static void header(Metadata headers, String name, String value, String keyPath, ConfigProblems problems) {
        String lowerCase = name.toLowerCase(Locale.ROOT);
        if (lowerCase.startsWith("grpc-")) {
            problems.add(keyPath,
                    "header names that start with grpc- are reserved for gRPC itself; choose another name");
            return;
        }
        if (TRANSPORT_HEADERS.contains(lowerCase)) {
            problems.add(keyPath, "gRPC sets the header \"" + lowerCase + "\" itself; remove it");
            return;
        }
        if (lowerCase.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
            problems.add(keyPath, "binary headers (names ending in -bin) are not supported; use a text header");
            return;
        }
        Metadata.Key<String> key;
        try {
            key = Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
        } catch (IllegalArgumentException e) {
            problems.add(keyPath,
                    "expected a header name of letters, digits, '-', '_' and '.', found \"" + name + "\"");
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                // the value is often a secret, so the message points at the character instead of quoting it
                problems.add(keyPath, "expected a header value of printable ASCII characters, found another"
                        + " character at position " + (i + 1));
                return;
            }
        }
        headers.put(key, value);
    }
}
