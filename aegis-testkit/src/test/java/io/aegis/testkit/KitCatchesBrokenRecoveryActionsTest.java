package io.aegis.testkit;

import static io.aegis.testkit.ContractRuns.failures;
import static io.aegis.testkit.ContractRuns.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.Settings;
import io.aegis.testkit.sample.SampleRestartFactory;
import io.aegis.testkit.sample.SampleRestartFactory.Fault;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.Events;

/**
 * The recovery action contract against a sample action that keeps every rule, and against the same action with one
 * deliberate break each: the kit must pass the first and fail exactly the rule broken, saying which.
 */
class KitCatchesBrokenRecoveryActionsTest {

    @Test
    void anActionThatKeepsEveryRulePassesEveryTest() {
        Events tests = run(Sound.class);

        assertThat(failures(tests)).isEmpty();
        assertThat(tests.succeeded().count()).isEqualTo(5);
    }

    @Test
    void aRuntimeCallAfterTheStageCompletedIsNamed() {
        Map<String, String> failed = failures(run(CallsAfterCompletion.class));

        // Every test that runs the action with a runtime; the one without a runtime has nothing to call.
        assertThat(failed).containsOnlyKeys("anExecutionEndsInAnOutcomeAndUsesOnlyTheOperationsItDeclares",
                "aRuntimeThatFailsEndsInAnOutcome");
        assertThat(failed.get("anExecutionEndsInAnOutcomeAndUsesOnlyTheOperationsItDeclares")).startsWith(
                "[no-calls-after-completion] the action called [ROLLBACK] after its stage had completed (with"
                        + " SUCCEEDED)");
        assertThat(failed.get("aRuntimeThatFailsEndsInAnOutcome")).startsWith(
                "[no-calls-after-completion] the action called [ROLLBACK] after its stage had completed (with"
                        + " FAILED)");
    }

    /** The sample action's contract test, as its author writes it; subclasses only change the fault. */
    abstract static class SampleContract extends RecoveryActionContract {
        abstract Fault fault();

        @Override
        protected RecoveryActionFactory factory() {
            return new SampleRestartFactory(fault());
        }

        @Override
        protected Settings settings() {
            return Settings.empty("services[0].actions.sample-restart");
        }
    }

    static class Sound extends SampleContract {
        @Override
        Fault fault() {
            return Fault.NONE;
        }
    }

    static class CallsAfterCompletion extends SampleContract {
        @Override
        Fault fault() {
            return Fault.CALLS_AFTER_COMPLETION;
        }
    }
}
