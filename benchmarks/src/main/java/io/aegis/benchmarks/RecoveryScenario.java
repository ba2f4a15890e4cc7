package io.aegis.benchmarks;

import io.aegis.benchmarks.peers.Monit;
import io.aegis.benchmarks.peers.Supervisord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Recovery latency of the real demo service under the {@code process} runtime of the real {@code aegis}:
 * {@code kill -9} to serving again, and {@code /health} answering 503 to restarted and healthy again (interval
 * 1s and 200ms, failureThreshold 1). Backoff cannot interfere: 10ms, a budget of 10,000, resetAfter 500ms
 * and a settle pause between rounds. The same through supervisord and monit where installed.
 */
public final class RecoveryScenario implements Scenario {
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
        Duration settle = Duration.ofMillis(options.smoke() ? 300 : 700);

        Stats demoStart = Stats.of(DemoService.startupSeconds(options, options.size(5, 1)));
        result.row("recovery: reference", "demo JVM start -> 200 s", demoStart.summary("s"), "", "");
        double ref = demoStart.median();

        Stats aegisKill;
        int port = Procs.freePort();
        Path killConfig = AegisProcess.demoConfig(options, "recovery-kill.yaml", port, Duration.ofMillis(200),
                Duration.ofMillis(150));
        try (AegisProcess aegis = AegisProcess.start(options, killConfig, options.workDir().resolve("aegis-kill.log"))) {
            aegisKill = Stats.of(DemoService.killToServing(DemoService.under(aegis.handle()), port, kills, settle));
        }

        Optional<Path> supervisord = Procs.which("supervisord");
        Stats supKill = null;
        if (supervisord.isPresent()) {
            int supPort = Procs.freePort();
            try (Supervisord peer = Supervisord.start(options, supervisord.get(), supPort)) {
                supKill = Stats.of(DemoService.killToServing(DemoService.under(peer.handle()), supPort, peerKills,
                        settle));
            }
        }
        Optional<Path> monit = Procs.which("monit");
        Stats monitKill = null;
        Stats monitFail = null;
        if (monit.isPresent()) {
            int monitPort = Procs.freePort();
            try (Monit peer = Monit.start(options, monit.get(), monitPort)) {
                monitKill = Stats.of(DemoService.killToServing(DemoService.byPidFile(peer.pidFile()), monitPort,
                        peerKills, settle));
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

        List<Duration> intervals = options.smoke() ? List.of(Duration.ofMillis(200))
                : List.of(Duration.ofSeconds(1), Duration.ofMillis(200));
        for (Duration interval : intervals) {
            int failPort = Procs.freePort();
            Duration timeout = interval.toMillis() >= 1000 ? Duration.ofMillis(500) : Duration.ofMillis(150);
            Path config = AegisProcess.demoConfig(options, "recovery-503-" + interval.toMillis() + ".yaml", failPort,
                    interval, timeout);
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
                + " 200 on /health, polled every 2ms on new connections. 'minus demo start' subtracts the median"
                + " start-up of the demo alone (reference row). aegis: " + kills + " kills; peers: " + peerKills
                + " kills, monit 503: " + Math.min(fails, 3) + " rounds of at most 10 s. monit runs `if failed host 127.0.0.1"
                + " port P protocol http request \"/health\" then restart` every 1 s cycle, start timeout 2 s.");
        return result;
    }

    private static String peerColumn(String name, Optional<Path> binary, Stats peer, Stats aegis) {
        if (binary.isEmpty()) {
            return name + ": not installed";
        }
        if (peer == null) {
            return name + ": not run in --smoke";
        }
        if (peer.isEmpty()) {
            return name + ": did not recover within 10 s (see its log in the work dir)";
        }
        return name + " " + peer.summary("s") + ", aegis/peer " + Stats.ratio(aegis.median(), peer.median());
    }
}
