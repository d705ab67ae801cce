#!/usr/bin/env bash
# The README's first command on a machine without the Debian extras: scripts/demo.sh in
# tmux with Debian's Jolokia jars out of reach (FLINKSCOPE_JOLOKIA_CORE points at nothing),
# from no running lab. Passes when the lab started without the agent and said so, and the
# dashboard shows both groups live with records flowing. Stops the lab it started.
# (scripts/test.sh runs it before the lab tests; FLINKSCOPE_DEMO_PROFILE=dev reuses the
# debug build the tests made instead of a second, release build.)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
sock=flinkscope-demo-$$
work=$(mktemp -d)
fail() { echo "fresh demo: $*" >&2; tmux -L "$sock" capture-pane -p -t main 2>/dev/null | tail -40 >&2 || true; exit 1; }
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; scripts/lab.sh down >/dev/null 2>&1 || true; }
trap cleanup EXIT

scripts/lab.sh down >/dev/null 2>&1 || true
tmux -L "$sock" new-session -d -s main -x 120 -y 40 \
  "FLINKSCOPE_DEMO_PROFILE=${FLINKSCOPE_DEMO_PROFILE:-dev} FLINKSCOPE_JOLOKIA_CORE=/nonexistent/jolokia-core.jar scripts/demo.sh --log-file $work/flinkscope.log 2>$work/demo.err; sleep 600"

live=0
for _ in $(seq 1 600); do
  screen=$(tmux -L "$sock" capture-pane -p -t main)
  # Both groups live, and the throughput row holds a number for each.
  if [ "$(grep -c '● live' <<<"$screen")" -ge 2 ] && grep -Eq '^│rec in/s +[0-9]+ +[0-9]+' <<<"$screen"; then
    live=1
    break
  fi
  sleep 1
done
[ $live = 1 ] || fail "no live dashboard within 10 minutes"
grep -q "starting without the Jolokia agent" "$work/demo.err" || fail "the lab did not say it started without the Jolokia agent: $(tail -5 "$work/demo.err")"
if curl -sf --max-time 2 http://127.0.0.1:7781/jolokia/version >/dev/null; then fail "a Jolokia agent answers although its jars were missing"; fi
tmux -L "$sock" send-keys -t main q
echo "fresh demo: the dashboard showed both groups live without the Jolokia jars"
