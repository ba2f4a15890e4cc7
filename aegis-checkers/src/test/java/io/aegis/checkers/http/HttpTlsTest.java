package io.aegis.checkers.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.FailureReason;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthStatus;
import io.aegis.testkit.RecordingLogger;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code tls:} block against a real HTTPS server on loopback whose self-signed certificate (valid for
 * 5 days, for IP 127.0.0.1 only) is made by {@code keytool} when the class starts.
 */
class HttpTlsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String PASSWORD = "changeit";

    @TempDir
    static Path keys;
    private static Path caFile;
    private static X509Certificate certificate;
    private static HttpsServer server;
    private static ExecutorService serverThreads;

    private final RecordingLogger log = new RecordingLogger();
    private HttpCheckerFactory factory = new HttpCheckerFactory(log, Clock.systemUTC());

    @BeforeAll
    static void startHttpsServer() throws Exception {
        Path keyStore = keys.resolve("ks.p12");
        caFile = keys.resolve("ca.pem");
        keytool("-genkeypair", "-alias", "s", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1",
                "-ext", "san=ip:127.0.0.1", "-validity", "5", "-storetype", "PKCS12", "-keystore",
                keyStore.toString(), "-storepass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "s", "-keystore", keyStore.toString(), "-storepass", PASSWORD,
                "-file", caFile.toString());

        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        certificate = (X509Certificate) store.getCertificate("s");
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), null, null);

        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        server.createContext("/health", exchange -> HttpConditionsTest.answer(exchange, 200, "{\"status\":\"UP\"}"));
        server.start();
    }

    @AfterAll
    static void stopHttpsServer() {
        server.stop(0);
        serverThreads.shutdownNow();
    }

    @AfterEach
    void closeFactory() {
        factory.close();
    }

    @Test
    void failsTlsWhenSelfSignedCertificateIsCheckedWithTheJvmTrustStore() throws Exception {
        CheckResult result = check(url("127.0.0.1"), Map.of());

        assertThat(result.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(result.failureReason()).contains(FailureReason.TLS);
        assertThat(result.message()).startsWith("TLS with " + url("127.0.0.1") + " failed: ");
    }

    @Test
    void trustsServerSignedByCaFile() throws Exception {
        CheckResult result = check(url("127.0.0.1"), Map.of("tls", Map.of("caFile", caFile.toString())));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(result.message()).isEqualTo("HTTP 200");
    }

    @Test
    void stillVerifiesHostNameWithCaFile() throws Exception {
        // the certificate names IP 127.0.0.1 only, so "localhost" does not match it
        CheckResult result = check(url("localhost"), Map.of("tls", Map.of("caFile", caFile.toString())));

        assertThat(result.failureReason()).contains(FailureReason.TLS);
        assertThat(result.message()).endsWith("No name matching localhost found");
    }

    @Test
    void trustsAnyServerWithInsecureSkipVerify() throws Exception {
        CheckResult result = check(url("127.0.0.1"), Map.of("tls", Map.of("insecureSkipVerify", true)));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void skipsHostNameVerificationWithInsecureSkipVerifyWithoutTheJvmWideProperty() throws Exception {
        CheckResult result = check(url("localhost"), Map.of("tls", Map.of("insecureSkipVerify", "true")));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(System.getProperty("jdk.internal.httpclient.disableHostnameVerification")).isNull();
    }

    @Test
    void warnsOncePerCheckerNamingTheServiceWhenVerificationIsSkipped() {
        factory.create(HttpCheckerTest.spec(url("127.0.0.1"), Map.of("tls", Map.of("insecureSkipVerify", true)),
                TIMEOUT));
        factory.create(HttpCheckerTest.spec(url("127.0.0.1"), Map.of("tls", Map.of("insecureSkipVerify", false)),
                TIMEOUT));

        assertThat(log.lines()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("WARNING api: tls.insecureSkipVerify is true: neither the certificate nor the host name"
                        + " of " + url("127.0.0.1") + " is verified"));
    }

    @Test
    void reportsDegradedWhenCertificateExpiresWithinWarningDays() throws Exception {
        CheckResult result = check(url("127.0.0.1"),
                Map.of("tls", Map.of("caFile", caFile.toString(), "certExpiryWarningDays", 30)));

        assertThat(result.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(result.isPassing()).isTrue();
        assertThat(result.failureReason()).contains(FailureReason.TLS);
        assertThat(result.message()).isEqualTo("certificate for 127.0.0.1 expires in 5 days (" + expiryDate() + ")");
    }

    @Test
    void passesWhenCertificateOutlivesWarningDays() throws Exception {
        CheckResult result = check(url("127.0.0.1"),
                Map.of("tls", Map.of("caFile", caFile.toString(), "certExpiryWarningDays", 3)));

        assertThat(result.status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void countsDaysLeftOnTheFactoryClock() throws Exception {
        Instant nineDaysBefore = certificate.getNotAfter().toInstant().minus(Duration.ofDays(9));
        factory = new HttpCheckerFactory(log, Clock.fixed(nineDaysBefore, ZoneOffset.UTC));

        CheckResult result = check(url("127.0.0.1"),
                Map.of("tls", Map.of("caFile", caFile.toString(), "certExpiryWarningDays", 14)));

        assertThat(result.message()).isEqualTo("certificate for 127.0.0.1 expires in 9 days (" + expiryDate() + ")");
    }

    @Test
    void reportsExpiredCertificateThatOnlySkippedVerificationLetThrough() throws Exception {
        Instant dayAfterExpiry = certificate.getNotAfter().toInstant().plus(Duration.ofDays(1));
        factory = new HttpCheckerFactory(log, Clock.fixed(dayAfterExpiry, ZoneOffset.UTC));

        CheckResult result = check(url("127.0.0.1"),
                Map.of("tls", Map.of("insecureSkipVerify", true, "certExpiryWarningDays", 14)));

        assertThat(result.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(result.message()).isEqualTo("certificate for 127.0.0.1 expired on " + expiryDate());
    }

    @Test
    void sharesOneClientPerDistinctTrust() throws Exception {
        Path sameCertificates = keys.resolve("copy-of-ca.pem");
        Files.copy(caFile, sameCertificates, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        List<Map<String, ?>> settings = List.of(
                Map.of(),
                Map.of("tls", Map.of("certExpiryWarningDays", 7)),
                Map.of("tls", Map.of("caFile", caFile.toString())),
                Map.of("tls", Map.of("caFile", sameCertificates.toString(), "certExpiryWarningDays", 7)),
                Map.of("tls", Map.of("insecureSkipVerify", true)),
                Map.of("tls", Map.of("insecureSkipVerify", true, "certExpiryWarningDays", 7)));
        for (Map<String, ?> each : settings) {
            factory.create(HttpCheckerTest.spec(url("127.0.0.1"), each, TIMEOUT));
        }
        // plain http never needs a TLS client of its own
        factory.create(HttpCheckerTest.spec("http://127.0.0.1:9/health",
                Map.of("tls", Map.of("caFile", caFile.toString())), TIMEOUT));

        assertThat(factory.clientCount()).isEqualTo(3);
    }

    private CheckResult check(String endpoint, Map<String, ?> settings) throws Exception {
        HealthChecker checker = factory.create(HttpCheckerTest.spec(endpoint, settings, TIMEOUT));
        return checker.check(new CheckContext(1, TIMEOUT)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static String url(String host) {
        return "https://" + host + ":" + server.getAddress().getPort() + "/health";
    }

    private static LocalDate expiryDate() {
        return LocalDate.ofInstant(certificate.getNotAfter().toInstant(), ZoneOffset.UTC);
    }

    static void keytool(String... arguments) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("keytool finished").isTrue();
        assertThat(process.exitValue()).as("keytool %s failed: %s", arguments[0], output).isZero();
    }
}
