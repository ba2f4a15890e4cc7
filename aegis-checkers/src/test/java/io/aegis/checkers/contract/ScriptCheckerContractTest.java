package io.aegis.checkers.contract;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.api.Settings;
import io.aegis.checkers.script.ScriptCheckerFactory;
import io.aegis.testkit.HealthCheckerContract;
import io.aegis.testkit.Misconfiguration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code script} checker against the SPI's rules: a blocking checker, so its work must go to the blocking
 * executor, and no script it ran may outlive a cancel or its close. Its network target is a bash script that
 * connects and waits for a line ({@code /dev/tcp}), as many Nagios plugins do.
 */
class ScriptCheckerContractTest extends HealthCheckerContract {
    @TempDir
    Path dir;

    @Override
    protected HealthCheckerFactory factory() {
        return new ScriptCheckerFactory();
    }

    @Override
    protected CheckerSpec.Builder healthyTarget() {
        return CheckerSpec.builder("job", "script", "/bin/true");
    }

    @Override
    protected Optional<CheckerSpec.Builder> targetAt(InetSocketAddress address) {
        return Optional.of(CheckerSpec.builder("job", "script", lineReader().toString())
                .settings(Settings.empty("services[0]"))
                .metadata(Map.of("args", String.valueOf(address.getPort()))));
    }

    @Override
    protected List<Misconfiguration<CheckerSpec.Builder>> misconfigurations() {
        return List.of(Misconfiguration.at("services[0].metadata.shell",
                CheckerSpec.builder("job", "script", "/bin/true").settings(Settings.empty("services[0]"))
                        .metadata(Map.of("shell", "perhaps"))));
    }

    /** Connects to 127.0.0.1:$1 and passes when a line comes back; CRITICAL (2) when it cannot connect. */
    private Path lineReader() {
        Path script = dir.resolve("read-a-line.sh");
        try {
            if (Files.notExists(script)) {
                Files.writeString(script, "#!/bin/bash\n"
                        + "exec 3<>/dev/tcp/127.0.0.1/\"$1\" || { echo \"CRITICAL: cannot connect\"; exit 2; }\n"
                        + "read -r line <&3 || { echo \"CRITICAL: no answer\"; exit 2; }\n"
                        + "echo \"OK: $line\"\n");
                Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
            }
            return script;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
