package io.aegis.testkit;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Map;
import java.util.TreeMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/** Runs a contract class through the JUnit Platform's own test kit, as surefire would run it in an author's build. */
final class ContractRuns {
    private ContractRuns() {
    }

    static Events run(Class<?> contract) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(contract)).execute().testEvents();
    }

    /** Failed test method name → its failure's message. */
    static Map<String, String> failures(Events tests) {
        Map<String, String> failed = new TreeMap<>();
        for (Event event : tests.failed().list()) {
            Throwable failure = event.getPayload(TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
            failed.put(event.getTestDescriptor().getLegacyReportingName().replace("()", ""),
                    String.valueOf(failure.getMessage()));
        }
        return failed;
    }
}
