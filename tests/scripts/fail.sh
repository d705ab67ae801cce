#!/bin/sh
# A rollback step that fails with exit code 3.
echo "cannot apply the configuration" >&2
exit 3
