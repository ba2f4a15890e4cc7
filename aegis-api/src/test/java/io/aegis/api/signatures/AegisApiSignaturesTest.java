package io.aegis.api.signatures;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SPI plugins compile against ({@code io.aegis.api}) equals {@code api/aegis-api.api}. */
class AegisApiSignaturesTest {
    @Test
    void theApiIsTheOneCheckedIn() {
        String actual = ApiSignatures.of(Path.of("target/classes"), List.of("io.aegis.api"));
        assertThat(actual).contains("public interface io.aegis.api.HealthChecker");
        String difference = ApiSignatures.compare(actual, Path.of("api/aegis-api.api"), "aegis-api",
                Boolean.getBoolean(ApiSignatures.UPDATE));
        assertThat(difference).as("%s", difference).isNull();
    }

    @Test
    void aChangedSignatureIsShownAsLinesRemovedAndAdded(@org.junit.jupiter.api.io.TempDir Path dir)
            throws java.io.IOException {
        Path file = java.nio.file.Files.writeString(dir.resolve("x.api"), "public interface a.B\n  void run()\n\n");
        String difference = ApiSignatures.compare("public interface a.B\n  void run(int)\n\n", file, "x", false);
        assertThat(difference).contains("-   void run()\n", "+   void run(int)\n", "-Daegis.api.update=true");
        assertThat(ApiSignatures.compare("public interface a.B\n  void run()\n\n", file, "x", false)).isNull();
    }
}
