#!/bin/sh
# A step that ignores SIGTERM: only SIGKILL after the grace period ends it.
trap '' TERM
echo "ignoring TERM"
while :; do sleep 1; done
