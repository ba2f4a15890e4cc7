package io.aegis.runtimes.nomad;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.Settings;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An https agent whose certificate a private CA file vouches for ({@code caCert}, like NOMAD_CACERT). */
class NomadTlsTest {

    @TempDir
    static Path keys;

    private static SSLContext serverTls;
    private static Path caPem;
    private static final ExecutorService BLOCKING = Executors.newCachedThreadPool();

    @BeforeAll
    static void makeASelfSignedCertificateFor127001() throws Exception {
        Path keystore = keys.resolve("agent.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "agent", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=nomad-test", "-ext", "san=ip:127.0.0.1", "-storetype", "PKCS12", "-keystore",
                keystore.toString(), "-storepass", "changeit");
        caPem = keys.resolve("ca.pem");
        run(keytool, "-exportcert", "-rfc", "-alias", "agent", "-keystore", keystore.toString(), "-storepass",
                "changeit", "-file", caPem.toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, "changeit".toCharArray());
        serverTls = SSLContext.getInstance("TLS");
        serverTls.init(keyManagers.getKeyManagers(), null, null);
    }

    @AfterAll
    static void stopPool() {
        BLOCKING.shutdownNow();
    }

    @Test
    void anHttpsAgentIsTrustedThroughCaCert() throws Exception {
        try (FakeNomadServer nomad = new FakeNomadServer(serverTls)) {
            nomad.job("web", "default", 1, List.of(0L), List.of("api"), 1);
            nomad.allocation("web", NomadTestSupport.A1, "api", "running", 1);
            try (RuntimeAdapter runtime = create(nomad.address(), caPem)) {
                NomadTestSupport.join(runtime.start());
                assertThat(runtime.status().toCompletableFuture().getNow(null).readyInstances()).hasValue(1);
            }
        }
    }

    @Test
    void withoutCaCertTheJdksTrustStoreRefusesThePrivateCertificate() throws Exception {
        try (FakeNomadServer nomad = new FakeNomadServer(serverTls)) {
            nomad.job("web", "default", 1, List.of(0L), List.of("api"), 1);
            try (RuntimeAdapter runtime = create(nomad.address(), null)) {
                assertThat(NomadTestSupport.failure(runtime.start())).startsWith("cannot start service \"web\":"
                        + " Nomad at " + nomad.address() + " is unreachable (SSLHandshakeException");
            }
        }
    }

    private static RuntimeAdapter create(String address, Path ca) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("type", "nomad");
        settings.put("address", address);
        settings.put("job", "web");
        if (ca != null) {
            settings.put("caCert", ca.toString());
        }
        return new NomadRuntimeFactory(Map.of(), NomadTestSupport.TIMINGS).create(new RuntimeSpec("web",
                Settings.of("services.web.runtime", settings), status -> { }, BLOCKING, keys));
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(String.join(" ", command) + ": " + output).isZero();
    }
}
