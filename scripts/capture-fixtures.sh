#!/usr/bin/env bash
# Captures real Flink REST responses from a running lab cluster into tests/fixtures/flink-<version>/,
# for the parser unit tests. Run `scripts/lab.sh up [--flink V]` first, then:
#   scripts/capture-fixtures.sh [REST base URL, default http://127.0.0.1:8081]
# The agg= queries are the ones flinkscope's REST source sends (see src/sources/flink_rest/queries.rs).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=${1:-http://127.0.0.1:8081}
get() { curl -sS --max-time 10 "$base$1"; }
version=$(get /config | python3 -c 'import json,sys; print(json.load(sys.stdin)["flink-version"])')
out=$repo/tests/fixtures/flink-$version
mkdir -p "$out"
jid=$(get /jobs/overview | python3 -c 'import json,sys; print([j["jid"] for j in json.load(sys.stdin)["jobs"] if j["state"]=="RUNNING"][0])')
vids=$(get "/jobs/$jid" | python3 -c 'import json,sys; print(" ".join(v["id"] for v in json.load(sys.stdin)["vertices"]))')
read -r src sink <<<"$vids"
tms=$(get /taskmanagers | python3 -c 'import json,sys; print(",".join(t["id"] for t in json.load(sys.stdin)["taskmanagers"]))')
tm_metrics="Status.JVM.CPU.Time,Status.JVM.Memory.Heap.Used,Status.JVM.Memory.Direct.MemoryUsed,Status.JVM.GarbageCollector.All.Time,Status.Shuffle.Netty.UsedMemorySegments,Status.Shuffle.Netty.AvailableMemorySegments,Status.Shuffle.Netty.RequestedMemoryUsage"
task_metrics="numRecordsInPerSecond,numRecordsOutPerSecond,numBytesInPerSecond,numBytesOutPerSecond,numBytesInRemotePerSecond,Shuffle.Netty.Input.Buffers.inPoolUsage,Shuffle.Netty.Output.Buffers.outPoolUsage,Shuffle.Netty.Input.Buffers.inputFloatingBuffersUsage,Shuffle.Netty.Input.Buffers.inputExclusiveBuffersUsage,backPressuredTimeMsPerSecond,busyTimeMsPerSecond,idleTimeMsPerSecond,numRecordsIn,numRecordsOut,numBytesIn,numBytesOut,numBytesInRemote,accumulateBackPressuredTimeMs,accumulateBusyTimeMs,accumulateIdleTimeMs"
get /config >"$out/config.json"
get /jobmanager/config >"$out/jobmanager-config.json"
get /taskmanagers >"$out/taskmanagers.json"
get /taskmanagers/metrics >"$out/taskmanagers-metrics-list.json"
get "/taskmanagers/metrics?get=$tm_metrics&agg=sum,avg,max&taskmanagers=$tms" >"$out/taskmanagers-metrics-agg.json"
get "/taskmanagers/metrics?get=no.such.metric&agg=sum" >"$out/metrics-missing.json"
get /jobs/overview >"$out/jobs-overview.json"
get "/jobs/$jid" >"$out/job.json"
get "/jobs/$jid/metrics?get=numRestarts,numberOfCompletedCheckpoints,numberOfFailedCheckpoints" >"$out/job-metrics.json"
get "/jobs/$jid/checkpoints" >"$out/job-checkpoints.json"
get "/jobs/$jid/vertices/$sink" >"$out/vertex-sink.json"
get "/jobs/$jid/vertices/$sink/subtasks/metrics" >"$out/vertex-sink-metrics-list.json"
get "/jobs/$jid/vertices/$sink/subtasks/metrics?get=$task_metrics&agg=sum,avg,max" >"$out/vertex-sink-metrics-agg.json"
get "/jobs/$jid/vertices/$src/subtasks/metrics?get=$task_metrics&agg=sum,avg,max" >"$out/vertex-source-metrics-agg.json"
get "/jobs/$jid/vertices/$src/backpressure" >"$out/vertex-source-backpressure.json"
latency=$(python3 -c 'import json,sys; print(",".join(m["id"] for m in json.load(open(sys.argv[1])) if m["id"].startswith("latency.") and m["id"].endswith(("latency_median","latency_p95","latency_p99"))))' "$out/vertex-sink-metrics-list.json")
get "/jobs/$jid/vertices/$sink/subtasks/metrics?get=$latency&agg=max" >"$out/vertex-sink-latency-agg.json"
get "/jobs/$jid/exceptions" >"$out/job-exceptions.json"
# Flink's PrometheusReporter on the cluster's first TaskManager and its JobManager (the lab
# gives the baseline cluster ports 9250 for the JobManager, 9251-9252 for TaskManagers).
prom_jm=${FLINKSCOPE_PROM_JM:-9250}
curl -sS --max-time 10 "http://127.0.0.1:$((prom_jm + 1))/" >"$out/prometheus-taskmanager.txt"
curl -sS --max-time 10 "http://127.0.0.1:$prom_jm/" >"$out/prometheus-jobmanager.txt"
# Jolokia (the lab's agent on the first TaskManager, 7781, and the JobManager, 7780): the bulk
# read flinkscope sends (printed by examples/jolokia_request.rs), and one with an MBean that is
# not there (404).
jout=$repo/tests/fixtures/jolokia-$version
mkdir -p "$jout"
request=$(cd "$repo" && cargo run -q --example jolokia_request)
jpost() { curl -sS --max-time 10 -X POST -H 'Content-Type: application/json' --data-binary "$2" "http://127.0.0.1:$1/jolokia"; }
jpost $((prom_jm - 1469)) "$request" >"$jout/bulk-read-tm-base-1.json"
jpost $((prom_jm - 1470)) "$request" >"$jout/bulk-read-jobmanager.json"
jpost $((prom_jm - 1469)) '[{"type":"read","mbean":"java.lang:type=Memory","attribute":"HeapMemoryUsage"},{"type":"read","mbean":"java.lang:type=NoSuchBean"},{"type":"read","mbean":"org.apache.flink.taskmanager.Status.JVM.CPU.Time:*"}]' >"$jout/bulk-read-with-404.json"
echo "captured Flink $version responses into $out and $jout"
