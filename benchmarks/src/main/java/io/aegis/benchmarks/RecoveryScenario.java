package io.aegis.benchmarks;

import io.aegis.benchmarks.peers.Monit;
import io.aegis.benchmarks.peers.Supervisord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Recovery latency of the real demo service under the {@code process} runtime of the real {@code aegis}:
 * {@code kill -9} to serving again, and {@code /health} answering 503 to restarted and healthy again (interval
 * 1s and 200ms, failureThreshold 1). Backoff cannot interfere: 10ms, a budget of 10,000, resetAfter 500ms
 * and a settle pause between rounds. The same through supervisord and monit where installed.
 *
 * <p>The same kill for a small Python HTTP service ({@code http.server}, a few lines written to the work dir), the
 * service the figure is about: it starts in about 0.1 s, so what aegis adds to a restart shows.
 *
 * <p>A kill is timed from the SIGKILL to the first 200 of the replacement. The victim's end is seen by reading its
 * {@code /proc/<pid>/stat} (gone, or a zombie), not with {@link ProcessHandle#onExit()}: for a process that is not
 * the harness' child the JDK polls, first after 300 ms, whenever the victim is still there (dying, or a zombie its
 * supervisor has not reaped yet) — a floor under every figure.
 */
public final class RecoveryScenario implements Scenario {
    /**
     * The health check of the kill rows. aegis sees a kill through the process' exit, not through a check; with a
     * timeout of 150 ms, a loaded machine made checks of the healthy service time out and aegis restarted it in a
     * loop, so no kill could be timed (seen at load average 25 on 2 cores).
     */
    private static final Duration KILL_CHECK_INTERVAL = Duration.ofSeconds(1);
    private static final Duration KILL_CHECK_TIMEOUT = Duration.ofMillis(900);

    @Override
    public String name() {
        return "recovery";
    }

    @Override
    public Result run(Options options) throws Exception {
        Result result = new Result();
        int kills = options.size(20, 2);
        int peerKills = options.size(10, 1);
        int fails = options.size(5, 1);
        // Past the first check after the restart (up to one 1 s interval) plus resetAfter (500 ms): the incident is
        // closed before the next kill, so no kill pays the 10 ms backoff of a second attempt. With 700 ms about half
        // of them did (the log said "restart 2 in 10ms (backoff)"), against what the class comment promises.
        Duration settle = Duration.ofMillis(options.smoke() ? 300 : 1700);

        Stats demoStart = Stats.of(DemoService.startupSeconds(options, options.size(5, 1)));
        result.row("recovery: reference", "demo JVM start -> 200 s", demoStart.summary("s"), "", "");
        double ref = demoStart.median();

        Stats aegisKill;
        int port = Procs.freePort();
        Path killConfig = AegisProcess.demoConfig(options, "recovery-kill.yaml", port, KILL_CHECK_INTERVAL,
                KILL_CHECK_TIMEOUT);
        try (AegisProcess aegis = AegisProcess.start(options, killConfig, options.workDir().resolve("aegis-kill.log"))) {
            aegisKill = Stats.of(killToServing(DemoService.under(aegis.handle()), port, kills, settle));
        }

        Optional<Path> supervisord = Procs.which("supervisord");
        Stats supKill = null;
        if (supervisord.isPresent()) {
            int supPort = Procs.freePort();
            try (Supervisord peer = Supervisord.start(options, supervisord.get(), supPort)) {
                supKill = Stats.of(killToServing(DemoService.under(peer.handle()), supPort, peerKills, settle));
            }
        }
        Optional<Path> monit = Procs.which("monit");
        Stats monitKill = null;
        Stats monitFail = null;
        if (monit.isPresent()) {
            int monitPort = Procs.freePort();
            try (Monit peer = Monit.start(options, monit.get(), monitPort)) {
                monitKill = Stats.of(killToServing(DemoService.byPidFile(peer.pidFile()), monitPort, peerKills,
                        settle));
                if (!options.smoke()) {
                    // past monit's 2 s start timeout, during which it does not test the port
                    monitFail = Stats.of(DemoService.failToHealthy(monitPort, Math.min(fails, 3),
                            Duration.ofMillis(2500), Duration.ofSeconds(10)));
                }
            }
        }
        result.row("recovery: kill -9", "-> serving again s (p95)", aegisKill.summary("s") + " (p95 "
                + Stats.num(aegisKill.percentile(95)) + ")", "minus demo start " + Stats.num(aegisKill.median() - ref)
                + " s", peerColumn("supervisord", supervisord, supKill, aegisKill) + "; "
                + peerColumn("monit", monit, monitKill, aegisKill));

        python(options, result, kills, peerKills, settle, supervisord);

        List<Duration> intervals = options.smoke() ? List.of(Duration.ofMillis(200))
                : List.of(Duration.ofSeconds(1), Duration.ofMillis(200));
        for (Duration interval : intervals) {
            int failPort = Procs.freePort();
            Duration timeout = interval.toMillis() >= 1000 ? Duration.ofMillis(500) : Duration.ofMillis(150);
            Path config = AegisProcess.demoConfig(options, "recovery-503-" + interval.toMillis() + ".yaml", failPort,
                    interval, timeout, Duration.ofSeconds(10));
            Stats aegisFail;
            try (AegisProcess aegis = AegisProcess.start(options, config,
                    options.workDir().resolve("aegis-503-" + interval.toMillis() + ".log"))) {
                aegisFail = Stats.of(DemoService.failToHealthy(failPort, fails, settle, Duration.ofSeconds(30)));
            }
            String peers = "supervisord: n/a (no health check, restarts on exit only); "
                    + (interval.toMillis() >= 1000 ? peerColumn("monit (1s cycle)", monit, monitFail, aegisFail)
                            : "monit: n/a (shortest cycle is 1s)");
            result.row("recovery: 503, interval " + interval.toMillis() + "ms", "-> healthy again s (p95)",
                    aegisFail.summary("s") + " (p95 " + Stats.num(aegisFail.percentile(95)) + ")",
                    "minus demo start " + Stats.num(aegisFail.median() - ref) + " s", peers);
        }
        result.note("recovery: times are measured from outside: from SIGKILL (or POST /health/fail) to the first"
                + " 200 on /health, polled every 2ms on new connections (after a SIGKILL, from the moment the victim is"
                + " gone or a zombie, read from /proc every 1ms). 'minus demo start' subtracts the median"
                + " start-up of the demo alone (reference row). aegis: " + kills + " kills; peers: " + peerKills
                + " kills, monit 503: " + Math.min(fails, 3) + " rounds of at most 10 s. monit runs `if failed host 127.0.0.1"
                + " port P protocol http request \"/health\" then restart` every 1 s cycle, start timeout 2 s.");
        return result;
    }

