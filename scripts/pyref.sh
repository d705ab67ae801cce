#!/usr/bin/env bash
# Makes the Python environment the statistics reference needs (scipy, numpy) in
# .lab/pyref (ignored by git) and prints its python's path.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${FLINKSCOPE_PYREF:-$repo/.lab/pyref}
if ! "$venv/bin/python3" -c 'import scipy, numpy; assert scipy.__version__ == "1.17.1"' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check 'scipy==1.17.1' 'numpy==2.4.6' >&2
fi
echo "$venv/bin/python3"
