package io.aegis.testkit;

import static io.aegis.testkit.ContractRuns.failures;
import static io.aegis.testkit.ContractRuns.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.testkit.sample.SampleCheckerFactory;
import io.aegis.testkit.sample.SampleCheckerFactory.Fault;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.platform.testkit.engine.Events;
import org.junit.jupiter.api.Test;

/**
 * The kit against a sample plugin that keeps every rule, and against the same plugin with one deliberate break
 * each: the kit must pass the first and fail exactly the rule broken, saying which. The contract classes run
 * through the JUnit Platform's own test kit, as surefire would run them in an author's build. (They are nested,
 * so surefire does not run them by themselves.)
 */
class KitCatchesBrokenCheckersTest {

    @Test
    void aPluginThatKeepsEveryRulePassesEveryTest() {
        Events tests = run(Sound.class);

        assertThat(failures(tests)).isEmpty();
        assertThat(tests.succeeded().count()).isEqualTo(9);
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void eachBreakFailsItsRuleByName(Fault fault) {
        Map<String, String> failed = failures(run(contractFor(fault)));

        String rule = switch (fault) {
            case BLOCKS_THE_CALLER, CONNECTS_ON_THE_CALLER -> "returns-without-blocking";
            case NEVER_COMPLETES -> "stage-completes-in-time";
            case THROWS_ON_REFUSED -> "failures-are-results";
            case IGNORES_CANCEL -> "cancellation-releases";
            case LEAKS_A_THREAD -> "close-releases-everything";
            case BAD_SETTINGS_WITHOUT_KEY -> "bad-settings-name-their-key";
            case UPPER_CASE_TYPE -> "type-is-a-name";
            case NONE -> throw new AssertionError();
        };
        assertThat(failed).as("the tests %s failed", failed.keySet()).isNotEmpty()
                .allSatisfy((test, message) -> assertThat(message).startsWith("[" + rule + "]"));
    }

    @Test
    void aFactoryMissingFromMetaInfServicesIsNamed() {
        Map<String, String> failed = failures(run(Unregistered.class));

        assertThat(failed).containsOnlyKeys("factoryIsRegisteredForServiceLoader");
        assertThat(failed.get("factoryIsRegisteredForServiceLoader"))
                .startsWith("[registered-for-service-loader] ServiceLoader finds no io.aegis.api.HealthCheckerFactory"
                        + " of class " + UnregisteredFactory.class.getName())
                .contains("META-INF/services/io.aegis.api.HealthCheckerFactory");
    }

    private static Class<?> contractFor(Fault fault) {
        return switch (fault) {
            case BLOCKS_THE_CALLER -> BlocksTheCaller.class;
            case CONNECTS_ON_THE_CALLER -> ConnectsOnTheCaller.class;
            case NEVER_COMPLETES -> NeverCompletes.class;
            case THROWS_ON_REFUSED -> ThrowsOnRefused.class;
            case IGNORES_CANCEL -> IgnoresCancel.class;
            case LEAKS_A_THREAD -> LeaksAThread.class;
            case BAD_SETTINGS_WITHOUT_KEY -> BadSettingsWithoutKey.class;
            case UPPER_CASE_TYPE -> UpperCaseType.class;
            case NONE -> Sound.class;
        };
    }

    /** The sample plugin's contract test, as its author writes it; subclasses only change the fault. */
    abstract static class SampleContract extends HealthCheckerContract {
        private final LoopbackHttpServer server = LoopbackHttpServer.start();

        abstract Fault fault();

        @AfterEach
        void stopServer() {
            server.close();
        }

        @Override
        protected HealthCheckerFactory factory() {
            return new SampleCheckerFactory(fault());
        }

        @Override
        protected java.time.Duration timeout() {
            return java.time.Duration.ofMillis(500);
        }

        @Override
        protected java.time.Duration grace() {
            return java.time.Duration.ofMillis(500); // a loopback sample: keeps this test short
        }

        @Override
        protected CheckerSpec.Builder healthyTarget() {
            return CheckerSpec.builder("svc", "sample-http", server.uri("/health").toString());
        }

        @Override
        protected Optional<CheckerSpec.Builder> targetAt(InetSocketAddress address) {
            return Optional.of(CheckerSpec.builder("svc", "sample-http",
                    "http://127.0.0.1:" + address.getPort() + "/health"));
        }

        @Override
        protected List<Misconfiguration<CheckerSpec.Builder>> misconfigurations() {
            return List.of(Misconfiguration.at("services[0].endpoint",
                    CheckerSpec.builder("svc", "sample-http", "ftp://127.0.0.1/")));
        }
    }

    static class Sound extends SampleContract {
        @Override
        Fault fault() {
            return Fault.NONE;
        }
    }

    static class BlocksTheCaller extends SampleContract {
        @Override
        Fault fault() {
            return Fault.BLOCKS_THE_CALLER;
        }
    }

    static class ConnectsOnTheCaller extends SampleContract {
        @Override
        Fault fault() {
            return Fault.CONNECTS_ON_THE_CALLER;
        }
    }

    static class NeverCompletes extends SampleContract {
        @Override
        Fault fault() {
            return Fault.NEVER_COMPLETES;
        }
    }

    static class ThrowsOnRefused extends SampleContract {
        @Override
        Fault fault() {
            return Fault.THROWS_ON_REFUSED;
        }
    }

    static class IgnoresCancel extends SampleContract {
        @Override
        Fault fault() {
            return Fault.IGNORES_CANCEL;
        }
    }

    static class LeaksAThread extends SampleContract {
        @Override
        Fault fault() {
            return Fault.LEAKS_A_THREAD;
        }
    }

    static class BadSettingsWithoutKey extends SampleContract {
        @Override
        Fault fault() {
            return Fault.BAD_SETTINGS_WITHOUT_KEY;
        }
    }

    static class UpperCaseType extends SampleContract {
        @Override
        Fault fault() {
            return Fault.UPPER_CASE_TYPE;
        }
    }

    /** A factory that works but is not listed in META-INF/services. */
    public static final class UnregisteredFactory extends SampleCheckerFactory {
    }

    static class Unregistered extends SampleContract {
        @Override
        Fault fault() {
            return Fault.NONE;
        }

        @Override
        protected HealthCheckerFactory factory() {
            return new UnregisteredFactory();
        }
    }
}
