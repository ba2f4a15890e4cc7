package io.aegis.api;

import java.util.Objects;

/**
 * What a {@link RecoveryAction} achieved.
 *
 * @param result whether it did its job
 * @param message a short sentence for logs and events
 */
public record ActionOutcome(Result result, String message) {

    /** The kinds of outcome. */
    public enum Result {
        /** The action did what it should (the service may still need to prove it is healthy). */
        SUCCEEDED,
        /** The action was attempted and failed. */
        FAILED,
        /** The action decided there was nothing to do. */
        SKIPPED
    }

    /**
     * Validates the values.
     *
     * @param result whether it did its job
     * @param message a short sentence for logs and events
     */
    public ActionOutcome {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(message, "message");
    }

    /**
     * The action did its job.
     *
     * @param message a short sentence for logs and events
     * @return a successful outcome
     */
    public static ActionOutcome succeeded(String message) {
        return new ActionOutcome(Result.SUCCEEDED, message);
    }

    /**
     * The action failed.
     *
     * @param message a short sentence for logs and events
     * @return a failed outcome
     */
    public static ActionOutcome failed(String message) {
        return new ActionOutcome(Result.FAILED, message);
    }

    /**
     * The action had nothing to do.
     *
     * @param message a short sentence for logs and events
     * @return an outcome that changed nothing
     */
    public static ActionOutcome skipped(String message) {
        return new ActionOutcome(Result.SKIPPED, message);
    }
}
