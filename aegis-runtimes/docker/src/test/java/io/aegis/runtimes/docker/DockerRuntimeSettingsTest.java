package io.aegis.runtimes.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.api.ConfigException;
import io.aegis.api.ConfigProblem;
import io.aegis.api.Settings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DockerRuntimeSettingsTest {
    private static final String PATH = "services.web.runtime";

    @Test
    void imageModeDefaults() {
        DockerRuntimeSettings settings = read(Map.of("type", "docker", "image", "example/web:1.4"), null);
        assertThat(settings.createsContainer()).isTrue();
        assertThat(settings.host()).isEqualTo("unix:///var/run/docker.sock");
        assertThat(settings.name()).isEqualTo("aegis-web");
        assertThat(settings.pull()).isEqualTo(DockerRuntimeSettings.Pull.MISSING);
        assertThat(settings.stopTimeout()).isEqualTo(10);
        assertThat(settings.command()).isEmpty();
        assertThat(settings.init()).isFalse();
    }

    @Test
    void hostComesFromTheKeyThenDockerHostThenTheDefaultSocket() {
        assertThat(read(Map.of("image", "x"), "tcp://127.0.0.1:2375").host()).isEqualTo("tcp://127.0.0.1:2375");
        assertThat(read(Map.of("image", "x", "host", "unix:///tmp/d.sock"), "tcp://127.0.0.1:2375").host())
                .isEqualTo("unix:///tmp/d.sock");
    }

    @Test
    void everyKeyIsRead() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("image", "example/web:1.4");
        values.put("name", "web-1");
        values.put("command", "java -jar '/app/my app.jar'");
        values.put("env", Map.of("KEY", "value"));
        values.put("ports", List.of("127.0.0.1:8080:8080"));
        values.put("volumes", List.of("/srv/data:/data:ro"));
        values.put("network", "host");
        values.put("pull", "always");
        values.put("stopTimeout", "1500ms");
        values.put("init", true);
        values.put("labels", Map.of("team", "web"));
        DockerRuntimeSettings settings = read(values, null);
        assertThat(settings.name()).isEqualTo("web-1");
        assertThat(settings.command()).containsExactly("java", "-jar", "/app/my app.jar");
        assertThat(settings.environment()).containsEntry("KEY", "value");
        assertThat(settings.network()).contains("host");
        assertThat(settings.pull()).isEqualTo(DockerRuntimeSettings.Pull.ALWAYS);
        assertThat(settings.stopTimeout()).as("rounded up to whole seconds").isEqualTo(2);
        assertThat(settings.init()).isTrue();
        assertThat(settings.labels()).containsEntry("team", "web");
    }

    @Test
    void containerModeSupervisesTheNamedContainer() {
        DockerRuntimeSettings settings = read(Map.of("container", "web", "stopTimeout", "3s"), null);
        assertThat(settings.createsContainer()).isFalse();
        assertThat(settings.containerReference()).isEqualTo("web");
        assertThat(settings.stopTimeout()).isEqualTo(3);
    }

    @Test
    void everyProblemIsReportedAtOnceByKeyPath() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("image", "example/web:1.4");
        values.put("container", "web");
        values.put("host", "ssh://box");
        values.put("name", "-bad name");
        values.put("ports", List.of("127.0.0.1:8080:8080", "not a port"));
        values.put("pull", "sometimes");
        values.put("stopTimeout", "10 minutes");
        values.put("env", Map.of("A=B", "x"));
        values.put("command", List.of());
        values.put("labels", Map.of("io.aegis.service", "other"));
        assertThatThrownBy(() -> read(values, null)).isInstanceOfSatisfying(ConfigException.class, e ->
                assertThat(e.problems()).extracting(ConfigProblem::keyPath).containsExactlyInAnyOrder(
                        PATH + ".host",
                        PATH + ".image",
                        PATH + ".name", PATH + ".command", PATH + ".env", PATH + ".ports", PATH + ".pull",
                        PATH + ".labels", // each image-only key in container mode
                        PATH + ".name",
                        PATH + ".command",
                        PATH + ".env",
                        PATH + ".ports[1]",
                        PATH + ".pull",
                        PATH + ".stopTimeout",
                        PATH + ".labels.io.aegis.service"));
    }

    @Test
    void aPortOutOfRangeIsAConfigurationMistakeNotAnEngineRefusalAtStart() {
        // Seen with the aegis jar: ports: ["99999:1"] passed --validate; the start then failed with HTTP 400.
        assertThatThrownBy(() -> read(Map.of("image", "x", "ports", List.of("8080:80", "99999:1", "8080:0",
                "127.0.0.1:70000-70001:80/udp", "5")), null))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath)
                        .containsExactly(PATH + ".ports[1]", PATH + ".ports[2]", PATH + ".ports[3]"))
                .hasMessageContaining(PATH + ".ports[1]: expected a port binding like 127.0.0.1:8080:8080 or"
                        + " 8080:80/tcp, ports from 1 to 65535, found \"99999:1\"");
    }

    @Test
    void aWrongValueSaysWhatWasExpected() {
        assertThatThrownBy(() -> read(Map.of("image", "x", "pull", "sometimes"), null)).hasMessage(PATH
                + ".pull: expected missing (pull only when the engine lacks the image), always or never, found"
                + " \"sometimes\"");
        assertThatThrownBy(() -> read(Map.of("image", "x", "stopTimeout", "6m"), null)).hasMessage(PATH
                + ".stopTimeout: expected a duration from 0s to 5m (the time between SIGTERM and SIGKILL), found"
                + " \"6m\"");
        assertThatThrownBy(() -> read(Map.of("image", "x", "host", "ssh://box"), null)).hasMessage(PATH
                + ".host: expected the Docker engine's address, unix:///path/to/docker.sock or tcp://host:port, found"
                + " \"ssh://box\"");
        assertThatThrownBy(() -> read(Map.of("image", "x", "volumes", List.of("a:b:c:d")), null)).hasMessage(PATH
                + ".volumes[0]: expected a mount like /srv/data:/data:ro or a-volume:/data, found \"a:b:c:d\"");
    }

    @Test
    void neitherImageNorContainerIsAProblem() {
        assertThatThrownBy(() -> read(Map.of("type", "docker"), null)).hasMessage(PATH + ".image: missing: expected"
                + " image (an image aegis runs a container from, such as example/web:1.4) or container (the name of"
                + " an existing container aegis supervises)");
    }

    @Test
    void bothImageAndContainerIsAProblem() {
        assertThatThrownBy(() -> read(Map.of("image", "x", "container", "y"), null)).hasMessage(PATH + ".image:"
                + " expected either container (supervise an existing container) or image (aegis runs one), found"
                + " both; keep one");
    }

    @Test
    void aCommandStringIsSplitIntoWordsWithQuotes() {
        assertThat(DockerRuntimeSettings.split("sh -c 'echo \"hi there\"' a\\ b", "k"))
                .containsExactly("sh", "-c", "echo \"hi there\"", "a b");
        assertThatThrownBy(() -> DockerRuntimeSettings.split("sh -c 'oops", "k")).isInstanceOf(ConfigException.class)
                .hasMessage("k: the single quote at position 7 is not closed in \"sh -c 'oops\"; close it, or write the"
                        + " command as a list");
    }

    @Test
    void theDefaultNameAndTheTagRepositoryKeepToWhatDockerAccepts() {
        assertThat(DockerRuntimeSettings.defaultName("my web/api")).isEqualTo("aegis-my-web-api");
        assertThat(DockerRuntime.repositoryName("My_Web API")).isEqualTo("my_web-api");
    }

    @Test
    void theConfigDigestChangesWithTheSettingsButNotWithTheImage() {
        String digest = read(Map.of("image", "a:1", "env", Map.of("K", "v")), null).configDigest();
        assertThat(read(Map.of("image", "a:2", "env", Map.of("K", "v")), null).configDigest()).isEqualTo(digest);
        assertThat(read(Map.of("image", "a:1", "env", Map.of("K", "w")), null).configDigest()).isNotEqualTo(digest);
    }

    // ---------------------------------------------------------------------------------------- isolate hook

    @Test
    void theIsolateHookIsReadAsTheProcessRuntimeReadsItsOwn() {
        assertThat(read(Map.of("image", "x"), null).isolateHook()).isEmpty();
        DockerRuntimeSettings list = read(Map.of("image", "x", "network", "host",
                "isolate", Map.of("command", List.of("/bin/sh", "-c", "exit 0"), "timeout", "5s")), null);
        assertThat(list.isolateHook()).hasValueSatisfying(hook -> {
            assertThat(hook.command()).containsExactly("/bin/sh", "-c", "exit 0");
            assertThat(hook.timeout()).isEqualTo(Duration.ofSeconds(5));
            assertThat(hook.keyPath()).isEqualTo(PATH + ".isolate.command");
        });
        DockerRuntimeSettings string = read(Map.of("container", "web",
                "isolate", Map.of("command", "sh -c 'echo drained'")), null);
        assertThat(string.isolateHook()).hasValueSatisfying(hook -> {
            assertThat(hook.command()).containsExactly("sh", "-c", "echo drained");
            assertThat(hook.timeout()).isEqualTo(DockerRuntimeSettings.DEFAULT_ISOLATE_TIMEOUT);
        });
        assertThat(string.configDigest()).as("the hook does not change the container")
                .isEqualTo(read(Map.of("container", "web"), null).configDigest());
    }

    @Test
    void isolateHookMistakesAreReportedAtOnceByKeyPath() {
        assertThatThrownBy(() -> read(Map.of("image", "x", "stopTimeout", "1h",
                "isolate", Map.of("timeout", "0s")), null)).isInstanceOfSatisfying(ConfigException.class, e ->
                        assertThat(e.problems()).extracting(ConfigProblem::keyPath).containsExactlyInAnyOrder(
                                PATH + ".stopTimeout", PATH + ".isolate.command", PATH + ".isolate.timeout"))
                .hasMessageContaining(PATH + ".isolate.command: missing: expected the command aegis runs on this"
                        + " machine to take the container out of traffic")
                .hasMessageContaining(PATH + ".isolate.timeout: expected a duration from 1ms to 10m (how long the"
                        + " isolate hook may run), found \"0s\"");
        assertThatThrownBy(() -> read(Map.of("image", "x", "isolate", Map.of("command", List.of(), "timeout", "11m")),
                null)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath)
                        .containsExactly(PATH + ".isolate.command", PATH + ".isolate.timeout"));
        assertThatThrownBy(() -> read(Map.of("image", "x", "isolate", "drain"), null))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PATH + ".isolate");
    }

    @Test
    void theIsolateHooksProgramMustExist() {
        assertThatThrownBy(() -> read(Map.of("image", "x", "isolate", Map.of("command", "/no/such/drain web")), null))
                .hasMessage(PATH + ".isolate.command: \"/no/such/drain\" does not exist");
        assertThatThrownBy(() -> DockerRuntimeSettings.from("web", Settings.of(PATH, Map.of("image", "x",
                "isolate", Map.of("command", List.of("no-such-drain-program")))), null, "/bin:/usr/bin"))
                .hasMessage(PATH + ".isolate.command: \"no-such-drain-program\" is not an executable on the PATH"
                        + " (/bin:/usr/bin); install it, or write its full path");
        assertThatThrownBy(() -> read(Map.of("image", "x", "isolate", Map.of("command", "/tmp")), null))
                .hasMessage(PATH + ".isolate.command: \"/tmp\" is a directory; expected the program to run");
        assertThat(DockerRuntimeSettings.from("web", Settings.of(PATH, Map.of("image", "x",
                "isolate", Map.of("command", "sh -c true"))), null, "/no/such/dir:/bin").isolateHook()).isPresent();
    }

    private static DockerRuntimeSettings read(Map<String, ?> values, String dockerHost) {
        return DockerRuntimeSettings.from("web", Settings.of(PATH, values), dockerHost);
    }
}
