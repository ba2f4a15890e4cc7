package io.aegis.benchmarks.peers;

import io.aegis.benchmarks.DemoService;
import io.aegis.benchmarks.Options;
import io.aegis.benchmarks.Procs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * monit ({@code set daemon 1}, the shortest cycle it allows) keeping the demo service running and restarting
 * it when {@code /health} fails; in the foreground, config and state in the work dir. monit does not start
 * the demo as its child, so the demo writes its pid to a file monit and the scenario both read. monit pauses
 * connection tests while a started program is within its start timeout (default 30 s): 2 s here.
 */
public final class Monit implements AutoCloseable {
    private final Process process;
    private final Path pidFile;

    private Monit(Process process, Path pidFile) {
        this.process = process;
        this.pidFile = pidFile;
    }

    public static Monit start(Options options, Path binary, int port) throws Exception {
        Path dir = Files.createDirectories(options.workDir().resolve("monit-" + port));
        Path pidFile = dir.resolve("demo.pid");
        String start = String.join(" ", DemoService.command(options, port)) + " >> " + dir + "/demo.log 2>&1 & echo $! > "
                + pidFile;
        Path config = dir.resolve("monitrc");
        Files.writeString(config, """
                set daemon 1
                set logfile %1$s/monit.log
                set pidfile %1$s/monit.pid
                set idfile %1$s/monit.id
                set statefile %1$s/monit.state
                check process demo with pidfile %2$s
                  start program = "/bin/sh -c '%3$s'" with timeout 2 seconds
                  stop program = "/bin/sh -c 'kill $(cat %2$s)'"
                  if failed host 127.0.0.1 port %4$d protocol http request "/health" for 1 cycles then restart
                """.formatted(dir, pidFile, start, port));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        Process process = new ProcessBuilder(binary.toString(), "-I", "-c", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("monit.out").toFile()).start();
        return new Monit(process, pidFile);
    }

    public Path pidFile() {
        return pidFile;
    }

    @Override
    public void close() {
        Procs.killSupervisor(process.toHandle());
        Optional<ProcessHandle> demo = DemoService.byPidFile(pidFile).get();
        demo.ifPresent(Procs::destroyTree);
    }
}
