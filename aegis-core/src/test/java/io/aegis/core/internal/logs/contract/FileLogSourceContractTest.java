package io.aegis.core.internal.logs.contract;

import io.aegis.api.LogSourceFactory;
import io.aegis.api.Settings;
import io.aegis.core.internal.logs.FileLogSourceFactory;
import io.aegis.testkit.LogSourceContract;
import io.aegis.testkit.Misconfiguration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/** The built-in {@code file} log source against the SPI's rules, as the kit checks a third-party source. */
class FileLogSourceContractTest extends LogSourceContract {
    @Override
    protected LogSourceFactory factory() {
        return new FileLogSourceFactory();
    }

    @Override
    protected Input input(Path dir) {
        Path file = dir.resolve("app.log");
        return new Input(Settings.of("logs.files[0]", Map.of("path", file.toString())),
                line -> Files.writeString(file, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND));
    }

    @Override
    protected List<Misconfiguration<Settings>> misconfigurations() {
        return List.of(Misconfiguration.at("logs.files[0].path", Settings.of("logs.files[0]", Map.of("path", ""))));
    }
}
