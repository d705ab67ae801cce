#!/usr/bin/env bash
# The local Flink lab: a baseline and a variant Flink cluster on 127.0.0.1, each running a
# shuffle job whose keyBy crosses TaskManagers over Netty.
#
#   scripts/lab.sh up [--flink 1.20.5|2.3.0] [--mixed] [--pair]   start (installs Flink if missing)
#   scripts/lab.sh down                                            stop what `up` started, by PID
#   scripts/lab.sh status                                          what runs, where
#   scripts/lab.sh kill-tm ID [CLUSTER]     kill -9 one TaskManager (a crash; CLUSTER defaults from the id)
#   scripts/lab.sh start-tm ID [CLUSTER]    start that TaskManager again, with its settings
#   scripts/lab.sh restart-tm ID [CLUSTER]  stop it gracefully (SIGTERM) and start it again
#   scripts/lab.sh reconf-tm ID [FILE]      restart it with its group's settings plus FILE's keys
#                                           (flat config.yaml); without FILE, its group's settings
#   scripts/lab.sh slow-variant MICROS      resubmit the variant's job with a consumer that parks MICROS per record
#   scripts/lab.sh normal-variant           resubmit the variant's job at full speed
#   scripts/lab.sh break-checkpoints-variant [MS]  resubmit it with a checkpoint timeout of MS (10):
#                                           every checkpoint fails, the job runs on
#   scripts/lab.sh oom-once-variant MARKER  resubmit the variant's job to throw one OutOfMemoryError
#                                           (MARKER: a file that must not exist yet)
#   scripts/lab.sh rollback-variant         the lab's rollback: restart the variant's TaskManagers
#                                           with the baseline's settings, wait until the job runs again
#   scripts/lab.sh stop-tm ID | cont-tm ID  SIGSTOP / SIGCONT one TaskManager (a hung JVM: no RST)
#   scripts/lab.sh replace-tm ID NEW_ID     kill ID and start NEW_ID with its settings (a pod
#                                           replaced under a new id); replace-tm NEW_ID ID goes back
#   scripts/lab.sh second-job [CLUSTER] [NAME] [RATE] [TM_ID]  a second ShuffleJob (default variant,
#                                           flinkscope-lab-variant-2, 500/s) on a TaskManager of its own
#   scripts/lab.sh cancel-job CLUSTER NAME  cancel that cluster's running jobs of that name
#   scripts/lab.sh second-job-down [CLUSTER] [NAME]  cancel it and stop its TaskManager
#   scripts/lab.sh restart-jm CLUSTER       stop the cluster's JobManager and start it again (no HA:
#                                           the job is gone; the TaskManagers register again)
# `up --variant-conf FILE` appends FILE (flat config.yaml keys) to the variant TaskManagers' settings.
#
# Pair mode (default): baseline REST :8081 (TaskManagers tm-base-1, tm-base-2),
#                      variant  REST :8082 (TaskManagers tm-var-1,  tm-var-2).
# --mixed:             one cluster, REST :8083, TaskManagers tm-base-1, tm-base-2, tm-var-1, tm-var-2
#                      (for `flinkscope --flink URL --baseline-tm '^tm-base' --variant-tm '^tm-var'`).
#                      With --pair as well, both layouts run side by side.
# Prometheus reporter ports: baseline 9250 (JobManager), 9251-9252; variant 9260, 9261-9262;
# mixed 9270, 9271-9274. Flink binds them on all interfaces; use them through 127.0.0.1.
#
# The lab lowers metrics.fetcher.update-interval to 2 s (Flink's default is 10 s) so that
# tests see REST refreshes sooner; see docs/lab.md.
#
# Environment: FLINKSCOPE_LAB_DIR (default <repo>/.lab), FLINKSCOPE_LAB_RATE (records/s, default 4000),
#              FLINKSCOPE_LAB_TIMEOUT (seconds to wait for records to flow, default 240).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lab=${FLINKSCOPE_LAB_DIR:-$repo/.lab}
run=$lab/run
rate=${FLINKSCOPE_LAB_RATE:-4000}
wait_s=${FLINKSCOPE_LAB_TIMEOUT:-240}
fetcher_ms=2000

