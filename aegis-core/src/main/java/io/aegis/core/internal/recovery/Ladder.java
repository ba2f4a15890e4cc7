package io.aegis.core.internal.recovery;

import io.aegis.api.RecoveryAction;
import java.util.List;
import java.util.Objects;

/**
 * A service's recovery ladder, built once from {@code actions.onFailure}: the actions tried in turn. Immutable
 * policy (like resilience4j's {@code Config}); what one incident has tried so far lives in the coordinator's
 * {@code Incident} (like java-operator-sdk's {@code RetryExecution}).
 */
public final class Ladder {

    /** How a step behaves in the ladder. */
    public enum Kind {
        /**
         * Acts on the workload and may repeat, with backoff and within the budget: {@code restart}, and any plugin
         * action that requires a runtime. Up to {@code restart.attempts} times per incident before the ladder
         * moves on; as the last step, until the budget is spent (then FAILED).
         */
        REPEAT,
        /** Acts on the workload once per incident: {@code rollback}. */
        ONCE,
        /** Takes the workload out of traffic and ends automatic recovery: {@code isolate}. */
        ISOLATE,
        /**
         * Changes nothing in the service ({@code notify}, {@code ignore}): runs, then the ladder moves on at once;
         * as the only step, it runs again on every new failure (as before ladders existed).
         */
        NOTICE
    }

    /** One step: its name in {@code onFailure}, the action created for the service, and its kind. */
    public record Step(String name, RecoveryAction action, Kind kind) {
        /** Validates the values. */
        public Step {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(kind, "kind");
        }

        /** Whether the step acts on the workload (it then needs a fleet-wide permit and is verified). */
        public boolean actsOnWorkload() {
            return kind != Kind.NOTICE;
        }
    }

    private final List<Step> steps;

    /** A ladder of at least one step. */
    public Ladder(List<Step> steps) {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a ladder has at least one step");
        }
        this.steps = List.copyOf(steps);
    }

    /** The kind of the step named {@code name}, for an action that does or does not require a runtime. */
    public static Kind kindOf(String name, boolean requiresRuntime) {
        if (IsolateActionFactory.NAME.equals(name)) {
            return Kind.ISOLATE;
        }
        if (RollbackActionFactory.NAME.equals(name)) {
            return Kind.ONCE;
        }
        return requiresRuntime ? Kind.REPEAT : Kind.NOTICE;
    }

    /** The step at {@code index}, from 0. */
    public Step step(int index) {
        return steps.get(index);
    }

    /** Whether {@code index} is the last step. */
    public boolean isLast(int index) {
        return index >= steps.size() - 1;
    }

    /** The number of steps. */
    public int size() {
        return steps.size();
    }

    /** The steps' names, in order, for messages. */
    public List<String> names() {
        return steps.stream().map(Step::name).toList();
    }

    @Override
    public String toString() {
        return names().toString();
    }
}
