package io.aegis.runtimes.process;

import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeSpec;
import io.aegis.plugin.support.ProcFs;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The {@code process} runtime: runs a service as a child process of the engine, sees it exit the moment it
 * does, and stops it with SIGTERM, then SIGKILL after a grace period, with every process it started. On Linux
 * each service leads a session and process group of its own ({@code setsid}), its processes carry
 * {@code AEGIS_SERVICE_ID} in their environment, and what runs is recorded in the service's state directory so
 * that the next engine replaces what a killed one left (see {@link ProcessRuntime}).
 *
 * <pre>{@code
 * runtime:
 *   type: process
 *   command: [java, -jar, app.jar]   # required; a list runs without a shell
 *   args: [--port, "8080"]           # optional, appended to command
 *   env: {JAVA_OPTS: -Xmx256m}       # optional, added to the engine's environment
 *   workingDir: /srv/app             # optional, must exist; default: the engine's working directory
 *   logFile: /var/log/app.log        # optional; default: output.log in the service's state directory
 *   logMaxSize: 50MB                 # optional; rotate the log file past this size (0: never), default 50MB
 *   logBackups: 10                   # optional; rotated files kept, logFile.1 ... .10 (0: truncate), default 10
 *   stopGracePeriod: 10s             # optional; time between SIGTERM and SIGKILL, default 10s
 *   shell: false                     # optional; true runs a string command with /bin/sh -c
 *   rollback:                        # optional; without it the service cannot be rolled back
 *     command: [java, -jar, app-1.4.jar]  # the previous known-good release; same forms as command
 *     shell: false                   # optional, as above
 *     # or, instead of command, a Capistrano-style layout the service runs through (command or workingDir under
 *     # /srv/app/current): releases: /srv/app   # current -> releases/<id>
 *   isolate:                         # optional; a hook the isolate step runs, the process keeps running
 *     command: [/srv/lb/drain.sh]    # e.g. take the service out of a load balancer
 *     shell: false                   # optional, as above
 *     timeout: 30s                   # optional; the hook is killed and the step fails after it, default 30s
 * }</pre>
 *
 * <ul>
 *   <li>{@code command} is a list of words, or one string split on whitespace with {@code '...'} and
 *       {@code "..."} quoting. Neither form involves a shell, so {@code $VAR}, {@code |} and {@code >} are
 *       passed on literally; with {@code shell: true} a string command is run as {@code /bin/sh -c <command>}
 *       and the {@code args} are appended to it, each quoted as one word. {@code shell: true} with a list is an
 *       error.</li>
 *   <li>{@code workingDir} and {@code logFile} may be relative: to the engine's working directory.</li>
 *   <li>stdout and stderr both go through a pipe to {@code logFile}, which is rotated the supervisord way:
 *       before it would pass {@code logMaxSize} it becomes {@code logFile.1}, {@code .1} becomes {@code .2} and
 *       so on; the oldest beyond {@code logBackups} is dropped. Sizes take KB, MB, GB (powers of 1024, also
 *       written KiB, MiB, GiB) or plain bytes. {@link io.aegis.api.RuntimeAdapter#reopenLogs()} reopens the file
 *       at its path, for an external logrotate. The default file is in the service's private state directory;
 *       a {@code logFile} that is a symbolic link is refused, and links are never followed. Standard input
 *       is empty.</li>
 *   <li>{@code rollback} stops the process as a stop does and starts {@code rollback.command} (with the same
 *       {@code env} and {@code workingDir}; {@code args} are not appended); from then on every restart runs that
 *       release, until aegis is restarted. A second rollback fails: no older release is known.
 *       {@link io.aegis.api.RuntimeAdapter#supportedOperations()} includes {@code ROLLBACK} only when
 *       {@code rollback.command} or {@code rollback.releases} is set, so a ladder with {@code rollback} is refused
 *       at load time otherwise.</li>
 *   <li>{@code rollback.releases: <dir>} names a release layout, {@code <dir>/releases/<id>} and
 *       {@code <dir>/current}, a symbolic link to the running release (see {@link ReleaseLayout}); the service must
 *       run through {@code current}. {@code rollback} then atomically repoints {@code current} to the previous
 *       release (the greatest id below the current one, ids sorted by name like Capistrano's timestamps) and
 *       restarts the service; it rolls back once: a second rollback while {@code current} still points to the
 *       release it rolled back to fails, as does one from the oldest release.</li>
 *   <li>{@code isolate} is always supported: it runs {@code isolate.command}, if set, with the service's
 *       {@code env} plus {@code AEGIS_SERVICE_NAME} and {@code AEGIS_SERVICE_PID} (empty when no process runs),
 *       logs each line it prints, and keeps the service's process running for a person to debug. The hook leads
 *       a session of its own; a non-zero exit fails the step with the exit code and the hook's last line, and a
 *       hook still running after {@code isolate.timeout} is killed with what it started, failing the step.</li>
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

    private static final System.Logger LOG = System.getLogger(ProcessRuntimeFactory.class.getName());
    private static final Optional<String> SETSID = findSetsid();
    // No static initializer choosing the JDK's launch mechanism (LaunchMechanism.preferVfork): it is a property of
    // the whole JVM, an embedding application's own processes included (review R1); the aegis command chooses it
    // first thing in main. The process tests run with the JDK's default (POSIX_SPAWN on 17-24).


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
                spec.stateDirectory(), Optional.ofNullable(System.getenv("PATH")).orElse(""));
        return new ProcessRuntime(spec.serviceName(), settings, spec.listener(), spec.blockingExecutor(),
                spec.stateDirectory(), SETSID.orElse(null));
    }

    /**
     * Stops the processes an earlier aegis started for a service that is gone from the configuration (found by
     * its record, its session and its marker), with the default grace period, and deletes the record; the
     * folder and the service's old output stay.
     */
    @Override
    public void stopLeftovers(Path serviceDirectory) {
        Optional<ServiceProcessRecord> record;
        try {
            record = ServiceProcessRecord.read(serviceDirectory);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "ignoring {0}: {1}", serviceDirectory, e.getMessage());
            return;
        }
        if (record.isEmpty()) {
            return;
        }
        String formerName = String.valueOf(serviceDirectory.getFileName());
        LeftoverProcesses.stopFormerService(formerName, serviceDirectory, record.get(),
                ProcessRuntimeSettings.DEFAULT_STOP_GRACE_PERIOD);
        try {
            ServiceProcessRecord.deleteIfFor(serviceDirectory, record.get().pid());
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "cannot delete {0}: {1}", serviceDirectory, e.getMessage());
        }
    }

    /**
     * {@code setsid} (util-linux) starts each service in a session and process group of its own, where /proc lets
     * aegis find the whole group again; elsewhere services run in aegis' process group and only their
     * descendants are found.
     */
    private static Optional<String> findSetsid() {
        if (!ProcFs.available()) {
            LOG.log(Level.DEBUG, "no /proc here: services run in the process group of aegis, and stopping a"
                    + " service reaches only its descendants (no session, no search for what it left running)");
            return Optional.empty();
        }
        Optional<String> found = Executables.resolve("setsid", Optional.empty())
                .or(() -> Stream.of("/usr/bin/setsid", "/bin/setsid").map(Path::of).filter(Files::isExecutable)
                        .findFirst())
                .map(Path::toString);
        if (found.isEmpty()) {
            LOG.log(Level.WARNING, "setsid (util-linux) is not installed: services run in the process group of aegis,"
                    + " so a Ctrl-C in its terminal reaches them too; install util-linux to give each its own");
        }
        return found;
    }
}