log() { printf '[lab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

flink_home() { echo "$lab/flink-$1/lib/python3.11/site-packages/pyflink"; }

install_flink() {
  local v=$1 venv=$lab/flink-$1
  if [ -x "$(flink_home "$v")/bin/flink" ]; then return; fi
  log "installing Flink $v from PyPI into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  if [ "$v" = "1.20.5" ]; then
    # apache-flink-libraries 1.20.5 is published as a source package only: build its wheel.
    local wheels=$lab/wheels
    mkdir -p "$wheels"
    if ! ls "$wheels"/apache_flink_libraries-1.20.5-*.whl >/dev/null 2>&1; then
      "$venv/bin/pip" wheel -q --no-deps -w "$wheels" apache-flink-libraries==1.20.5
    fi
    "$venv/bin/pip" install -q --no-deps "$wheels"/apache_flink_libraries-1.20.5-*.whl apache-flink==1.20.5
  else
    "$venv/bin/pip" install -q --no-deps "apache-flink==$v" "apache-flink-libraries==$v"
  fi
  local py
  py=$(ls -d "$venv"/lib/python3*/site-packages/pyflink)
  [ -x "$py/bin/flink" ] || chmod +x "$py"/bin/* 2>/dev/null || true
  [ -x "$py/bin/flink" ] || die "Flink $v installed but $py/bin/flink is missing"
}

build_job() {
  local v=$1 home out=$lab/job-$1
  home=$(flink_home "$v")
  if [ -f "$out/shuffle-job.jar" ] && [ "$out/shuffle-job.jar" -nt "$repo/scripts/lab/ShuffleJob.java" ]; then return; fi
  log "building the shuffle job against Flink $v"
  rm -rf "$out" && mkdir -p "$out/classes"
  javac -nowarn -d "$out/classes" -cp "$home/lib/*" "$repo/scripts/lab/ShuffleJob.java"
  (cd "$out/classes" && jar --create --file "$out/shuffle-job.jar" --main-class ShuffleJob .)
}

# The Jolokia agent for the TaskManagers: scripts/lab/JolokiaAgent.java with Debian's
# jolokia-core and json-simple classes inside (one self-contained jar for -javaagent).
# Without Debian's jars the lab starts without the agent and says so (the dashboard and the
# demo do not need it; the Jolokia source tests do, and .ci/run installs the package).
# FLINKSCOPE_JOLOKIA_CORE / FLINKSCOPE_JSON_SIMPLE point elsewhere (a test points them at
# nothing to check a machine without them).
jolokia_jar=$lab/jolokia/jolokia-agent.jar
build_jolokia_agent() {
  local out=$lab/jolokia core=${FLINKSCOPE_JOLOKIA_CORE:-/usr/share/java/jolokia-core.jar}
  local json=${FLINKSCOPE_JSON_SIMPLE:-/usr/share/java/json-simple.jar}
  if ! [ -f "$core" ] || ! [ -f "$json" ]; then
    log "starting without the Jolokia agent: $core or $json is missing (apt-get install libjolokia-core-java adds it; only the Jolokia source needs it)"
    # An agent built earlier goes too: every later start of this lab runs without it.
    rm -f "$jolokia_jar"
    jolokia_jar=""
    return
  fi
  if [ -f "$jolokia_jar" ] && [ "$jolokia_jar" -nt "$repo/scripts/lab/JolokiaAgent.java" ]; then return; fi
  log "building the Jolokia agent"
  rm -rf "$out" && mkdir -p "$out/classes"
  javac -nowarn -d "$out/classes" -cp "$core:$json" "$repo/scripts/lab/JolokiaAgent.java"
  (cd "$out/classes" && unzip -qo "$core" -x 'META-INF/*' && unzip -qo "$json" -x 'META-INF/*')
  printf 'Premain-Class: JolokiaAgent\n' >"$out/manifest.txt"
  (cd "$out/classes" && jar --create --file "$jolokia_jar" --manifest "$out/manifest.txt" .)
}

java_opts_all() {
  # Java 17 needs the --add-opens list that ships in Flink's default config.yaml.
  grep -E '^\s+all: ' "$(flink_home "$1")/conf/config.yaml" | head -1 | sed -E 's/^\s+all: //'
}

# write_conf DIR VERSION CLUSTER ROLE(jm|tm) RPC_PORT REST_PORT PROM_PORT [TM_ID] [SETTINGS(baseline|variant)] [SLOTS]
write_conf() {
  local dir=$1 v=$2 cluster=$3 role=$4 rpc=$5 rest=$6 prom=$7 tm_id=${8:-} settings=${9:-baseline} slots=${10:-1}
  local home
  home=$(flink_home "$v")
  mkdir -p "$dir/conf" "$dir/log" "$dir/tmp" "$dir/pid"
  cp "$home"/conf/log4j*.properties "$dir/conf/"
  cat >"$dir/conf/config.yaml" <<YAML
# Written by scripts/lab.sh for $cluster/$role${tm_id:+ ($tm_id)} on Flink $v.
env.java.opts.all: $(java_opts_all "$v") -Djava.io.tmpdir=$dir/tmp
env.log.dir: $dir/log
env.pid.dir: $dir/pid
io.tmp.dirs: $dir/tmp
web.tmpdir: $dir/tmp
high-availability.type: NONE
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $rpc
jobmanager.bind-host: 127.0.0.1
jobmanager.memory.process.size: 1024m
jobmanager.execution.failover-strategy: region
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $rest
taskmanager.bind-host: 127.0.0.1
taskmanager.host: 127.0.0.1
taskmanager.numberOfTaskSlots: $slots
taskmanager.memory.process.size: 1024m
taskmanager.memory.segment-size: 32kb
parallelism.default: 2
execution.checkpointing.interval: 10s
# One failover per incident: with Flink's default exponential backoff a job whose
# TaskManagers are all restarting (scripts/lab.sh rollback-variant) restarts again and again
# until they are back; a fixed 45 s delay covers a TaskManager restart even on a loaded machine.
restart-strategy.type: fixed-delay
restart-strategy.fixed-delay.attempts: 2147483647
restart-strategy.fixed-delay.delay: 45 s
metrics.latency.interval: 1000
metrics.fetcher.update-interval: $fetcher_ms
metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory
metrics.reporter.prom.port: "$prom"
YAML
  if [ "${v%%.*}" = "1" ]; then
    echo "cluster.evenly-spread-out-slots: true" >>"$dir/conf/config.yaml"
  else
    echo "taskmanager.load-balance.mode: SLOTS" >>"$dir/conf/config.yaml"
  fi
  # Jolokia on 127.0.0.1:(reporter port - 1470): JobManagers 7780/7790/7800, TaskManagers
  # 7781/7782 baseline, 7791/7792 variant, 7801-7804 mixed. Flink's JMX reporter registers
  # the metrics as MBeans for it.
  if [ -n "$jolokia_jar" ] && [ -f "$jolokia_jar" ]; then
    cat >>"$dir/conf/config.yaml" <<YAML
env.java.opts.$([ "$role" = jm ] && echo jobmanager || echo taskmanager): -javaagent:$jolokia_jar=$((prom - 1470))
metrics.reporter.jmx.factory.class: org.apache.flink.metrics.jmx.JMXReporterFactory
YAML
  fi
  if [ -n "$tm_id" ]; then
    echo "taskmanager.resource-id: $tm_id" >>"$dir/conf/config.yaml"
  fi
  if [ "$settings" = "variant" ] && [ -n "${variant_conf:-}" ]; then
    echo "# from --variant-conf $variant_conf" >>"$dir/conf/config.yaml"
    cat "$variant_conf" >>"$dir/conf/config.yaml"
  fi
  if [ "$settings" = "variant" ]; then
    # The variant's network tuning. Only keys that take effect on this Flink version:
    # 2.x silently ignores the classic Netty keys (see ../shared/FLINK-LAB.md).
    cat >>"$dir/conf/config.yaml" <<YAML
taskmanager.network.memory.buffer-debloat.enabled: true
taskmanager.network.memory.buffer-debloat.target: 500ms
taskmanager.memory.network.fraction: 0.15
execution.buffer-timeout.interval: 20ms
YAML
    if [ "${v%%.*}" = "1" ]; then
      cat >>"$dir/conf/config.yaml" <<YAML
taskmanager.network.memory.buffers-per-channel: 4
taskmanager.network.memory.floating-buffers-per-gate: 16
taskmanager.network.netty.server.numThreads: 4
taskmanager.network.netty.client.numThreads: 4
taskmanager.network.netty.transport: epoll
YAML
    fi
  fi
}

# start_daemon DIR VERSION (jobmanager|taskmanager)
start_daemon() {
  local dir=$1 v=$2 what=$3 home
  home=$(flink_home "$v")
  FLINK_CONF_DIR=$dir/conf FLINK_LOG_DIR=$dir/log FLINK_PID_DIR=$dir/pid \
    "$home/bin/$what.sh" start >"$dir/log/start.out" 2>&1 || die "$what in $dir failed to start: $(cat "$dir/log/start.out")"
  local pidfile
  pidfile=$(ls "$dir"/pid/*.pid 2>/dev/null | head -1)
  [ -n "$pidfile" ] || die "no pid file in $dir/pid"
  tail -1 "$pidfile" >"$dir/pid.lab"
}

# start_cluster NAME VERSION RPC REST PROM_BASE "TM_ID:SETTINGS ..." SLOTS
start_cluster() {
  local name=$1 v=$2 rpc=$3 rest=$4 prom=$5 tms=$6 slots=$7 cdir=$run/$1 i=1
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$rest/config"; then
    die "something already answers on 127.0.0.1:$rest (run scripts/lab.sh down first)"
  fi
  log "starting cluster $name (Flink $v, REST :$rest)"
  write_conf "$cdir/jobmanager" "$v" "$name" jm "$rpc" "$rest" "$prom" "" baseline "$slots"
  start_daemon "$cdir/jobmanager" "$v" jobmanager
  for spec in $tms; do
    local id=${spec%%:*} settings=${spec##*:}
    write_conf "$cdir/$id" "$v" "$name" tm "$rpc" "$rest" "$((prom + i))" "$id" "$settings" "$slots"
    # What this TaskManager was started with, so that rollback-variant can rewrite it.
    echo "$v $name tm $rpc $rest $((prom + i)) $id $settings $slots" >"$cdir/$id/params"
    start_daemon "$cdir/$id" "$v" taskmanager
    i=$((i + 1))
  done
  echo "$rest" >"$cdir/rest.port"
  echo "$v" >"$cdir/flink.version"
}

# A small JSON probe in Python (always on this machine; no jq needed).
rest_json() {
  python3 - "$@" <<'PY'
import json, sys, urllib.request
port, what = sys.argv[1], sys.argv[2]
def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as r:
        return json.load(r)
try:
    if what == "tms":
        print(len(get("/taskmanagers")["taskmanagers"]))
    elif what == "flowing":
        jobs = [j for j in get("/jobs/overview")["jobs"] if j["state"] == "RUNNING"]
        ok = False
        for j in jobs:
            detail = get(f"/jobs/{j['jid']}")
            if any(v["status"] != "RUNNING" for v in detail["vertices"]):
                continue
            src = detail["vertices"][0]["id"]
            m = get(f"/jobs/{j['jid']}/vertices/{src}/subtasks/metrics?get=numRecordsOut&agg=sum")
            if m and m[0].get("sum", 0) > 0:
                ok = True
        print("yes" if ok else "no")
except Exception as e:
    print(f"error: {e}")
PY
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    [ $SECONDS -lt $deadline ] || die "timed out after ${wait_s}s waiting for $what"
    sleep 1
  done
}

tms_registered() { [ "$(rest_json "$1" tms)" = "$2" ]; }
records_flow() { [ "$(rest_json "$1" flowing)" = "yes" ]; }

submit_job() { # submit_job CLUSTER NAME
  local cdir=$run/$1 v rest home
  v=$(cat "$cdir/flink.version")
  rest=$(cat "$cdir/rest.port")
  home=$(flink_home "$v")
  log "submitting $2 to $1"
  FLINK_CONF_DIR=$cdir/jobmanager/conf "$home/bin/flink" run -d -m "127.0.0.1:$rest" \
    "$lab/job-$v/shuffle-job.jar" "$2" "$rate" >"$cdir/submit.out" 2>&1 ||
    die "job submission to $1 failed: $(tail -20 "$cdir/submit.out")"
}

cmd_up() {
  local v=2.3.0 mixed=0 pair=0
  while [ $# -gt 0 ]; do
    case $1 in
      --flink) v=$2; shift 2 ;;
      --mixed) mixed=1; shift ;;
      --pair) pair=1; shift ;;
      --variant-conf)
        variant_conf=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
        [ -f "$variant_conf" ] || die "no such file: $2"
        shift 2 ;;
      *) die "unknown option $1 (usage: lab.sh up [--flink 1.20.5|2.3.0] [--mixed] [--pair])" ;;
    esac
  done
  case $v in 1.20.5 | 2.3.0) ;; *) die "unsupported Flink version $v (1.20.5 or 2.3.0)" ;; esac
  [ $mixed = 1 ] || pair=1
  command -v java >/dev/null || die "java is not installed"
  command -v javac >/dev/null || die "javac is not installed"
  mkdir -p "$run"
  install_flink "$v"
  build_job "$v"
  build_jolokia_agent
  local t0=$SECONDS clusters=()
  if [ $pair = 1 ]; then
    start_cluster baseline "$v" 6123 8081 9250 "tm-base-1:baseline tm-base-2:baseline" 1
    start_cluster variant "$v" 6124 8082 9260 "tm-var-1:variant tm-var-2:variant" 1
    clusters+=(baseline:8081:2 variant:8082:2)
  fi
  if [ $mixed = 1 ]; then
    start_cluster mixed "$v" 6125 8083 9270 "tm-base-1:baseline tm-base-2:baseline tm-var-1:variant tm-var-2:variant" 1
    clusters+=(mixed:8083:4)
  fi
  for c in "${clusters[@]}"; do
    IFS=: read -r name port n <<<"$c"
    wait_for "$wait_s" "$n TaskManagers of $name on :$port" tms_registered "$port" "$n"
    log "$name: $n TaskManagers registered after $((SECONDS - t0)) s"
  done
  for c in "${clusters[@]}"; do
    IFS=: read -r name port n <<<"$c"
    # The mixed cluster runs its job over all four TaskManagers.
    if [ "$name" = mixed ]; then
      rate_arg=$rate
      (FLINK_CONF_DIR=$run/mixed/jobmanager/conf "$(flink_home "$v")/bin/flink" run -d -p 4 -m "127.0.0.1:$port" \
        "$lab/job-$v/shuffle-job.jar" "flinkscope-lab-mixed" "$rate_arg" >"$run/mixed/submit.out" 2>&1) ||
        die "job submission to mixed failed: $(tail -20 "$run/mixed/submit.out")"
    else
      submit_job "$name" "flinkscope-lab-$name"
    fi
  done
  for c in "${clusters[@]}"; do
    IFS=: read -r name port n <<<"$c"
    wait_for "$wait_s" "records to flow on $name" records_flow "$port"
    log "$name: records flow after $((SECONDS - t0)) s"
  done
  log "lab is up (Flink $v): $(cmd_status_line)"
}

cmd_status_line() {
  local out=""
  for cdir in "$run"/*/; do
    [ -f "$cdir/rest.port" ] || continue
    out+="$(basename "$cdir")=http://127.0.0.1:$(cat "$cdir/rest.port") "
  done
  echo "$out"
}

cmd_status() {
  local any=0
  for cdir in "$run"/*/; do
    [ -f "$cdir/rest.port" ] || continue
    any=1
    local rest
    rest=$(cat "$cdir/rest.port")
    echo "$(basename "$cdir"): Flink $(cat "$cdir/flink.version"), REST http://127.0.0.1:$rest, TaskManagers registered: $(rest_json "$rest" tms)"
    for jdir in "$cdir"*/; do
      [ -f "$jdir/pid.lab" ] || continue
      local pid state=stopped
      pid=$(cat "$jdir/pid.lab")
      kill -0 "$pid" 2>/dev/null && state=running
      echo "  $(basename "$jdir"): pid $pid $state"
    done
  done
  [ $any = 1 ] || echo "lab is not running"
}

cmd_down() {
  local pids=()
  for f in "$run"/*/*/pid.lab; do
    [ -f "$f" ] || continue
    local pid
    pid=$(cat "$f")
    # Only signal a process that is still the Flink JVM we started (pids get reused).
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$(dirname "$f")"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  local deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$run"
  log "lab is down (${#pids[@]} JVMs stopped)"
}

cluster_of() { # cluster_of TM_ID [CLUSTER]
  if [ -n "${2:-}" ]; then echo "$2"; return; fi
  case $1 in tm-base-*) echo baseline ;; tm-var-*) echo variant ;; *) die "say which cluster $1 is in" ;; esac
}

