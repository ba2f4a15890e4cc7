package io.aegis.testkit;

import static io.aegis.testkit.ContractRuns.failures;
import static io.aegis.testkit.ContractRuns.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.LogSourceFactory;
import io.aegis.api.Settings;
import io.aegis.testkit.sample.SampleLogSourceFactory;
import io.aegis.testkit.sample.SampleLogSourceFactory.Fault;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.Events;

/**
 * The log source contract against a sample source that keeps every rule, and against the same source with one
 * deliberate break each: the kit must pass the first and fail exactly the rule broken, saying which.
 */
class KitCatchesBrokenLogSourcesTest {

    @Test
    void aSourceThatKeepsEveryRulePassesEveryTest() {
        Events tests = run(Sound.class);

        assertThat(failures(tests)).isEmpty();
        assertThat(tests.succeeded().count()).isEqualTo(5);
    }

    @Test
    void linesOutOfOrderAreNamed() {
        Map<String, String> failed = failures(run(NewestFirst.class));

        assertThat(failed).containsOnlyKeys("linesArriveOnceInOrderAndNoneAfterClose");
        // The two lines written before start() come in the same look at the file, newest first; the others come
        // in that look too or in a later one.
        assertThat(failed.get("linesArriveOnceInOrderAndNoneAfterClose"))
                .startsWith("[lines-once-in-order] the source delivered [").contains("before start 2, before start 1");
    }

    @Test
    void aStartThatBlocksItsCallerIsNamed() {
        Map<String, String> failed = failures(run(BlocksInStart.class));

        assertThat(failed).containsOnlyKeys("linesArriveOnceInOrderAndNoneAfterClose");
        assertThat(failed.get("linesArriveOnceInOrderAndNoneAfterClose"))
                .startsWith("[returns-without-blocking] start() took ").contains("(the budget is 500 ms)");
    }

    @Test
    void aReaderThreadLeftByCloseIsNamed() {
        Map<String, String> failed = failures(run(LeaksItsThread.class));

        assertThat(failed).containsOnlyKeys("closeLeavesNoThreadOrProcess");
        assertThat(failed.get("closeLeavesNoThreadOrProcess")).startsWith("[close-releases-everything]")
                .containsPattern("thread \"sample-log-reader-\\d+\" \\(daemon\\)");
    }

    /** The sample source's contract test, as its author writes it; subclasses only change the fault. */
    abstract static class SampleContract extends LogSourceContract {
        abstract Fault fault();

        @Override
        protected LogSourceFactory factory() {
            return new SampleLogSourceFactory(fault());
        }

        @Override
        protected Input input(Path dir) {
            Path file = dir.resolve("app.log");
            return new Input(Settings.of("logs.files[0]", Map.of("path", file.toString())),
                    line -> Files.writeString(file, line + "\n", StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND));
        }

        @Override
        protected List<Misconfiguration<Settings>> misconfigurations() {
            return List.of(Misconfiguration.at("logs.files[0].path", Settings.of("logs.files[0]",
                    Map.of("path", ""))));
        }

        @Override
        protected Duration patience() {
            return Duration.ofSeconds(2); // a local file looked at every 50 ms: keeps this test short
        }
    }

    static class Sound extends SampleContract {
        @Override
        Fault fault() {
            return Fault.NONE;
        }
    }

    static class NewestFirst extends SampleContract {
        @Override
        Fault fault() {
            return Fault.NEWEST_FIRST;
        }
    }

    static class BlocksInStart extends SampleContract {
        @Override
        Fault fault() {
            return Fault.BLOCKS_IN_START;
        }
    }

    static class LeaksItsThread extends SampleContract {
        @Override
        Fault fault() {
            return Fault.LEAKS_ITS_THREAD;
        }
    }
}
