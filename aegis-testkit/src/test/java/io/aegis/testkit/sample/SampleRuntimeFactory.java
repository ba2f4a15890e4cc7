package io.aegis.testkit.sample;

import io.aegis.api.ConfigException;
import io.aegis.api.RuntimeAdapter;
import io.aegis.api.RuntimeAdapterFactory;
import io.aegis.api.RuntimeSpec;
import io.aegis.api.WorkloadStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Type {@code sample-process}: a plain runtime as an author would write one (a child process per service, started
 * and stopped on the spec's blocking executor), which keeps every rule; and the same runtime with one {@link Fault}
 * each, to show that the kit catches it and names the rule.
 */
public class SampleRuntimeFactory implements RuntimeAdapterFactory {
    /** One deliberate break of the contract. */
    public enum Fault {
        NONE,
        /** start() throws when it cannot launch, instead of failing its stage (here: always). */
        THROWS_FROM_START,
        /** close() runs {@code sh -c 'sleep 60 &'}: the shell ends at once, its {@code sleep} is orphaned. */
        ORPHANS_A_GRANDCHILD
    }

    private final Fault fault;
    private final List<Long> orphaned = new ArrayList<>();

    /** The runtime that keeps every rule (what ServiceLoader makes). */
    public SampleRuntimeFactory() {
        this(Fault.NONE);
    }

    /** The runtime with {@code fault}. */
    public SampleRuntimeFactory(Fault fault) {
        this.fault = fault;
    }

    /** {@return the pids of the processes the faulty close() orphaned, for the test to end them} */
    public synchronized List<Long> orphaned() {
        return List.copyOf(orphaned);
    }

    @Override
    public String type() {
        return "sample-process";
    }

    @Override
    public RuntimeAdapter create(RuntimeSpec spec) {
        List<String> command = spec.settings().stringList("command");
        if (command.isEmpty()) {
            throw new ConfigException(spec.settings().keyPath("command"), "expected a command, such as [sleep, 600]");
        }
        return new SampleRuntime(spec, command);
    }

    private final class SampleRuntime implements RuntimeAdapter {
        private final RuntimeSpec spec;
        private final List<String> command;
        private Process process; // guarded by this
        private Process stopping; // guarded by this: its exit is ours, not the listener's

        SampleRuntime(RuntimeSpec spec, List<String> command) {
            this.spec = spec;
            this.command = command;
        }

        @Override
        public CompletionStage<Void> start() {
            if (fault == Fault.THROWS_FROM_START) {
                throw new IllegalStateException("the sample runtime throws from start()");
            }
            return CompletableFuture.runAsync(this::launch, spec.blockingExecutor());
        }

        private synchronized void launch() {
            if (process != null && process.isAlive()) {
                return;
            }
            try {
                Process started = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                process = started;
                started.onExit().thenAccept(this::exited);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot run " + command, e);
            }
        }

        private void exited(Process ended) {
            synchronized (this) {
                if (ended == stopping) {
                    return;
                }
            }
            spec.listener().workloadExited(WorkloadStatus.exited(ended.pid(), ended.exitValue()));
        }

        @Override
        public CompletionStage<Void> stop() {
            return CompletableFuture.runAsync(this::end, spec.blockingExecutor());
        }

        private void end() {
            Process ending;
            synchronized (this) {
                if (process == null) {
                    return;
                }
                ending = process;
                stopping = ending;
            }
            ending.destroy();
            try {
                if (!ending.waitFor(5, TimeUnit.SECONDS)) {
                    ending.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                ending.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public synchronized CompletionStage<WorkloadStatus> status() {
            if (process == null) {
                return CompletableFuture.completedFuture(WorkloadStatus.stopped());
            }
            return CompletableFuture.completedFuture(process.isAlive() ? WorkloadStatus.running(process.pid())
                    : WorkloadStatus.exited(process.pid(), process.exitValue()));
        }

        @Override
        public void close() {
            end();
            if (fault == Fault.ORPHANS_A_GRANDCHILD) {
                orphanASleep();
            }
        }

        private void orphanASleep() {
            try {
                Process shell = new ProcessBuilder("sh", "-c", "sleep 60 </dev/null >/dev/null 2>&1 & echo $!")
                        .redirectErrorStream(true).start();
                try (BufferedReader out = new BufferedReader(new InputStreamReader(shell.getInputStream(),
                        StandardCharsets.US_ASCII))) {
                    String pid = out.readLine();
                    synchronized (SampleRuntimeFactory.this) {
                        orphaned.add(Long.parseLong(pid.trim()));
                    }
                }
                shell.waitFor();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