tm_pid() { # tm_pid DIR: the pid if that TaskManager's JVM still runs
  local f=$1/pid.lab pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$1" && echo "$pid"
}

cmd_kill_tm() {
  local id=$1 c dir pid
  c=$(cluster_of "$@")
  dir=$run/$c/$id
  pid=$(tm_pid "$dir") || die "TaskManager $id of $c is not running"
  kill -KILL "$pid"
  log "killed TaskManager $id of $c (pid $pid) with SIGKILL"
}

cmd_start_tm() {
  local id=$1 c dir v
  c=$(cluster_of "$@")
  dir=$run/$c/$id
  [ -d "$dir/conf" ] || die "no TaskManager $id in cluster $c"
  if tm_pid "$dir" >/dev/null; then die "TaskManager $id of $c already runs"; fi
  v=$(cat "$run/$c/flink.version")
  rm -f "$dir"/pid/*.pid
  start_daemon "$dir" "$v" taskmanager
  log "started TaskManager $id of $c again"
}

cmd_restart_tm() {
  local id=$1 c dir pid deadline
  c=$(cluster_of "$@")
  dir=$run/$c/$id
  if pid=$(tm_pid "$dir"); then
    kill -TERM "$pid"
    deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
  fi
  cmd_start_tm "$@"
}

cmd_reconf_tm() { # cmd_reconf_tm ID [FILE]: its group's settings, plus FILE's keys; restarted
  local id=$1 extra=${2:-} c dir v name role rpc rport prom _id settings slots
  c=$(cluster_of "$id")
  dir=$run/$c/$id
  [ -f "$dir/params" ] || die "no TaskManager $id in cluster $c"
  read -r v name role rpc rport prom _id settings slots <"$dir/params"
  write_conf "$dir" "$v" "$name" "$role" "$rpc" "$rport" "$prom" "$id" "$settings" "$slots"
  if [ -n "$extra" ]; then
    echo "# from reconf-tm $extra" >>"$dir/conf/config.yaml"
    cat "$extra" >>"$dir/conf/config.yaml"
  fi
  cmd_restart_tm "$id" "$c"
}

cmd_signal_tm() { # cmd_signal_tm SIGNAL ID
  local sig=$1 id=$2 c dir pid
  c=$(cluster_of "$id")
  dir=$run/$c/$id
  pid=$(tm_pid "$dir") || die "TaskManager $id of $c is not running"
  kill -"$sig" "$pid"
  log "sent SIG$sig to TaskManager $id of $c (pid $pid)"
}

cmd_replace_tm() { # cmd_replace_tm ID NEW_ID
  local id=$1 new=$2 c dir ndir pid v name role rpc rport prom _old settings slots existed=0
  c=$(cluster_of "$id")
  dir=$run/$c/$id
  ndir=$run/$c/$new
  [ -f "$dir/params" ] || die "no TaskManager $id in cluster $c"
  if tm_pid "$ndir" >/dev/null 2>&1; then die "TaskManager $new of $c already runs"; fi
  if pid=$(tm_pid "$dir"); then
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  read -r v name role rpc rport prom _old settings slots <"$dir/params"
  [ -f "$ndir/params" ] && existed=1
  write_conf "$ndir" "$v" "$name" "$role" "$rpc" "$rport" "$prom" "$new" "$settings" "$slots"
  echo "$v $name $role $rpc $rport $prom $new $settings $slots" >"$ndir/params"
  rm -f "$ndir"/pid/*.pid
  start_daemon "$ndir" "$v" taskmanager
  # A TaskManager that replace-tm made is gone for good once replaced back.
  if [ -f "$dir/replacement.lab" ]; then rm -rf "$dir"; fi
  if [ $existed = 0 ]; then touch "$ndir/replacement.lab"; fi
  log "replaced TaskManager $id of $c by $new (reporter :$prom)"
}

cmd_restart_jm() { # cmd_restart_jm CLUSTER
  local c=$1 dir=$run/$1/jobmanager pid v deadline
  [ -d "$dir/conf" ] || die "no cluster $c"
  v=$(cat "$run/$c/flink.version")
  pid=$(cat "$dir/pid.lab" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    deadline=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
  fi
  rm -f "$dir"/pid/*.pid
  start_daemon "$dir" "$v" jobmanager
  log "restarted the JobManager of $c"
}

resubmit_variant() { # resubmit_variant PARK_MICROS [CHECKPOINT_TIMEOUT_MS] [OOM_MARKER]
  resubmit variant "$@"
}

resubmit() { # resubmit CLUSTER PARK_MICROS [CHECKPOINT_TIMEOUT_MS] [OOM_MARKER]
  local cluster=$1
  shift
  local cdir=$run/$cluster v home rest jid
  [ -f "$cdir/rest.port" ] || die "the $cluster cluster is not running"
  v=$(cat "$cdir/flink.version")
  rest=$(cat "$cdir/rest.port")
  home=$(flink_home "$v")
  build_job "$v"
  for jid in $(python3 -c 'import json,sys,urllib.request; print(" ".join(j["jid"] for j in json.load(urllib.request.urlopen(sys.argv[1]))["jobs"] if j["state"] not in ("FINISHED","CANCELED","FAILED")))' "http://127.0.0.1:$rest/jobs/overview"); do
    FLINK_CONF_DIR=$cdir/jobmanager/conf "$home/bin/flink" cancel -m "127.0.0.1:$rest" "$jid" >"$cdir/cancel.out" 2>&1 ||
      die "cancelling $jid failed: $(tail -5 "$cdir/cancel.out")"
  done
  # The slots come free when the cancelled tasks are gone.
  wait_for "$wait_s" "free slots on the $cluster" slots_free "$rest"
  FLINK_CONF_DIR=$cdir/jobmanager/conf "$home/bin/flink" run -d -m "127.0.0.1:$rest" \
    "$lab/job-$v/shuffle-job.jar" "flinkscope-lab-$cluster" "$rate" "$1" "${2:-0}" "${3:-}" >"$cdir/submit.out" 2>&1 ||
    die "job submission to $cluster failed: $(tail -20 "$cdir/submit.out")"
  if [ -z "${3:-}" ]; then wait_for "$wait_s" "records to flow on $cluster" records_flow "$rest"; fi
  log "$cluster job runs again (consumer parks ${1} us per record, checkpoint timeout ${2:-0} ms${3:+, one OutOfMemoryError})"
}

# A second job on a cluster, on a TaskManager of its own (every other slot is taken):
# another ShuffleJob with its own name and rate, at parallelism 1.
cmd_second_job() { # cmd_second_job [CLUSTER] [NAME] [RATE] [TM_ID]
  local cluster=${1:-variant}
  local name=${2:-flinkscope-lab-$cluster-2} job_rate=${3:-500} new_id=${4:-} cdir=$run/$cluster
  [ -f "$cdir/rest.port" ] || die "the $cluster cluster is not running"
  local first v cname role rpc rport prom _id settings slots n id rest home
  first=$(ls -d "$cdir"/tm-*/ | head -1)
  read -r v cname role rpc rport prom _id settings slots <"${first%/}/params"
  n=$(ls -d "$cdir"/tm-*/ | wc -l)
  id=${new_id:-${_id%-*}-$((n + 1))}
  [ ! -d "$cdir/$id" ] || die "$id exists already (lab.sh second-job-down first)"
  rest=$(cat "$cdir/rest.port")
  home=$(flink_home "$v")
  # Reporter ports follow the cluster's: the first TaskManager's is base + 1.
  write_conf "$cdir/$id" "$v" "$cname" tm "$rpc" "$rport" "$((prom + n))" "$id" "$settings" 1
  echo "$v $cname tm $rpc $rport $((prom + n)) $id $settings 1" >"$cdir/$id/params"
  start_daemon "$cdir/$id" "$v" taskmanager
  wait_for "$wait_s" "$((n + 1)) TaskManagers of $cluster" tms_registered "$rest" "$((n + 1))"
  FLINK_CONF_DIR=$cdir/jobmanager/conf "$home/bin/flink" run -d -p 1 -m "127.0.0.1:$rest" \
    "$lab/job-$v/shuffle-job.jar" "$name" "$job_rate" >"$cdir/second-job.out" 2>&1 ||
    die "second job submission to $cluster failed: $(tail -20 "$cdir/second-job.out")"
  wait_for "$wait_s" "$name to run" job_running "$rest" "$name"
  echo "$id" >"$cdir/second-job.tm"
  log "$cluster runs $name at $job_rate records/s on $id"
}

