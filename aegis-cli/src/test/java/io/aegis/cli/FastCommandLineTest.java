package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * {@link FastCommandLine} against picocli's parse of the same arguments: whatever the fast path reads, picocli
 * reads identically and accepts; everything else the fast path leaves to picocli.
 */
class FastCommandLineTest {

    private static final List<String> VALUES = List.of("x.yaml", "dir/with space.yaml", "a=b.yaml", "/abs/p.yml",
            "info", "WARN", "debug", "loud", "0", "9090", "65535", "65536", "-1", "010", "0x10", "+80", "99999999999",
            "", "-", "--validate", "--config", "@args.txt", "\"q.yaml\"", "'q.yaml'", "--", "plugins", "-h", "7e2");
    private static final List<String> NAMES = List.of("--config", "--log-level", "--metrics-port", "--plugin-dir",
            "--validate", "--help", "-h", "--version", "-V", "--confgi", "--CONFIG", "--config:", "-config", "--",
            "status", "restart");

    @Test
    void readsThePlainStartsWithoutPicocli() {
        assertThat(FastCommandLine.parse()).isNotNull();
        assertThat(FastCommandLine.parse("--config=aegis.yaml")).isNotNull();
        assertThat(FastCommandLine.parse("--config", "aegis.yaml")).isNotNull();
        assertThat(FastCommandLine.parse("--config=a.yaml", "--log-level=debug", "--metrics-port=0",
                "--plugin-dir=p", "--plugin-dir", "q")).isNotNull();
        assertThat(FastCommandLine.parse("--log-level", "warn", "--metrics-port", "9100", "--config", "a.yaml"))
                .isNotNull();
    }

    @Test
    void leavesHelpVersionValidateAndEveryErrorToPicocli() {
        assertThat(FastCommandLine.parse("--help")).isNull();
        assertThat(FastCommandLine.parse("--version")).isNull();
        assertThat(FastCommandLine.parse("--config=a.yaml", "--validate")).isNull();
        assertThat(FastCommandLine.parse("--confgi=x.yaml")).isNull();
        assertThat(FastCommandLine.parse("--config")).isNull();
        assertThat(FastCommandLine.parse("--config=a", "--config=b")).isNull();
        assertThat(FastCommandLine.parse("--log-level=loud")).isNull();
        assertThat(FastCommandLine.parse("--metrics-port=65536")).isNull();
        assertThat(FastCommandLine.parse("@args.txt")).isNull();
    }

    @Test
    void agreesWithPicocliOnEveryOptionAndValue() {
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[0]);
        for (String name : NAMES) {
            cases.add(new String[] {name});
            for (String value : VALUES) {
                cases.add(new String[] {name + "=" + value});
                cases.add(new String[] {name, value});
                // each option beside another, in both orders and both forms, and repeated
                for (String other : List.of("--config=c.yaml", "--log-level=info", "--metrics-port=0",
                        "--plugin-dir=p", "--validate")) {
                    cases.add(new String[] {other, name + "=" + value});
                    cases.add(new String[] {name, value, other});
                }
            }
        }
        int fast = 0;
        for (String[] args : cases) {
            fast += agree(args) ? 1 : 0;
        }
        assertThat(fast).as("command lines read without picocli").isGreaterThan(100);
    }

    /**
     * One picocli model for every case: building it (with the subcommands) takes milliseconds, thousands of times
     * over; picocli puts every option back to its initial value before each parse.
     */
    private static final AegisCommand PICOCLI = new AegisCommand();
    private static final CommandLine PICOCLI_LINE = new CommandLine(PICOCLI);

    /** Asserts the fast path and picocli agree on {@code args}; true when the fast path read them. */
    private static boolean agree(String... args) {
        AegisCommand fast = FastCommandLine.parse(args);
        AegisCommand picocli = PICOCLI;
        Optional<ParseResult> parsed;
        try {
            parsed = Optional.of(PICOCLI_LINE.parseArgs(args));
        } catch (ParameterException e) {
            parsed = Optional.empty();
        }
        String what = String.join(" ", args);
        if (fast == null) {
            return false; // picocli parses it, as before
        }
        assertThat(parsed).as("picocli accepts what the fast path read: %s", what).isPresent();
        assertThat(parsed.orElseThrow().isUsageHelpRequested() || parsed.orElseThrow().isVersionHelpRequested())
                .as("help or version: %s", what).isFalse();
        assertThat(fast.configFile).as("--config of %s", what).isEqualTo(picocli.configFile);
        assertThat(fast.logLevel).as("--log-level of %s", what).isEqualTo(picocli.logLevel);
        assertThat(fast.metricsPort).as("--metrics-port of %s", what).isEqualTo(picocli.metricsPort);
        assertThat(fast.pluginDirs).as("--plugin-dir of %s", what).isEqualTo(picocli.pluginDirs);
        assertThat(fast.validate).as("--validate of %s", what).isEqualTo(picocli.validate).isFalse();
        // and call() would not reject them with a usage error (picocli prints those, with the usage)
        assertThat(picocli.logLevel == null || LogLevel.parse(picocli.logLevel).isPresent()).as(what).isTrue();
        assertThat(picocli.metricsPort == null || (picocli.metricsPort >= 0 && picocli.metricsPort <= 65535))
                .as(what).isTrue();
        assertThat(fast.configFile).isInstanceOf(Path.class);
        return true;
    }
}
