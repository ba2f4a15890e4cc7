package io.aegis.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The convenience constructor's temporary state directory does not outlive the JVM that made it. */
class RuntimeSpecTest {

    /** Run in a JVM of its own by the test: makes a spec, prints its state directory and exits. */
    public static void main(String[] args) {
        RuntimeSpec spec = new RuntimeSpec("web", Settings.of("services[0].runtime", Map.of()),
                status -> { }, Runnable::run);
        System.out.println(spec.stateDirectory());
    }

    @Test
    void theTemporaryStateDirectoryIsGoneOnceTheJvmThatMadeItHasExited() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process jvm = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                RuntimeSpecTest.class.getName()).redirectErrorStream(true).start();
        String output = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(jvm.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(jvm.exitValue()).as("exit code; output: %s", output).isZero();

        Path directory = Path.of(output);
        assertThat(directory.getFileName().toString()).startsWith("aegis-runtime-");
        assertThat(Files.exists(directory)).as("%s after its JVM exited", directory).isFalse();
    }

    @Test
    void theTemporaryStateDirectoryIsThereWhileTheSpecIsInUse() {
        RuntimeSpec spec = new RuntimeSpec("web", Settings.of("services[0].runtime", Map.of()),
                status -> { }, Runnable::run);

        assertThat(spec.stateDirectory()).isDirectory();
    }
}
