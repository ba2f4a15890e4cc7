package io.aegis.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/systemd/aegis.service, checked by systemd's own tools offline (no systemd needs to run here): it loads
 * without a warning with the distribution's launcher as its {@code ExecStart}, and its hardening scores "OK" or
 * better in {@code systemd-analyze security}. CI installs systemd's tools; elsewhere the test is skipped without them.
 */
class SystemdUnitIT {
    /** systemd's scale goes from 0 (safe) to 10 (exposed); "OK" ends below 5. Ours scored 3.2 when written. */
    private static final double MOST_EXPOSURE = 4.0;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private static Path unit;

    @BeforeAll
    static void unitWithTheTarballsLauncher() throws IOException {
        boolean tools = Files.isExecutable(Path.of("/usr/bin/systemd-analyze"));
        if (!"true".equals(System.getenv("CI"))) {
            Assumptions.assumeTrue(tools, "systemd-analyze is not installed (apt-get install systemd)");
        }
        assertThat(tools).as("systemd-analyze in CI (.ci/run installs systemd)").isTrue();
        Path example = Path.of(Tarball.property("aegis.quickstart")).toAbsolutePath().normalize().getParent()
                .getParent().resolve("systemd/aegis.service");
        Path home = Tarball.unpack(Files.createDirectory(dir.resolve("opt")));
        String text = Files.readString(example);
        assertThat(text).contains("ExecStart=/usr/local/bin/aegis ");
        // As the unit's first line says: adjust the paths. Here, to the unpacked tarball's launcher.
        unit = Files.writeString(dir.resolve("aegis.service"),
                text.replace("/usr/local/bin/aegis", home.resolve("bin/aegis").toString()));
    }

    @Test
    void theUnitLoadsWithoutAWarning() {
        Command.Result result = Command.run(List.of("systemd-analyze", "verify", unit.toString()), dir, null,
                COMMAND_TIMEOUT);

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.stdout() + result.stderr()).as("%s", result).isEmpty();
    }

    @Test
    void itsHardeningScoresOkInSystemdsOwnAudit() {
        Command.Result result = Command.run(List.of("systemd-analyze", "security", "--offline=true",
                "--threshold=" + Math.round(MOST_EXPOSURE * 10), "--no-pager", unit.toString()), dir,
                null, COMMAND_TIMEOUT);

        Matcher level = Pattern.compile("Overall exposure level for aegis\\.service: (\\d+\\.\\d) (\\w+)")
                .matcher(result.stdout());
        assertThat(level.find()).as("%s", result).isTrue();
        assertThat(Double.parseDouble(level.group(1))).as("%s", result.stdout()).isLessThanOrEqualTo(MOST_EXPOSURE);
        assertThat(level.group(2)).isIn("SAFE", "OK");
        assertThat(result.exitCode()).as("%s", result).isZero();
    }
}