# Cancels a cluster's running jobs of that name (the job-failure case of a rollout stage).
cmd_cancel_job() { # cmd_cancel_job CLUSTER NAME
  local cdir=$run/$1 rest v home jid
  [ -f "$cdir/rest.port" ] || die "the $1 cluster is not running"
  rest=$(cat "$cdir/rest.port")
  v=$(cat "$cdir/flink.version")
  home=$(flink_home "$v")
  for jid in $(python3 -c 'import json,sys,urllib.request; print(" ".join(j["jid"] for j in json.load(urllib.request.urlopen(sys.argv[1]))["jobs"] if j["name"] == sys.argv[2] and j["state"] not in ("FINISHED","CANCELED","FAILED")))' "http://127.0.0.1:$rest/jobs/overview" "$2"); do
    FLINK_CONF_DIR=$cdir/jobmanager/conf "$home/bin/flink" cancel -m "127.0.0.1:$rest" "$jid" >"$cdir/cancel.out" 2>&1 ||
      die "cancelling $jid failed: $(tail -5 "$cdir/cancel.out")"
    log "cancelled $2 ($jid) on $1"
  done
}

# Undoes second-job: cancels the job if it still runs and stops its TaskManager.
cmd_second_job_down() { # cmd_second_job_down [CLUSTER] [NAME]
  local cluster=${1:-variant}
  local name=${2:-flinkscope-lab-$cluster-2} cdir=$run/$cluster id pid
  [ -f "$cdir/second-job.tm" ] || die "no second job on $cluster"
  id=$(cat "$cdir/second-job.tm")
  cmd_cancel_job "$cluster" "$name"
  if pid=$(tm_pid "$cdir/$id"); then
    kill -TERM "$pid"
    local deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
  fi
  rm -rf "${cdir:?}/$id" "$cdir/second-job.tm"
  log "stopped $id of $cluster"
}

