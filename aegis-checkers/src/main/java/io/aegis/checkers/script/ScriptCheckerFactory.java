package io.aegis.checkers.script;

import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.api.HealthCheckerFactory;
import io.aegis.plugin.support.DaemonThreadFactory;
import io.aegis.plugin.support.ProcFs;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Creates {@code type: script} checkers, which run a script and judge its exit code the way Nagios plugins
 * are judged.
 *
 * <p>The service's configuration block is read for these keys:
 * <pre>{@code
 * endpoint: /etc/aegis/check_queue.sh   # required: the script; relative paths start at the working directory
 * timeout: 10s                          # the script and all it started are killed after this
 * metadata:
 *   shell: bash                         # optional: sh, bash, pwsh or powershell (either finds PowerShell 7,
 *                                       #   installed as pwsh on Linux); without it the script is executed
 *                                       #   directly and must be executable (chmod +x, with a #! line)
 *   args: '-Service "Example Service"'  # optional: split into arguments like a shell would (quotes,
 *                                       #   backslashes), but never run through a shell: no $VAR, no globs
 * }</pre>
 *
 * <p>Exit codes: 0 HEALTHY, 1 DEGRADED, 2 UNHEALTHY, 3 UNKNOWN without a verdict (the plugin could not tell),
 * anything else UNKNOWN counted as a failure (the script crashed); see {@link ScriptRun#resultOf}. The
 * message is the first line of output (stdout and stderr merged, at most 4 KiB kept). A script that does
 * not finish within the timeout is killed with every process it started, and the result is UNHEALTHY with
 * reason TIMEOUT. The script gets {@code AEGIS_SERVICE} (the service's name) and {@code AEGIS_ENDPOINT}
 * (the endpoint as configured) in its environment, on top of the engine's own, and end-of-file on stdin.
 *
 * <p>Starting a script and reading its output block, so they run on the engine's pool for blocking work;
 * every wait in between is asynchronous. The factory's timer thread enforces the timeouts and two more
 * threads kill what overran them; they are started with the first checker and stopped by {@link #close()},
 * which also kills the scripts still running.
 */
public final class ScriptCheckerFactory implements HealthCheckerFactory {
    /** The {@code type:} this factory serves. */
    public static final String TYPE = "script";

    private static final int KILLER_THREADS = 2;

    private final String searchPath;
    private final String setsid;
    private final Set<ScriptRun> running = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    private ScheduledThreadPoolExecutor timer;
    private ThreadPoolExecutor killer;
    private boolean closed;

    /** Creates the factory; it finds shells on this process's {@code PATH} and starts no thread yet. */
    public ScriptCheckerFactory() {
        this(System.getenv("PATH"), true);
    }

    /**
     * For tests: looks for shells on {@code searchPath}, and starts scripts in sessions of their own only if
     * {@code ownSessions} (and {@code setsid} exists).
     */
    ScriptCheckerFactory(String searchPath, boolean ownSessions) {
        this.searchPath = searchPath;
        this.setsid = ownSessions ? findSetsid(searchPath) : null;
    }

    /** Whether scripts start in sessions of their own here: for tests that need it. */
    boolean startsSessions() {
        return setsid != null;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public HealthChecker create(CheckerSpec spec) {
        ScriptCheckConfig config = ScriptCheckConfig.from(spec, searchPath);
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the script checker factory is closed");
            }
            if (timer == null) {
                timer = new ScheduledThreadPoolExecutor(1, new DaemonThreadFactory("aegis-script-timer"));
                // a script that finishes early cancels its deadline; without this the queue would keep it
                timer.setRemoveOnCancelPolicy(true);
                killer = new ThreadPoolExecutor(KILLER_THREADS, KILLER_THREADS, 30, TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(), new DaemonThreadFactory("aegis-script-killer"));
                // idle most of the time: only hung scripts need it
                killer.allowCoreThreadTimeOut(true);
            }
            return new ScriptChecker(config, spec, setsid, timer, killer, running);
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (timer != null) {
                timer.shutdownNow();
                killer.shutdown();
            }
        }
        for (ScriptRun run : List.copyOf(running)) {
            run.abort("the script checker closed");
        }
    }

    /**
     * {@code setsid} (util-linux) puts the script in a session of its own, which is how {@link ScriptChecker#tree}
     * finds every process it started even after they were orphaned. Only where /proc can tell sessions apart.
     */
    private static String findSetsid(String searchPath) {
        if (!ProcFs.available()) {
            return null;
        }
        return Shell.onPath("setsid", searchPath).map(Path::toString)
                .or(() -> Shell.onPath("setsid", "/usr/bin:/bin:/usr/sbin:/sbin").map(Path::toString))
                .orElse(null);
    }
}
