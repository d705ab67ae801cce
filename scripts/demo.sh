#!/usr/bin/env bash
# One command from a fresh clone to a live dashboard: builds flinkscope, starts the local
# Flink lab (baseline + variant clusters on 127.0.0.1; installs Flink from PyPI the first
# time) unless it already runs, and opens the dashboard on it.
#   scripts/demo.sh [--flink 1.20.5|2.3.0] [extra flinkscope flags...]
# What the lab needs and the machine lacks (a JDK, Python's venv, curl, unzip) is installed
# with apt-get: at once as root, after asking when sudo is needed, never without a terminal
# to ask on (then the command to run is printed). The Jolokia agent is optional: without
# Debian's libjolokia-core-java the lab starts without it and says so.
# The lab keeps running after you quit; stop it with scripts/lab.sh down.
# FLINKSCOPE_DEMO_PROFILE=dev builds the debug binary (CI, which has built it already).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
version=2.3.0
if [ "${1:-}" = "--flink" ]; then version=$2; shift 2; fi

missing=()
command -v java >/dev/null && command -v javac >/dev/null && command -v jar >/dev/null || missing+=(openjdk-17-jdk-headless)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v curl >/dev/null || missing+=(curl)
command -v unzip >/dev/null || missing+=(unzip)
if [ ${#missing[@]} -gt 0 ]; then
  echo "demo: the lab needs ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  elif [ -t 0 ] && command -v sudo >/dev/null; then
    read -r -p "install them with sudo apt-get install ${missing[*]}? [y/N] " yes
    case $yes in
      y | Y | yes) sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" ;;
      *) echo "demo: not installed; run: sudo apt-get install ${missing[*]}" >&2; exit 1 ;;
    esac
  else
    echo "demo: run: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

profile=${FLINKSCOPE_DEMO_PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release --locked
  bin=target/release/flinkscope
else
  cargo build --locked
  bin=target/debug/flinkscope
fi
if ! curl -sf --max-time 2 http://127.0.0.1:8081/config >/dev/null || ! curl -sf --max-time 2 http://127.0.0.1:8082/config >/dev/null; then
  scripts/lab.sh up --flink "$version"
fi
exec "$bin" --baseline http://127.0.0.1:8081 --variant http://127.0.0.1:8082 "$@"
