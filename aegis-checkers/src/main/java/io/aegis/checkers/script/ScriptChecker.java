package io.aegis.checkers.script;

import io.aegis.api.CheckContext;
import io.aegis.api.CheckResult;
import io.aegis.api.CheckerSpec;
import io.aegis.api.HealthChecker;
import io.aegis.plugin.support.ProcFs;
import io.aegis.plugin.support.ProcessTree;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/** Checks one service by running a script; never blocks the caller. */
final class ScriptChecker implements HealthChecker {
    private final ScriptCheckConfig config;
    private final List<String> command;
    private final boolean ownSession;
    private final Map<String, String> environment;
    private final ScheduledExecutorService timer;
    private final Executor killer;
    private final Executor blockingExecutor;
    private final Set<ScriptRun> running;
    private final Set<ScriptRun> runningInFactory;

    /**
     * @param killer the factory's threads that kill scripts at their deadlines
     * @param setsid the {@code setsid} executable that starts the script in a session of its own, or null
     * @param runningInFactory the factory's runs, so that closing it kills what is still running
     */
    ScriptChecker(ScriptCheckConfig config, CheckerSpec spec, String setsid, ScheduledExecutorService timer,
            Executor killer, Set<ScriptRun> runningInFactory) {
        this.config = config;
        this.command = setsid == null ? config.command() : prepend(setsid, config.command());
        this.ownSession = setsid != null;
        this.environment = Map.of("AEGIS_SERVICE", spec.serviceName(), "AEGIS_ENDPOINT", spec.endpoint());
        this.timer = timer;
        this.killer = killer;
        this.blockingExecutor = spec.blockingExecutor();
        this.running = ConcurrentHashMap.newKeySet();
        this.runningInFactory = runningInFactory;
    }

    @Override
    public CompletionStage<CheckResult> check(CheckContext context) {
        ScriptRun run = new ScriptRun(this, context.timeout(), timer, killer);
        running.add(run);
        runningInFactory.add(run);
        return run.start(blockingExecutor);
    }

    /** A run holds a thread while it starts the script and reads its output: the engine limits how many run. */
    @Override
    public boolean blocking() {
        return true;
    }

    @Override
    public void close() {
        for (ScriptRun run : List.copyOf(running)) {
            run.abort("the script checker closed");
        }
    }

    ScriptCheckConfig config() {
        return config;
    }

    /** Whether scripts start in a session of their own, so that {@link #tree} can find all they start. */
    boolean ownSession() {
        return ownSession;
    }

    /**
     * A run's script and what it started: its descendants and, where it leads its own session, that session,
     * which also holds what was orphaned.
     */
    ProcessTree tree(Process script) {
        return ownSession ? ProcessTree.of(script, () -> ProcFs.sessionMembers(script.pid())) : ProcessTree.of(script);
    }

    /** What a script that exited left running in its session (it was started with {@code setsid}). */
    static ProcessTree leftovers(long sessionId) {
        return ProcessTree.leftovers(() -> ProcFs.sessionMembers(sessionId));
    }

    /** A builder for one run: a fresh one each time, since its environment map is mutable. */
    ProcessBuilder processBuilder() {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        return builder;
    }

    /** Called once by a run when it has its verdict. */
    void finished(ScriptRun run) {
        running.remove(run);
        runningInFactory.remove(run);
    }

    private static List<String> prepend(String first, List<String> rest) {
        String[] words = new String[rest.size() + 1];
        words[0] = first;
        for (int i = 0; i < rest.size(); i++) {
            words[i + 1] = rest.get(i);
        }
        return List.of(words);
    }
}
