package io.aegis.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A log source's spec refuses values no source could work with, and runtimes offer no log by default. */
class LogSourceSpecTest {
    private static final Settings SETTINGS = Settings.of("logs.files[0]", Map.of("path", "/var/log/app.log"));

    @Test
    void aLineLimitBelowOneByteOrANonPositiveScanIntervalIsRefused() {
        assertThatThrownBy(() -> new LogSourceSpec("api", SETTINGS, false, 0, Duration.ofSeconds(1), Optional.empty(),
                Runnable::run)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxLineLength");
        assertThatThrownBy(() -> new LogSourceSpec("api", SETTINGS, false, 65_536, Duration.ZERO, Optional.empty(),
                Runnable::run)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scanInterval");
        LogSourceSpec spec = new LogSourceSpec("api", SETTINGS, true, 65_536, Duration.ofMinutes(1), Optional.empty(),
                Runnable::run);
        assertThat(spec.maxLineLength()).isEqualTo(65_536);
    }

    @Test
    void aRuntimeAdapterHasNoLogOfItsOwnByDefault() {
        RuntimeAdapter adapter = new RuntimeAdapter() {
            @Override
            public java.util.concurrent.CompletionStage<Void> start() {
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }

            @Override
            public java.util.concurrent.CompletionStage<Void> stop() {
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }

            @Override
            public java.util.concurrent.CompletionStage<WorkloadStatus> status() {
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }
        };
        assertThat(adapter.logFiles()).isEmpty();
        assertThat(adapter.logSource(new LogSourceSpec("api", SETTINGS, false, 10, Duration.ofSeconds(1),
                Optional.empty(), Runnable::run))).isEmpty();
    }
}
