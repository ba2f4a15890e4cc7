package io.aegis.testkit;

/**
 * A plugin broke one of the rules of its interface. The message names the rule ({@code [returns-without-blocking]
 * ...}), says what the plugin did, and then what the rule asks.
 */
public final class ContractViolation extends AssertionError {
    private static final long serialVersionUID = 1L;

    private final transient ContractRule rule;

    /**
     * A violation of {@code rule}; {@code whatHappened} says what the plugin did, in a sentence.
     *
     * @param rule the rule broken; its id starts the message and its text ends it
     * @param whatHappened what the plugin did, in a sentence, such as {@code "deliver() took 900 ms to return its
     *     stage"}
     */
    public ContractViolation(ContractRule rule, String whatHappened) {
        super("[" + rule.id() + "] " + whatHappened + "\n  rule: " + rule.text());
        this.rule = rule;
    }

    /**
     * A violation of {@code rule}, caused by what the plugin threw.
     *
     * @param rule the rule broken; its id starts the message and its text ends it
     * @param whatHappened what the plugin did, in a sentence
     * @param cause what the plugin threw, or what its stage completed exceptionally with; the violation's cause
     */
    public ContractViolation(ContractRule rule, String whatHappened, Throwable cause) {
        this(rule, whatHappened);
        initCause(cause);
    }

    /** {@return the rule broken} */
    public ContractRule rule() {
        return rule;
    }

    static void check(boolean holds, ContractRule rule, String whatHappened) {
        if (!holds) {
            throw new ContractViolation(rule, whatHappened);
        }
    }
}
