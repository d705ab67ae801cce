#!/usr/bin/env bash
# One command from a fresh clone to a live dashboard: builds flinkscope, starts the local
# Flink lab (baseline + variant clusters on 127.0.0.1; installs Flink from PyPI the first
# time) unless it already runs, and opens the dashboard on it.
#   scripts/demo.sh [--flink 1.20.5|2.3.0] [extra flinkscope flags...]
# The lab keeps running after you quit; stop it with scripts/lab.sh down.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
version=2.3.0
if [ "${1:-}" = "--flink" ]; then version=$2; shift 2; fi
cargo build --release --locked
if ! curl -sf --max-time 2 http://127.0.0.1:8081/config >/dev/null || ! curl -sf --max-time 2 http://127.0.0.1:8082/config >/dev/null; then
  scripts/lab.sh up --flink "$version"
fi
exec target/release/flinkscope --baseline http://127.0.0.1:8081 --variant http://127.0.0.1:8082 "$@"
