package io.aegis.runtimes.process;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeSpec;
import java.util.Optional;

/**
 * The {@code process} runtime: runs a service as a child process of the engine, sees it exit the moment it
 * does, and stops it with SIGTERM, then SIGKILL after a grace period, descendants included.
 *
 * <pre>{@code
 * runtime:
 *   type: process
 *   command: [java, -jar, app.jar]   # required; a list runs without a shell
 *   args: [--port, "8080"]           # optional, appended to command
 *   env: {JAVA_OPTS: -Xmx256m}       # optional, added to the engine's environment
 *   workingDir: /srv/app             # optional, must exist; default: the engine's working directory
 *   logFile: /var/log/app.log        # optional; default: <java.io.tmpdir>/aegis-<service>.log
 *   stopGracePeriod: 10s             # optional; time between SIGTERM and SIGKILL, default 10s
 *   shell: false                     # optional; true runs a string command with /bin/sh -c
 * }</pre>
 *
 * <ul>
 *   <li>{@code command} is a list of words, or one string split on whitespace with {@code '...'} and
 *       {@code "..."} quoting. Neither form involves a shell, so {@code $VAR}, {@code |} and {@code >} are
 *       passed on literally; with {@code shell: true} a string command is run as {@code /bin/sh -c <command>}
 *       and the {@code args} are appended to it, each quoted as one word. {@code shell: true} with a list is an
 *       error.</li>
 *   <li>{@code workingDir} and {@code logFile} may be relative: to the engine's working directory.</li>
 *   <li>stdout and stderr are both appended to {@code logFile} by the operating system; standard input is
 *       empty.</li>
 * </ul>
 *
 * <p>Settings are validated in {@link #create} and every invalid key is reported at once, by key path: the
 * program must exist and be executable (found on the {@code PATH} when it has no {@code /}, else relative to
 * {@code workingDir}), and a command string with shell syntax ({@code &&}, {@code |}, {@code >} ...) needs
 * {@code shell: true}. Nothing is started until the engine calls {@code start}.
 */
public final class ProcessRuntimeFactory implements RuntimeAdapterFactory {

    /** The {@code runtime.type:} this factory serves. */
    public static final String TYPE = "process";

    /** Needed by {@link java.util.ServiceLoader}. */
    public ProcessRuntimeFactory() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public RuntimeAdapter create(RuntimeSpec spec) {
        ProcessRuntimeSettings settings = ProcessRuntimeSettings.from(spec.serviceName(), spec.settings(),
                Optional.ofNullable(System.getenv("PATH")).orElse(""));
        return new ProcessRuntime(spec.serviceName(), settings, spec.listener(), spec.blockingExecutor());
    }
}
