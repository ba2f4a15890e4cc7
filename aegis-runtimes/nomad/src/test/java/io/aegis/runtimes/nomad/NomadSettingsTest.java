package io.aegis.runtimes.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.Settings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NomadSettingsTest {

    private static final String PATH = "services.web.runtime";

    @TempDir
    Path tempDir;

    @Test
    void isFoundByServiceLoaderAsTypeNomad() {
        assertThat(ServiceLoader.load(RuntimeAdapterFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(found -> {
                    assertThat(found).isInstanceOf(NomadRuntimeFactory.class);
                    assertThat(found.type()).isEqualTo("nomad");
                });
    }

    @Test
    void defaultsComeFromTheNomadEnvironmentVariablesThenFromNomadsOwnDefaults() {
        NomadSettings fromEnvironment = NomadSettings.from(settings(Map.of("job", "web")),
                Map.of("NOMAD_ADDR", "http://10.0.0.1:4646/", "NOMAD_TOKEN", "s3cret", "NOMAD_NAMESPACE", "shop",
                        "NOMAD_REGION", "eu"));
        assertThat(fromEnvironment.address()).isEqualTo(URI.create("http://10.0.0.1:4646"));
        assertThat(fromEnvironment.token()).contains("s3cret");
        assertThat(fromEnvironment.namespace()).isEqualTo("shop");
        assertThat(fromEnvironment.region()).contains("eu");

        NomadSettings bare = NomadSettings.from(settings(Map.of("job", "web", "token", "")), Map.of());
        assertThat(bare.address()).isEqualTo(URI.create("http://127.0.0.1:4646"));
        assertThat(bare.token()).isEmpty();
        assertThat(bare.namespace()).isEqualTo("default");
        assertThat(bare.region()).isEmpty();
        assertThat(bare.group()).isEmpty();
        assertThat(bare.task()).isEmpty();
    }

    @Test
    void keysWinOverTheEnvironment() {
        NomadSettings settings = NomadSettings.from(settings(Map.of("job", "web", "address", "http://nomad:4646",
                "namespace", "prod", "token", "mine", "group", "api", "task", "server")),
                Map.of("NOMAD_ADDR", "http://other:4646", "NOMAD_NAMESPACE", "shop", "NOMAD_TOKEN", "theirs"));
        assertThat(settings.address()).isEqualTo(URI.create("http://nomad:4646"));
        assertThat(settings.namespace()).isEqualTo("prod");
        assertThat(settings.token()).contains("mine");
        assertThat(settings.group()).contains("api");
        assertThat(settings.task()).contains("server");
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsKeyPath() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("address", "nomad:4646");
        values.put("namespace", "*");
        values.put("group", "");
        values.put("task", "a/b");
        assertThatThrownBy(() -> NomadSettings.from(settings(values), Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        new ConfigProblem(PATH + ".address", "expected the HTTP address of a Nomad agent, like"
                                + " http://127.0.0.1:4646, found \"nomad:4646\""),
                        new ConfigProblem(PATH + ".namespace", "expected the job's namespace, found \"*\", which means"
                                + " every namespace and only works for reading; name the job's namespace"),
                        new ConfigProblem(PATH + ".job", "missing: expected the ID of the Nomad job, like web"),
                        new ConfigProblem(PATH + ".group", "expected a task group of the job, or no group key for"
                                + " every group, found an empty value"),
                        new ConfigProblem(PATH + ".task", "expected a task of the job, or no task key for every task,"
                                + " found \"a/b\", which Nomad cannot name (no / or control characters)")));
    }

    @Test
    void anAddressFromTheEnvironmentIsNamedAsSuchWhenItIsWrong() {
        assertThatThrownBy(() -> NomadSettings.from(settings(Map.of("job", "web")),
                Map.of("NOMAD_ADDR", "ftp://nomad:4646")))
                .isInstanceOf(ConfigException.class)
                .hasMessage(PATH + ".address: expected the HTTP address of a Nomad agent, like http://127.0.0.1:4646,"
                        + " found \"ftp://nomad:4646\" (from NOMAD_ADDR)");
    }

    @Test
    void anAddressWithAPathIsRefused() {
        assertThatThrownBy(() -> NomadSettings.from(settings(Map.of("job", "web", "address",
                "http://nomad:4646/v1")), Map.of()))
                .hasMessage(PATH + ".address: expected the HTTP address of a Nomad agent, like http://127.0.0.1:4646"
                        + " without a path or query, found \"http://nomad:4646/v1\"");
    }

    @Test
    void aCaCertificateNeedsAnHttpsAddressAndAReadableFile() {
        assertThatThrownBy(() -> NomadSettings.from(settings(Map.of("job", "web", "address", "http://nomad:4646",
                "caCert", tempDir.resolve("missing.pem").toString())), Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        new ConfigProblem(PATH + ".caCert", "expected a readable PEM file of CA certificates, found \""
                                + tempDir.resolve("missing.pem") + "\", which does not exist")));
    }

    @Test
    void aCaCertificateWithAnHttpAddressIsAMistake() throws Exception {
        Path pem = Files.writeString(tempDir.resolve("ca.pem"), "not a certificate");
        assertThatThrownBy(() -> NomadSettings.from(settings(Map.of("job", "web", "address", "http://nomad:4646",
                "caCert", pem.toString())), Map.of()))
                .hasMessage(PATH + ".caCert: a CA certificate only applies to an https address, and the address is"
                        + " http://nomad:4646; use https:// or remove caCert");
    }

    @Test
    void aCaFileThatHoldsNoCertificateIsRefusedWhenTheRuntimeIsCreated() throws Exception {
        Path pem = Files.writeString(tempDir.resolve("ca.pem"), "not a certificate");
        NomadRuntimeFactory factory = new NomadRuntimeFactory(Map.of(), NomadRuntimeFactory.Timings.DEFAULT);
        assertThatThrownBy(() -> factory.create(new io.aegis.api.RuntimeSpec("web", settings(Map.of("job", "web",
                "address", "https://nomad:4646", "caCert", pem.toString())), status -> { }, Runnable::run, tempDir)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(PATH + ".caCert: expected a PEM file of CA certificates, found " + pem);
    }

    @Test
    void theTokenIsNeverPartOfTheSettingsDescriptionInMessages() {
        NomadSettings settings = NomadSettings.from(settings(Map.of("job", "web", "token", "s3cret")), Map.of());
        assertThat(settings.jobText() + settings.addressText()).doesNotContain("s3cret");
        assertThat(settings.caCert()).isEqualTo(Optional.empty());
    }

    private static Settings settings(Map<String, ?> values) {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("type", "nomad");
        all.putAll(values);
        return Settings.of(PATH, all);
    }
}