    /**
     * The Python service: its own start (reference), {@code kill -9} under aegis, and under supervisord where
     * installed; in ms, with what aegis adds to the service's own start. Skipped without {@code python3}.
     */
    private static void python(Options options, Result result, int kills, int peerKills, Duration settle,
            Optional<Path> supervisord) throws Exception {
        Optional<Path> python = Files.isExecutable(Path.of("/usr/bin/python3")) ? Optional.of(Path.of("/usr/bin/python3"))
                : Procs.which("python3");
        if (python.isEmpty()) {
            result.row("recovery: kill -9, python", "-> serving again ms", "python3 not installed", "", "");
            return;
        }
        Path script = options.workDir().resolve("python_service.py");
        Files.writeString(script, PYTHON_SERVICE);
        Stats own = Stats.of(ms(ownStart(options, List.of(python.get().toString(), script.toString()),
                options.size(10, 1))));
        result.row("recovery: reference, python", "python http.server start -> 200 ms", own.summary("ms"), "", "");

        int port = Procs.freePort();
        List<String> command = List.of(python.get().toString(), script.toString(), Integer.toString(port));
        Stats aegisKill;
        Path config = pythonConfig(options, port, command);
        try (AegisProcess aegis = AegisProcess.start(options, config, options.workDir().resolve("aegis-python.log"))) {
            aegisKill = Stats.of(ms(killToServing(() -> Procs.descendant(aegis.handle(), script.toString()), port,
                    kills, settle)));
        }
        Stats supKill = null;
        if (supervisord.isPresent()) {
            int supPort = Procs.freePort();
            try (Supervisord peer = Supervisord.start(options, supervisord.get(), "python",
                    List.of(python.get().toString(), script.toString(), Integer.toString(supPort)))) {
                supKill = Stats.of(ms(killToServing(() -> Procs.descendant(peer.handle(), script.toString()), supPort,
                        peerKills, settle)));
            }
        }
        result.row("recovery: kill -9, python", "-> serving again ms (p95)", aegisKill.summary("ms") + " (p95 "
                + Stats.num(aegisKill.percentile(95)) + ")", "aegis adds " + Stats.num(aegisKill.median()
                - own.median()) + " ms", peerColumn("supervisord", supervisord, supKill, aegisKill, "ms"));
    }

