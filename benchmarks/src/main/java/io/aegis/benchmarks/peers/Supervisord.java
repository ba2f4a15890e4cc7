package io.aegis.benchmarks.peers;

import io.aegis.benchmarks.DemoService;
import io.aegis.benchmarks.Options;
import io.aegis.benchmarks.Procs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** supervisord ({@code autorestart=true, startsecs=0}) keeping the demo service running; config in the work dir. */
public final class Supervisord implements AutoCloseable {
    private final Process process;

    private Supervisord(Process process) {
        this.process = process;
    }

    /** supervisord keeping the demo service on {@code port} running. */
    public static Supervisord start(Options options, Path binary, int port) throws Exception {
        return start(options, binary, "demo", DemoService.command(options, port));
    }

    /** supervisord keeping {@code command} running as program {@code name}, in a work directory of its own. */
    public static Supervisord start(Options options, Path binary, String name, List<String> command)
            throws Exception {
        Path dir = Files.createDirectories(options.workDir().resolve("supervisord-" + name));
        Path config = dir.resolve("supervisord.conf");
        Files.writeString(config, """
                [supervisord]
                nodaemon=true
                logfile=%1$s/supervisord.log
                pidfile=%1$s/supervisord.pid
                childlogdir=%1$s
                [program:%3$s]
                command=%2$s
                autorestart=true
                startsecs=0
                startretries=100000
                stopwaitsecs=2
                redirect_stderr=true
                stdout_logfile=%1$s/%3$s.log
                """.formatted(dir, String.join(" ", command), name));
        Process process = new ProcessBuilder(binary.toString(), "-n", "-c", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("supervisord.out").toFile()).start();
        return new Supervisord(process);
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    @Override
    public void close() {
        Procs.killSupervisor(process.toHandle());
    }

}
