package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogLevelTest {

    @Test
    void parsesEveryLevelInAnyCase() {
        assertThat(LogLevel.parse("debug")).contains(LogLevel.DEBUG);
        assertThat(LogLevel.parse("DEBUG")).contains(LogLevel.DEBUG);
        assertThat(LogLevel.parse(" Trace ")).contains(LogLevel.TRACE);
        assertThat(LogLevel.parse("warning")).contains(LogLevel.WARN);
    }

    @Test
    void rejectsAnUnknownLevel() {
        assertThat(LogLevel.parse("loud")).isEmpty();
        assertThat(LogLevel.parse(null)).isEmpty();
    }

    @Test
    void unknownLevelFromTheConfigFallsBackToInfo() {
        assertThat(LogLevel.fromConfig("loud")).isEqualTo(LogLevel.INFO);
        assertThat(LogLevel.fromConfig("error")).isEqualTo(LogLevel.ERROR);
    }

    @Test
    void namesAreTheLowerCaseSlf4jNames() {
        assertThat(LogLevel.names()).isEqualTo("trace, debug, info, warn, error");
        assertThat(LogLevel.WARN.lowerCase()).isEqualTo("warn");
    }
}
