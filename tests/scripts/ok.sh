#!/bin/sh
# A rollback step that works: prints its arguments and part of its environment.
echo "args: $*"
echo "job=${FLINKSCOPE_VARIANT_JOB_ID:-none} secret=${FLINKSCOPE_TEST_SECRET:-unset}"
echo "to stderr" >&2
exit 0
