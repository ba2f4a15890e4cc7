package io.aegis.runtimes.process;

import java.nio.file.FileSystemException;
import java.util.Locale;

/** File errors as the runtime's log lines say them. */
final class IoErrors {
    private IoErrors() {
    }

    /**
     * {@code <file>: <reason>} for a file system error, where the JDK's own message of one without a reason is the
     * file alone ({@code DirectoryNotEmptyException}, {@code NoSuchFileException}...): its kind is said instead.
     */
    static String describe(Exception e) {
        if (e instanceof FileSystemException failure) {
            String reason = failure.getReason() != null ? failure.getReason()
                    : failure.getClass().getSimpleName().replace("Exception", "")
                            .replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
            return failure.getFile() + ": " + reason;
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
