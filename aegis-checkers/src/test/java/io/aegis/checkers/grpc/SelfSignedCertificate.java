package io.aegis.checkers.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;

/**
 * A self-signed certificate for 127.0.0.1, made with the JDK's {@code keytool}: the JDK alone has no public
 * API to create a certificate, and BouncyCastle is not worth a dependency for one test.
 */
final class SelfSignedCertificate {
    private static final char[] PASSWORD = "changeit".toCharArray();

    private final Path keyStore;
    private final Path certificatePem;

    private SelfSignedCertificate(Path keyStore, Path certificatePem) {
        this.keyStore = keyStore;
        this.certificatePem = certificatePem;
    }

    /** Creates the key pair and certificate in {@code dir}. */
    static SelfSignedCertificate create(Path dir) throws IOException, GeneralSecurityException,
            InterruptedException {
        Path keyStore = dir.resolve("server.p12");
        Path certificatePem = dir.resolve("server.pem");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", keyStore.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD));
        SelfSignedCertificate created = new SelfSignedCertificate(keyStore, certificatePem);
        // what keytool -exportcert -rfc writes, without starting a second JVM for it
        Files.writeString(certificatePem, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(created.load().getCertificate("server").getEncoded())
                + "\n-----END CERTIFICATE-----\n", StandardCharsets.US_ASCII);
        return created;
    }

    /** The certificate alone, as PEM: what a client trusts with {@code tls.caFile}. */
    Path certificatePem() {
        return certificatePem;
    }

    /** The key and certificate, for a server. */
    KeyManager[] keyManagers() throws IOException, GeneralSecurityException {
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(load(), PASSWORD);
        return factory.getKeyManagers();
    }

    private KeyStore load() throws IOException {
        try (InputStream in = Files.newInputStream(keyStore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, PASSWORD);
            return store;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the key store keytool wrote: " + e.getMessage(), e);
        }
    }

    private static void keytool(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("keytool did not finish within 30s: " + command);
        }
        if (process.exitValue() != 0) {
            throw new IOException("keytool failed with exit code " + process.exitValue() + ": " + output);
        }
    }
}
