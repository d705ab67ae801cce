#!/usr/bin/env bash
# Makes the README's screenshot from the real binary watching the running lab:
# runs flinkscope in a 120x40 tmux pane, waits until both groups are live and a minute of
# data is drawn, captures the pane with its colours, and writes assets/dashboard.svg
# (and assets/dashboard.txt, the plain text).
#   scripts/lab.sh up && scripts/screenshot.sh [seconds of data, default 60]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
secs=${1:-60}
cargo build --release --locked
sock=flinkscope-shot-$$
trap 'tmux -L $sock kill-server 2>/dev/null || true' EXIT
tmux -L "$sock" new-session -d -s s -x 120 -y 40 \
  "target/release/flinkscope --baseline http://127.0.0.1:8081 --variant http://127.0.0.1:8082 --log-file /tmp/$sock.log"
deadline=$((SECONDS + 120))
until [ "$(tmux -L "$sock" capture-pane -p -t s | grep -c '● live')" -ge 2 ]; do
  [ $SECONDS -lt $deadline ] || { echo "the lab's groups never went live" >&2; exit 1; }
  sleep 1
done
sleep "$secs"
tmux -L "$sock" capture-pane -p -t s >assets/dashboard.txt
tmux -L "$sock" capture-pane -e -p -t s | python3 scripts/ansi2svg.py >assets/dashboard.svg
echo "wrote assets/dashboard.svg and assets/dashboard.txt"
