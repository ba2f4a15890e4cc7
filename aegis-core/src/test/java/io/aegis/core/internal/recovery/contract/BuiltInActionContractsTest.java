package io.aegis.core.internal.recovery.contract;

import io.aegis.api.RecoveryActionFactory;
import io.aegis.api.Settings;
import io.aegis.core.internal.recovery.IgnoreActionFactory;
import io.aegis.core.internal.recovery.IsolateActionFactory;
import io.aegis.core.internal.recovery.NotifyActionFactory;
import io.aegis.core.internal.recovery.RestartActionFactory;
import io.aegis.core.internal.recovery.RollbackActionFactory;
import io.aegis.testkit.RecoveryActionContract;
import org.junit.jupiter.api.Nested;

/** The five built-in recovery steps against the SPI's rules, as the kit checks a third-party action. */
class BuiltInActionContractsTest {
    /** A built-in step's contract: the steps take no settings of their own. */
    abstract static class BuiltInStep extends RecoveryActionContract {
        @Override
        protected Settings settings() {
            return Settings.empty("services[0].actions." + factory().name());
        }
    }

    @Nested
    class Restart extends BuiltInStep {
        @Override
        protected RecoveryActionFactory factory() {
            return new RestartActionFactory();
        }
    }

    @Nested
    class Rollback extends BuiltInStep {
        @Override
        protected RecoveryActionFactory factory() {
            return new RollbackActionFactory();
        }
    }

    @Nested
    class Isolate extends BuiltInStep {
        @Override
        protected RecoveryActionFactory factory() {
            return new IsolateActionFactory();
        }
    }

    @Nested
    class Notify extends BuiltInStep {
        @Override
        protected RecoveryActionFactory factory() {
            return new NotifyActionFactory();
        }
    }

    @Nested
    class Ignore extends BuiltInStep {
        @Override
        protected RecoveryActionFactory factory() {
            return new IgnoreActionFactory();
        }
    }
}
