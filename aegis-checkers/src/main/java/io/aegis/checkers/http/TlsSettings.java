package io.aegis.checkers.http;

import io.aegis.api.Settings;
import io.aegis.plugin.support.ConfigProblems;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The {@code tls:} block of one service: which server certificates are trusted, and how early an expiring
 * one is worth a warning.
 *
 * @param trust what the client trusts; checkers with equal trust share one client
 * @param certExpiryWarningDays a server certificate that expires within this many days makes the check
 *     DEGRADED; 0 turns the warning off
 */
record TlsSettings(Trust trust, int certExpiryWarningDays) {
    /** No {@code tls:} block: the JVM's trust store, no expiry warning. */
    static final TlsSettings DEFAULT = new TlsSettings(Trust.JVM_DEFAULT, 0);

    /** Ten years: a larger warning window is certainly a typo (days taken for hours or seconds). */
    static final int MAX_WARNING_DAYS = 3650;

    private static final String EXPECTED_PEM = "expected a PEM file with one or more certificates"
            + " (-----BEGIN CERTIFICATE-----)";

    /**
     * What the HTTP client trusts. A value type on purpose: the factory keeps one client per distinct
     * {@code Trust}, and {@link Certificate#equals} compares the encoded certificates, so two services naming
     * the same CA file (or two files with the same certificates) share a client and its connections.
     *
     * @param skipVerify trust every certificate and every host name ({@code insecureSkipVerify})
     * @param authorities the only certificates trusted ({@code caFile}); empty means the JVM's trust store
     */
    record Trust(boolean skipVerify, List<X509Certificate> authorities) {
        static final Trust JVM_DEFAULT = new Trust(false, List.of());

        Trust {
            authorities = List.copyOf(authorities);
        }

        /** The TLS context for a client with this trust; empty means the JVM's default context. */
        Optional<SSLContext> sslContext() {
            try {
                if (skipVerify) {
                    SSLContext context = SSLContext.getInstance("TLS");
                    context.init(null, new TrustManager[] {new TrustEveryServer()}, null);
                    return Optional.of(context);
                }
                if (authorities.isEmpty()) {
                    return Optional.empty();
                }
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                for (int i = 0; i < authorities.size(); i++) {
                    store.setCertificateEntry("ca-" + i, authorities.get(i));
                }
                TrustManagerFactory trustManagers =
                        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trustManagers.init(store);
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, trustManagers.getTrustManagers(), null);
                return Optional.of(context);
            } catch (GeneralSecurityException | IOException e) {
                // Only a JVM without a TLS provider gets here; no setting of the user's can cause it.
                throw new IllegalStateException("cannot set up TLS for the http checker: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Does, on a thread of its own, the one-off work that the first https check of a JVM otherwise did on its
     * event loop, inside its timeout (hostile F10: a cold start failed the first https checks of {@code timeout: 1s},
     * even after an {@code initialDelay}, and alerted spuriously). Two parts, measured as CPU time of the first check
     * (a fresh JVM, TLS 1.3 to a loopback server, 2 cores at load 13-20):
     * <ul>
     *   <li>Netty's pooling allocator, at its first chunk (the first read of any connection), creates a JFR event
     *       and so initialises the JDK's JFR metadata: some 300-400 ms of the 700-1,300 ms. A buffer taken from it
     *       here does that.</li>
     *   <li>JSSE's handshake machinery and the key shares of the ClientHello (elliptic-curve key pairs): a client
     *       engine with the checks' parameters writes one ClientHello here, to no one.</li>
     * </ul>
     * What is left, the validation of the server's certificate chain and the rest of the handshake (about 200 ms of
     * CPU on a cold JVM), needs a server and stays with the first check. Daemon, and ends by itself within a second
     * or so; a check that starts meanwhile waits for a class being initialised here rather than doing it twice.
     *
     * @param context the TLS context the checks' connections use
     * @return completes when the warm-up is over, whatever its outcome (it is only a head start)
     */
    static CompletableFuture<Void> warmUp(SSLContext context) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                ByteBufAllocator.DEFAULT.directBuffer(1024).release();
                SSLEngine engine = context.createSSLEngine("localhost", 443);
                engine.setUseClientMode(true);
                SSLParameters parameters = engine.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                parameters.setApplicationProtocols(new String[] {"h2", "http/1.1"});
                engine.setSSLParameters(parameters);
                ByteBuffer hello = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
                engine.beginHandshake();
                engine.wrap(ByteBuffer.allocate(0), hello);
                engine.closeOutbound();
            } catch (IOException | RuntimeException | LinkageError e) {
                // only a head start: the first check does the same work and reports what fails
            } finally {
                done.complete(null);
            }
        }, "aegis-tls-warm-up");
        thread.setDaemon(true);
        thread.start();
        return done;
    }

    /**
     * Reads the {@code tls} block of {@code settings}; {@link #DEFAULT} when it is absent, null (with problems
     * recorded) when it is invalid.
     */
    static TlsSettings read(Settings settings, ConfigProblems problems) {
        if (!settings.has("tls")) {
            return DEFAULT;
        }
        Settings tls = problems.read(() -> settings.section("tls").orElse(null)).orElse(null);
        if (tls == null) {
            return null;
        }
        Optional<Boolean> skipVerify = problems.read(() -> tls.bool("insecureSkipVerify", false));
        Optional<Long> warningDays = problems.read(() -> tls.integer("certExpiryWarningDays", 0, 0, MAX_WARNING_DAYS));
        boolean valid = skipVerify.isPresent() && warningDays.isPresent();
        List<X509Certificate> authorities = List.of();
        Optional<String> caFile = problems.read(() -> tls.string("caFile").orElse(null));
        valid &= caFile.isPresent() || !tls.has("caFile");
        if (caFile.isPresent()) {
            String keyPath = tls.keyPath("caFile");
            if (skipVerify.orElse(false)) {
                problems.add(keyPath, "expected no caFile when insecureSkipVerify is true, which trusts every"
                        + " certificate; remove one of the two");
                valid = false;
            } else {
                authorities = certificates(caFile.get(), keyPath, problems);
                valid &= !authorities.isEmpty();
            }
        }
        if (!valid) {
            return null;
        }
        return new TlsSettings(new Trust(skipVerify.get(), authorities), warningDays.get().intValue());
    }

    /** The certificates in a PEM file; an empty list (with a problem recorded) when it has none or is unreadable. */
    private static List<X509Certificate> certificates(String file, String keyPath, ConfigProblems problems) {
        if (file.isBlank()) {
            problems.add(keyPath, EXPECTED_PEM + ", found an empty value");
            return List.of();
        }
        Path path = Path.of(file.trim());
        Collection<? extends Certificate> read;
        try (InputStream in = Files.newInputStream(path)) {
            read = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (NoSuchFileException e) {
            problems.add(keyPath, EXPECTED_PEM + ", found no file at \"" + file + "\"");
            return List.of();
        } catch (IOException e) {
            problems.add(keyPath, "cannot read \"" + file + "\": " + e.getMessage());
            return List.of();
        } catch (CertificateException e) {
            // The JDK reports text without a PEM block as a parse error, not as an empty result.
            problems.add(keyPath, EXPECTED_PEM + ", found none in \"" + file + "\"");
            return List.of();
        }
        List<X509Certificate> certificates = new ArrayList<>();
        for (Certificate certificate : read) {
            if (certificate instanceof X509Certificate) {
                certificates.add((X509Certificate) certificate);
            }
        }
        if (certificates.isEmpty()) {
            problems.add(keyPath, EXPECTED_PEM + ", found none in \"" + file + "\"");
        }
        return certificates;
    }
}