    /** A tiny HTTP service: 200 on every GET, nothing logged; {@code python3 script PORT}. */
    private static final String PYTHON_SERVICE = """
            import http.server, sys
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                def log_message(self, *args):
                    pass
            http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
            """;

    private static List<Double> ms(List<Double> seconds) {
        return seconds.stream().map(s -> s * 1000).toList();
    }

    /** Seconds from starting {@code command + port} to its first 200 on {@code /health}, {@code runs} times. */
    private static List<Double> ownStart(Options options, List<String> command, int runs) throws Exception {
        List<Double> seconds = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            int port = Procs.freePort();
            List<String> withPort = new ArrayList<>(command);
            withPort.add(Integer.toString(port));
            long t0 = System.nanoTime();
            Process process = new ProcessBuilder(withPort).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                long t1 = Procs.awaitStatus(port, "/health", 200, Duration.ofSeconds(20), 2);
                if (t1 > 0) {
                    seconds.add((t1 - t0) / 1e9);
                }
            } finally {
                Procs.destroyTree(process.toHandle());
            }
        }
        return seconds;
    }

    /** The demo's config for aegis ({@link AegisProcess#demoConfig}) with the Python service's command. */
    private static Path pythonConfig(Options options, int port, List<String> command) throws IOException {
        Path demo = AegisProcess.demoConfig(options, "recovery-python.yaml", port, KILL_CHECK_INTERVAL,
                KILL_CHECK_TIMEOUT);
        String yaml = Files.readString(demo);
        String demoCommand = "command: [" + String.join(", ", DemoService.command(options, port)) + "]";
        if (!yaml.contains(demoCommand)) {
            throw new IllegalStateException("cannot find the demo's command in " + demo);
        }
        Files.writeString(demo, yaml.replace(demoCommand, "command: [" + String.join(", ", command) + "]")
                .replace("demo-under-aegis.log", "python-under-aegis.log"));
        return demo;
    }

    /**
     * Kills the workload {@code kills} times with SIGKILL and returns the seconds from each kill to the first 200 on
     * {@code /health} from its replacement, waiting {@code settle} after each recovery so backoff starts over.
     */
    static List<Double> killToServing(Supplier<Optional<ProcessHandle>> workload, int port, int kills,
            Duration settle) throws Exception {
        List<Double> seconds = new ArrayList<>();
        for (int i = 0; i < kills; i++) {
            if (Procs.awaitStatus(port, "/health", 200, Duration.ofSeconds(20), 5) < 0) {
                break;
            }
            Procs.sleep(settle);
            Optional<ProcessHandle> victim = workload.get();
            if (victim.isEmpty()) {
                break;
            }
            long t0 = System.nanoTime();
            victim.get().destroyForcibly();
            if (!awaitGone(victim.get().pid(), Duration.ofSeconds(5))) {
                break;
            }
            long t1 = Procs.awaitStatus(port, "/health", 200, Duration.ofSeconds(20), 2);
            if (t1 < 0) {
                break;
            }
            seconds.add((t1 - t0) / 1e9);
        }
        return seconds;
    }

    /** Waits until {@code pid} no longer runs: no {@code /proc/<pid>/stat}, or a zombie (state Z or X). */
    private static boolean awaitGone(long pid, Duration timeout) throws InterruptedException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String text;
            try {
                text = Files.readString(stat);
            } catch (IOException e) {
                return true;
            }
            int end = text.lastIndexOf(')');
            char state = end > 0 && end + 2 < text.length() ? text.charAt(end + 2) : '?';
            if (state == 'Z' || state == 'X') {
                return true;
            }
            Thread.sleep(1);
        }
        return false;
    }

    private static String peerColumn(String name, Optional<Path> binary, Stats peer, Stats aegis) {
        return peerColumn(name, binary, peer, aegis, "s");
    }

    private static String peerColumn(String name, Optional<Path> binary, Stats peer, Stats aegis, String unit) {
        if (binary.isEmpty()) {
            return name + ": not installed";
        }
        if (peer == null) {
            return name + ": not run in --smoke";
        }
        if (peer.isEmpty()) {
            return name + ": did not recover within 10 s (see its log in the work dir)";
        }
        return name + " " + peer.summary(unit) + ", aegis/peer " + Stats.ratio(aegis.median(), peer.median());
    }
}
