package io.aegis.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every scenario once at a tiny size so the harness cannot rot. Asserts that each one ran and printed
 * its rows, never how fast anything was: speed is measured by {@code benchmarks/run.sh}, not by tests.
 */
class ScenarioSmokeTest {
    @TempDir
    Path workDir;

    @Test
    void everyScenarioRunsOnceAtATinySize() throws Exception {
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        boolean built = Files.isRegularFile(repo.resolve("aegis-cli/target/aegis"))
                && Files.isRegularFile(repo.resolve("examples/demo-service/target/demo-service.jar"));
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(built, "the aegis executable and the demo service are not built; run"
                    + " `mvn install -DskipTests` at the root first");
        }
        assertThat(built).as("aegis-cli/target/aegis and examples/demo-service/target/demo-service.jar exist").isTrue();

        ByteArrayOutputStream table = new ByteArrayOutputStream();
        Options options = new Options(true, repo, System.getProperty("java.class.path"), workDir);
        int failures = Driver.run(options, List.of(), new PrintStream(table, true, StandardCharsets.UTF_8));

        String printed = table.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        assertThat(failures).as("scenarios that failed; the table:%n%s", printed).isZero();
        assertThat(printed).contains("fleet 20 http keep", "fleet 20 tcp", "fleet 20 http new",
                "fleet 20 blackbox+prometheus", "fleet 40 http overload", "fleet 40 http overload, dropped to 20",
                "recovery: kill -9", "recovery: 503, interval 200ms", "startup", "logs 2 MB, 10 patterns",
                "logs follow 20 MB/s append");
    }
}