job_running() { # job_running REST_PORT NAME
  python3 - "$1" "$2" <<'PY'
import json, sys, urllib.request
jobs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/jobs/overview", timeout=3))["jobs"]
sys.exit(0 if any(j["name"] == sys.argv[2] and j["state"] == "RUNNING" and j["tasks"]["running"] == j["tasks"]["total"] for j in jobs) else 1)
PY
}

slots_free() {
  python3 - "$1" <<'PY'
import json, sys, urllib.request
tms = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/taskmanagers", timeout=3))["taskmanagers"]
sys.exit(0 if tms and all(t["freeSlots"] == t["slotsNumber"] for t in tms) else 1)
PY
}

cmd_rollback_variant() {
  local cdir=$run/variant pids=() dirs=()
  [ -f "$cdir/rest.port" ] || die "the variant cluster is not running"
  local rest
  rest=$(cat "$cdir/rest.port")
  for dir in "$cdir"/tm-*/; do
    dir=${dir%/}
    [ -f "$dir/params" ] || die "no params for $dir (started by an older lab.sh?)"
    read -r v name role rpc rport prom id _settings slots <"$dir/params"
    write_conf "$dir" "$v" "$name" "$role" "$rpc" "$rport" "$prom" "$id" baseline "$slots"
    echo "$v $name $role $rpc $rport $prom $id baseline $slots" >"$dir/params"
    dirs+=("$dir")
    if pid=$(tm_pid "$dir"); then pids+=("$pid"); fi
  done
  log "restarting ${#dirs[@]} variant TaskManagers with the baseline settings"
  # Stop them together so that the job fails over once, then start them again.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  local deadline=$((SECONDS + 20))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
  for dir in "${dirs[@]}"; do
    read -r v _ <"$dir/params"
    rm -f "$dir"/pid/*.pid
    start_daemon "$dir" "$v" taskmanager
  done
  wait_for "$wait_s" "${#dirs[@]} variant TaskManagers" tms_registered "$rest" "${#dirs[@]}"
  wait_for "$wait_s" "records to flow on the variant" records_flow "$rest"
  log "variant runs again with the baseline settings"
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  rollback-variant) cmd_rollback_variant ;;
  stop-tm) shift; [ $# -eq 1 ] || die "usage: lab.sh stop-tm ID"; cmd_signal_tm STOP "$1" ;;
  cont-tm) shift; [ $# -eq 1 ] || die "usage: lab.sh cont-tm ID"; cmd_signal_tm CONT "$1" ;;
  replace-tm) shift; [ $# -eq 2 ] || die "usage: lab.sh replace-tm ID NEW_ID"; cmd_replace_tm "$@" ;;
  restart-jm) shift; [ $# -eq 1 ] || die "usage: lab.sh restart-jm CLUSTER"; cmd_restart_jm "$1" ;;
  kill-tm) shift; [ $# -ge 1 ] || die "usage: lab.sh kill-tm ID [CLUSTER]"; cmd_kill_tm "$@" ;;
  start-tm) shift; [ $# -ge 1 ] || die "usage: lab.sh start-tm ID [CLUSTER]"; cmd_start_tm "$@" ;;
  restart-tm) shift; [ $# -ge 1 ] || die "usage: lab.sh restart-tm ID [CLUSTER]"; cmd_restart_tm "$@" ;;
  reconf-tm) shift; [ $# -ge 1 ] && { [ $# -eq 1 ] || [ -f "$2" ]; } || die "usage: lab.sh reconf-tm ID [FILE]"; cmd_reconf_tm "$@" ;;
  slow-variant) shift; [ $# -eq 1 ] || die "usage: lab.sh slow-variant MICROS"; resubmit_variant "$1" ;;
  normal-variant) resubmit_variant 0 ;;
  break-checkpoints-variant) resubmit_variant 0 "${2:-10}" ;;
  oom-once-variant) shift; [ $# -eq 1 ] && [ -d "$(dirname "$1")" ] && [ "${1:0:1}" = / ] || die "usage: lab.sh oom-once-variant /ABSOLUTE/MARKER_FILE (in an existing folder)"; resubmit_variant 0 0 "$1" ;;
  second-job) shift; cmd_second_job "$@" ;;
  second-job-down) shift; cmd_second_job_down "$@" ;;
  cancel-job) shift; [ $# -eq 2 ] || die "usage: lab.sh cancel-job CLUSTER NAME"; cmd_cancel_job "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  install) install_flink "${2:-2.3.0}"; build_job "${2:-2.3.0}" ;;
  *) echo "usage: $0 up [--flink 1.20.5|2.3.0] [--mixed] [--pair] [--variant-conf FILE] | down | status | install [VERSION] | kill-tm ID | start-tm ID | restart-tm ID | slow-variant MICROS | normal-variant | break-checkpoints-variant [MS] | oom-once-variant MARKER" >&2; exit 2 ;;
esac
