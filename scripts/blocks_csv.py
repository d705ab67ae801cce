#!/usr/bin/env python3
"""Block samples from a flinkscope log, as CSV (group,key,t,value), for the simulation's
fixtures (tests/fixtures/blocks/README.md says how a recording is made).

  RUST_LOG=info,flinkscope::model::store=debug flinkscope check ... --log-file run.log
  scripts/blocks_csv.py run.log > tests/fixtures/blocks/NAME.csv
"""
import re
import sys

LINE = re.compile(r'block sample group="(\w+)" key="(\w+)" t=([-\d.eE+]+) value=([-\d.eE+]+)')
KEYS = {"records_in_per_s", "latency_p99_ms", "cpu_cores", "heap_used_bytes", "busy_ms_per_s", "out_pool_usage"}

print("group,key,t,value")
with open(sys.argv[1]) as log:
    for line in log:
        m = LINE.search(line)
        if m and m[2] in KEYS:
            print(f"{m[1]},{m[2]},{float(m[3]):.3f},{float(m[4]):.6g}")
