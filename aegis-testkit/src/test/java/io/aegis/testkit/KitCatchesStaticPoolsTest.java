package io.aegis.testkit;

import static io.aegis.testkit.ContractRuns.failures;
import static io.aegis.testkit.ContractRuns.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.testkit.sample.StaticPoolCheckerFactory;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A pool held in a static field, started by an earlier use of the plugin's class: its thread is there before the
 * leak check looks, so the check sees it only when it loads the factory's class afresh.
 */
class KitCatchesStaticPoolsTest {

    @Test
    void aStaticPoolStartedBeforeTheLeakCheckIsNamed() {
        Map<String, String> failed = failures(run(StaticPool.class));

        assertThat(failed).containsOnlyKeys("closeLeavesNoThreadOrProcess");
        assertThat(failed.get("closeLeavesNoThreadOrProcess")).startsWith("[close-releases-everything]")
                .contains("the factory's classes loaded afresh").containsPattern("thread \"sample-static-pool-\\d+\"");
    }

    /** The sample checker's contract test, after another test of the same build used the checker's class. */
    static class StaticPool extends HealthCheckerContract {
        @BeforeAll
        static void anEarlierTestUsesTheClass() {
            new StaticPoolCheckerFactory().close();
        }

        @Override
        protected HealthCheckerFactory factory() {
            return new StaticPoolCheckerFactory();
        }

        @Override
        protected CheckerSpec.Builder healthyTarget() {
            return CheckerSpec.builder("svc", "sample-static-pool", "/");
        }

        @Override
        protected Duration grace() {
            return Duration.ofMillis(500);
        }
    }
}
