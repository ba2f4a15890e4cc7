package io.aegis.testkit;

/**
 * The rules of aegis' plugin interfaces that the contract tests check. A broken rule fails its test with a
 * {@link ContractViolation} whose message starts with the rule's {@link #id()} in brackets, so an author can find
 * it here and in the Javadoc of the interface it comes from.
 */
public enum ContractRule {
    /** A factory's type (or an action's name) is what users write in YAML: lower case, no spaces, not empty. */
    TYPE_IS_A_NAME("type-is-a-name",
            "the factory's type()/name() is what users write in YAML: lower case letters, digits, '-', '_' or '.'"),
    /** The factory is registered for {@link java.util.ServiceLoader}, which is how aegis finds plugins. */
    REGISTERED_FOR_SERVICE_LOADER("registered-for-service-loader",
            "the factory is listed in META-INF/services/<interface> so that ServiceLoader (and aegis) finds it"),
    /** A call that returns a stage returns it at once; blocking work goes to the spec's blocking executor. */
    RETURNS_WITHOUT_BLOCKING("returns-without-blocking",
            "a call that returns a CompletionStage must return it without blocking its caller (the engine's"
                    + " scheduler): do I/O asynchronously, or hand blocking work to the spec's blockingExecutor()"),
    /** Every stage a plugin returns completes, and within its timeout. */
    STAGE_COMPLETES_IN_TIME("stage-completes-in-time",
            "every stage completes, and within its timeout: a stage that never completes holds what it uses for"
                    + " good"),
    /** A check reports the service's failure as a result, not as an exception. */
    FAILURES_ARE_RESULTS("failures-are-results",
            "a check that finds the service down completes normally with a non-passing CheckResult; throwing or"
                    + " completing exceptionally is reported as a plugin error, not as the service's failure"),
    /** A healthy target is reported healthy. */
    HEALTHY_IS_PASSING("healthy-is-passing", "a check of a target that is up and well passes"),
    /** A cancelled stage releases what it holds. */
    CANCELLATION_RELEASES("cancellation-releases",
            "a cancelled stage stops its work and releases what it holds (its connection) at once, not at its"
                    + " timeout"),
    /**
     * {@code close()} leaves no thread and no process behind. The kit looks twice: with the factory {@code factory()}
     * makes, then with one of the same class loaded afresh by a class loader of its own (over the plugin's own jar or
     * classes directory) and made with its public no-argument constructor, so that a pool in a static field, started
     * by an earlier test before the first look, is started within the second and counted.
     */
    CLOSE_RELEASES_EVERYTHING("close-releases-everything",
            "close() (of each plugin object, then of its factory) leaves no thread and no process behind: no child,"
                    + " and no grandchild orphaned when the child that started it ended"),
    /** Bad settings are reported as {@code ConfigException}s naming the key, and nothing is left running. */
    BAD_SETTINGS_NAME_THEIR_KEY("bad-settings-name-their-key",
            "invalid settings make create() throw a ConfigException whose problems name the key path, and leave"
                    + " no thread or child process behind"),
    /** A notifier that could not deliver says so, so that aegis retries instead of dropping the alert. */
    UNDELIVERED_IS_AN_ERROR("undelivered-is-an-error",
            "a delivery that did not reach the receiver completes exceptionally (aegis retries it with backoff);"
                    + " completing normally tells aegis the alert arrived, and it is dropped"),
    /** Runtime operations do what they say, and the status follows. */
    STATUS_FOLLOWS_OPERATIONS("status-follows-operations",
            "after start() completes, status() says RUNNING; after stop() completes, it says STOPPED or EXITED"),
    /** Starting a running workload does nothing. */
    START_IS_IDEMPOTENT("start-is-idempotent",
            "start() of a workload that runs does nothing: the same workload (pid or id) runs afterwards, and no"
                    + " second one"),
    /** A workload that ends on its own, or is killed from outside, is reported to the listener. */
    EXITS_ARE_REPORTED("exits-are-reported",
            "when the workload ends unexpectedly (killed from outside), the adapter tells the spec's WorkloadListener"
                    + " (workloadExited), so that aegis can react without waiting for a failing check"),
    /** An operation a runtime does not list in supportedOperations() fails with UnsupportedOperationException. */
    UNSUPPORTED_OPERATIONS_FAIL("unsupported-operations-fail",
            "an operation missing from supportedOperations() fails its stage with UnsupportedOperationException"),
    /** A runtime operation that fails says so with its stage, not by throwing. */
    FAILURES_ARE_FAILED_STAGES("failures-are-failed-stages",
            "a runtime operation that cannot do its work returns a stage that completes exceptionally, with a message"
                    + " a person can act on; throwing instead reaches the engine's scheduler as a broken plugin, not"
                    + " as a failed operation"),
    /** A log source delivers every line once, in order, and cuts the long ones. */
    LINES_ONCE_IN_ORDER("lines-once-in-order",
            "a log source delivers each line of one origin once and in order, without its terminator, cut to"
                    + " maxLineLength with cut = true when longer, and none after close() returns"),
    /** A recovery action declares the runtime operations it uses. */
    REQUIRED_OPERATIONS_DECLARED("required-operations-declared",
            "a recovery action calls only the runtime operations its factory lists in requiredOperations(), so that"
                    + " aegis can refuse a configuration whose runtime cannot do them"),
    /** A recovery action calls no runtime operation once its stage has completed. */
    NO_CALLS_AFTER_COMPLETION("no-calls-after-completion",
            "a recovery action is done when its stage completes: it calls no runtime operation after that, because"
                    + " the engine has moved on (it checks the service again, or runs the next action) and a late"
                    + " restart or rollback undoes what came next"),
    /** A recovery action reports what happened as an outcome. */
    OUTCOMES_NOT_EXCEPTIONS("outcomes-not-exceptions",
            "execute() reports a failure (no runtime, a runtime that refused) as a FAILED or SKIPPED ActionOutcome,"
                    + " not by throwing or completing exceptionally");

    private final String id;
    private final String text;

    ContractRule(String id, String text) {
        this.id = id;
        this.text = text;
    }

    /** {@return the rule's short name, as printed in brackets at the start of a violation's message} */
    public String id() {
        return id;
    }

    /** {@return the rule in a sentence} */
    public String text() {
        return text;
    }
}
