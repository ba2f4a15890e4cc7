#!/usr/bin/env bash
# Runs the aegis whole-system benchmarks and prints one table.
#
#   benchmarks/run.sh [scenario...]     scenarios: fleet, recovery, startup, logs, anomaly (default: all, about 11
#                                       minutes on 2 cores); logs: a generated 200 MB log scanned with 10 patterns
#                                       beside `grep -cE` (same patterns, same file, same run), and CPU following
#                                       20 MB/s; anomaly: detection delay and false positives of the learned
#                                       baselines, CPU per evaluated signal, a 1 MB scrape beside promtool;
#                                       startup: the aegis executable, and the aegis-dist tarball's bin/aegis (its
#                                       own Java runtime) alternated with it
#   benchmarks/run.sh docker            only when named: a container killed, under aegis vs `--restart always`
#                                       (needs a Docker engine at $DOCKER_HOST and busybox-static; ~2.5 minutes)
#   benchmarks/run.sh --smoke [...]     tiny sizes, one round (what `mvn verify` runs); the numbers mean nothing
#
# Builds what is missing or older than its sources (the aegis executable, the demo service, target/benchmarks.jar).
# Peers (prometheus + prometheus-blackbox-exporter, supervisord, monit) are used when installed and reported as
# "not installed" otherwise; this script never installs anything. Everything listens on 127.0.0.1 only.
# AEGIS_BENCH_AGENT_JVM_ARGS adds JVM options to the fleet's aegis process, e.g.
#   AEGIS_BENCH_AGENT_JVM_ARGS="-XX:StartFlightRecording=filename=/tmp/fleet.jfr" benchmarks/run.sh fleet
# AEGIS_BENCH_FLEET_ROWS runs only the fleet rows whose name contains a match of it (a regular expression), e.g.
#   AEGIS_BENCH_FLEET_ROWS="10000 http keep" benchmarks/run.sh fleet
# JMH micro-benchmarks: java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main [CheckCycleBenchmark|CheckerBenchmark]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
jar="$here/target/benchmarks.jar"

mvn_offline_first() {
    mvn -B -q -o "$@" || mvn -B -q "$@"
}

# Everything is built from this tree, in one reactor build, when something is missing or a source or pom changed
# since the last build: the fleet's aegis is the engine inside target/benchmarks.jar, so a changed engine or
# checker must rebuild it. (Maven leaves an up-to-date jar's time alone, hence the stamp file.)
stamp="$here/target/.run-sh-built"
stale=""
for artifact in "$root/aegis-cli/target/aegis" "$root/examples/demo-service/target/demo-service.jar" "$jar" "$stamp" \
        "$root"/aegis-dist/target/aegis-*-linux-x64.tar.gz; do
    [[ -f "$artifact" ]] || stale=1
done
if [[ -z "$stale" && -n "$(find "$root" -path "$root/.git" -prune -o -path '*/target' -prune -o \
        \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$stamp" -print -quit)" ]]; then
    stale=1
fi
if [[ -n "$stale" ]]; then
    echo "building aegis, its distribution tarball, the demo service and target/benchmarks.jar ..." >&2
    (cd "$root" && mvn_offline_first package -DskipTests -pl aegis-cli,aegis-dist,examples/demo-service,benchmarks -am)
    touch "$stamp"
fi

# The 10,000-service fleet needs ~11,000 descriptors in one process (the 20,000-service overload splits its
# endpoints over two server processes); use the hard limit when allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

exec java -Daegis.bench.agentJvmArgs="${AEGIS_BENCH_AGENT_JVM_ARGS:-}" -Daegis.bench.fleetRows="${AEGIS_BENCH_FLEET_ROWS:-}" -jar "$jar" --repo="$root" "$@"
