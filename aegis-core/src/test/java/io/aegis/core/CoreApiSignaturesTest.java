package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.signatures.ApiSignatures;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The public part of aegis-core (what an embedding application and the aegis-http-api module compile against:
 * {@code io.aegis.core}, its events and alerting types; never {@code internal}) equals {@code api/aegis-core.api}.
 */
class CoreApiSignaturesTest {
    @Test
    void thePublicApiIsTheOneCheckedIn() {
        String actual = ApiSignatures.of(Path.of("target/classes"),
                List.of("io.aegis.core", "io.aegis.core.event", "io.aegis.core.alerting"));
        assertThat(actual).contains("public final class io.aegis.core.Engine").doesNotContain(".internal.");
        String difference = ApiSignatures.compare(actual, Path.of("api/aegis-core.api"), "aegis-core",
                Boolean.getBoolean(ApiSignatures.UPDATE));
        assertThat(difference).as("%s", difference).isNull();
    }
}
