#!/bin/sh
# A rollback step that never ends and leaves a child behind in its process group:
# the timeout must take down the whole group. It records the child's pid in $1.
sleep 300 &
echo $! > "$1"
echo "waiting forever"
wait
