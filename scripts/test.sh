#!/usr/bin/env bash
# The whole test suite, from a fresh clone:
#   1. builds, and runs the tests that need no Flink (unit, UI snapshots, loopback servers, TLS);
#   2. starts the lab on Flink 2.3.0 (pair + mixed) and runs the lab tests in full;
#   3. restarts the lab on Flink 1.20.5 and runs the pair-mode lab test as a smoke test.
# It fails when a lab test fails, and also when no lab test ran at all.
# The lab is stopped on exit, whatever happens.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
log_dir=${FLINKSCOPE_TEST_LOGS:-$repo/target/test-logs}
mkdir -p "$log_dir"

# Each phase's heading says how long the one before it took (CI's time limit is on the sum).
phase_start=$SECONDS
say() {
  printf '\n=== %s === (previous phase %d s, %d s in all)\n' "$*" $((SECONDS - phase_start)) "$SECONDS"
  phase_start=$SECONDS
}

cleanup() { scripts/lab.sh down >/dev/null 2>&1 || true; }
trap cleanup EXIT

# Lab tests are the targets `lab`, `e2e_tmux`, `prometheus_server`, `lab_record`, `lab_judgement`, `lab_faults`,
# `lab_settings`, `lab_jobs` and `e2e_rollback`; `settings_catalogue` needs both Flink installs; everything
# else runs without Flink.
lab_targets=(--test lab --test e2e_tmux --test prometheus_server --test lab_record)

say "build"
cargo build --all-targets --locked

say "docs build without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked

say "tests without Flink"
# The statistics are checked against a scipy reference (pinned versions, in .lab/pyref).
FLINKSCOPE_PYREF_PYTHON=$(scripts/pyref.sh)
export FLINKSCOPE_PYREF_PYTHON
cargo test --locked --lib --bins --test misbehaving --test tls --test cli --test stats_reference --test rollback_runner --test e2e_quit_rollback --test e2e_poison --test e2e_progress --test e2e_mouse --test faults --test prom_fuzz --test node_exporter --test sequential_sim --test layering

# Counts the tests that passed in a cargo test log; fails when none ran.
require_ran() { # require_ran LOG WHAT
  local passed
  passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$1" | awk '{s += $4} END {print s + 0}')
  if [ "$passed" -eq 0 ]; then
    echo "no $2 test ran: treating that as a failure" >&2
    exit 1
  fi
  echo "$2: $passed tests passed"
}

say "the README's first command without the Debian extras (scripts/demo.sh in tmux, no Jolokia jars)"
scripts/fresh-demo-check.sh

say "lab on Flink 2.3.0 (pair + mixed)"
scripts/lab.sh down >/dev/null 2>&1 || true
scripts/lab.sh up --flink 2.3.0 --pair --mixed
FLINKSCOPE_LAB_FLINK=2.3.0 cargo test --locked "${lab_targets[@]}" 2>&1 | tee "$log_dir/lab-2.3.0.log"
require_ran "$log_dir/lab-2.3.0.log" "Flink 2.3.0 lab"

say "judgement scenarios on the 2.3.0 lab (one at a time: they change the lab)"
FLINKSCOPE_LAB_FLINK=2.3.0 cargo test --locked --test lab_judgement -- --test-threads=1 --skip defaults_ 2>&1 | tee "$log_dir/lab-judgement.log"
require_ran "$log_dir/lab-judgement.log" "judgement scenario"

say "the shipped judgement defaults on the 2.3.0 lab (together: they do not disturb one another)"
FLINKSCOPE_LAB_FLINK=2.3.0 cargo test --locked --test lab_judgement defaults_ -- --test-threads=3 2>&1 | tee "$log_dir/lab-defaults.log"
require_ran "$log_dir/lab-defaults.log" "judgement-defaults"

say "faults on the 2.3.0 lab (one session; they change the variant and put it back)"
FLINKSCOPE_LAB_FLINK=2.3.0 cargo test --locked --test lab_faults 2>&1 | tee "$log_dir/lab-faults.log"
require_ran "$log_dir/lab-faults.log" "lab faults"

say "settings on the 2.3.0 lab (one at a time: one restarts a variant TaskManager with other keys)"
FLINKSCOPE_LAB_FLINK=2.3.0 cargo test --locked --test lab_settings -- --test-threads=1 2>&1 | tee "$log_dir/lab-settings.log"
require_ran "$log_dir/lab-settings.log" "settings on 2.3.0"

say "rollback end to end, beside many jobs per group, on the 2.3.0 lab (last: the rollback changes the variant's settings; the jobs tests use the mixed cluster and read the baseline's)"
FLINKSCOPE_LAB_FLINK=2.3.0 cargo test --locked --test lab_jobs >"$log_dir/lab-jobs.log" 2>&1 &
jobs_pid=$!
FLINKSCOPE_LAB_FLINK=2.3.0 cargo test --locked --test e2e_rollback 2>&1 | tee "$log_dir/lab-rollback.log"
jobs_rc=0
wait "$jobs_pid" || jobs_rc=$?
cat "$log_dir/lab-jobs.log"
[ "$jobs_rc" -eq 0 ] || { echo "many jobs per group: failed (exit $jobs_rc)" >&2; exit 1; }
require_ran "$log_dir/lab-rollback.log" "rollback end-to-end"
require_ran "$log_dir/lab-jobs.log" "many jobs"

say "lab on Flink 1.20.5 (smoke: pair mode)"
scripts/lab.sh down
scripts/lab.sh up --flink 1.20.5 --pair
FLINKSCOPE_LAB_FLINK=1.20.5 cargo test --locked --test lab -- lab_pair_mode lab_prometheus_only lab_jolokia_only 2>&1 | tee "$log_dir/lab-1.20.5.log"
require_ran "$log_dir/lab-1.20.5.log" "Flink 1.20.5 lab"
FLINKSCOPE_LAB_FLINK=1.20.5 cargo test --locked --test lab_settings -- --test-threads=1 2>&1 | tee "$log_dir/lab-settings-1.20.5.log"
require_ran "$log_dir/lab-settings-1.20.5.log" "settings on 1.20.5"

say "the settings catalogue against both Flink installs' options classes"
cargo test --locked --test settings_catalogue 2>&1 | tee "$log_dir/settings-catalogue.log"
require_ran "$log_dir/settings-catalogue.log" "settings catalogue"

say "all tests passed"
