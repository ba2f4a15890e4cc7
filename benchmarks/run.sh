#!/usr/bin/env bash
# Runs the aegis whole-system benchmarks and prints one table.
#
#   benchmarks/run.sh [scenario...]     scenarios: fleet, recovery, startup (default: all, under 5 minutes on 2 cores)
#   benchmarks/run.sh docker            only when named: a container killed, under aegis vs `--restart always`
#                                       (needs a Docker engine at $DOCKER_HOST and busybox-static; ~2.5 minutes)
#   benchmarks/run.sh --smoke [...]     tiny sizes, one round (what `mvn verify` runs); the numbers mean nothing
#
# Builds what is missing (the aegis executable, the demo service, target/benchmarks.jar). Peers
# (blackbox_exporter, supervisord, monit) are used when installed and reported as "not installed" otherwise;
# this script never installs anything. Everything listens on 127.0.0.1 only.
# AEGIS_BENCH_AGENT_JVM_ARGS adds JVM options to the fleet's aegis process, e.g.
#   AEGIS_BENCH_AGENT_JVM_ARGS="-XX:StartFlightRecording=filename=/tmp/fleet.jfr" benchmarks/run.sh fleet
# JMH micro-benchmarks: java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main [CheckCycleBenchmark|CheckerBenchmark]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
jar="$here/target/benchmarks.jar"

mvn_offline_first() {
    mvn -B -q -o "$@" || mvn -B -q "$@"
}

if [[ ! -f "$root/aegis-cli/target/aegis" || ! -f "$root/examples/demo-service/target/demo-service.jar" ]]; then
    echo "building aegis and the demo service ..." >&2
    (cd "$root" && mvn_offline_first install -DskipTests \
        -pl aegis-api,aegis-core,aegis-checkers,aegis-runtimes,aegis-alerting,aegis-cli,examples/demo-service -am)
fi
if [[ ! -f "$jar" ]] || [[ -n "$(find "$here/src/main" "$here/pom.xml" -newer "$jar" -print -quit)" ]]; then
    echo "building target/benchmarks.jar ..." >&2
    mvn_offline_first -f "$here/pom.xml" package -DskipTests
fi

# The 10,000-service fleet needs ~11,000 descriptors in one process; use the hard limit when allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

exec java -Daegis.bench.agentJvmArgs="${AEGIS_BENCH_AGENT_JVM_ARGS:-}" -jar "$jar" --repo="$root" "$@"
