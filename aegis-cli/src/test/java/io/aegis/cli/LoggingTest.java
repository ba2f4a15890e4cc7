package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class LoggingTest {

    @Test
    void sendsJavaUtilLoggingThroughSlf4jInsteadOfItsOwnConsoleFormat() {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Logging.routeJavaUtilLogging(LogLevel.INFO);
            Logger jul = Logger.getLogger("io.aegis.cli.test.jul");
            jul.log(Level.SEVERE, "the scraper hung up", new IOException("Broken pipe"));
            jul.fine("below the level");
        } finally {
            System.setErr(original);
        }

        // slf4j-simple's format (in the tests: thread, level, logger name), not JUL's "SEVERE: ..." two-liner.
        assertThat(captured.toString(StandardCharsets.UTF_8))
                .contains("ERROR io.aegis.cli.test.jul - the scraper hung up")
                .doesNotContain("SEVERE", "below the level");
    }
}
