#!/usr/bin/env python3
"""Reference values for flinkscope's statistics, computed independently of the Rust code:
scipy for Welch's t-test and the Mann-Whitney U p-value, brute force for the Hodges-Lehmann
shift and its confidence interval. Prints one JSON document with the inputs and the
expected outputs; tests/stats_reference.rs runs this script and compares, and
tests/fixtures/stats/reference.json is its committed output.

Definitions (they are the Rust code's contract):
- Welch: scipy.stats.ttest_ind(variant, baseline, equal_var=False), two-sided. When both
  samples are constant scipy has no answer; then p = 1 for equal means, 0 otherwise.
- Mann-Whitney: scipy.stats.mannwhitneyu(variant, baseline, alternative="two-sided",
  method="asymptotic", use_continuity=True) (normal approximation, tie-corrected);
  U is the statistic of the variant sample. Every value tied: p = 1.
- Hodges-Lehmann: the median of all n1*n2 differences variant - baseline; with the sorted
  differences d[1..N] and k = floor(N/2 - z(1 - alpha/2) * sqrt(n1*n2*(n1+n2+1)/12)),
  the interval is (d[k], d[N-k+1]); none when k < 1.
- Cohen's d: (mean_v - mean_b) / sqrt((var_b + var_v) / 2) with sample variances.
- Summary: n, mean, median, p95 (numpy's linear interpolation), sample standard deviation.
"""
import json
import math
import random
import sys

import numpy as np
from scipy import stats


def summary(xs):
    a = np.asarray(xs, dtype=float)
    return {
        "n": int(a.size),
        "mean": float(a.mean()),
        "median": float(np.median(a)),
        "p95": float(np.percentile(a, 95)),
        "sd": float(a.std(ddof=1)) if a.size > 1 else 0.0,
    }


def welch(b, v):
    b, v = np.asarray(b, float), np.asarray(v, float)
    if b.var(ddof=1) == 0 and v.var(ddof=1) == 0:
        return {"t": None, "p": 1.0 if b.mean() == v.mean() else 0.0}
    r = stats.ttest_ind(v, b, equal_var=False)
    return {"t": float(r.statistic), "p": float(r.pvalue)}


def mann_whitney(b, v):
    if len(set(b) | set(v)) == 1:
        u = len(b) * len(v) / 2.0
        return {"u": u, "p": 1.0}
    r = stats.mannwhitneyu(v, b, alternative="two-sided", method="asymptotic", use_continuity=True)
    return {"u": float(r.statistic), "p": float(r.pvalue)}


def hodges_lehmann(b, v, alpha):
    d = sorted(x - y for x in v for y in b)
    n = len(d)
    shift = d[n // 2] if n % 2 == 1 else (d[n // 2 - 1] + d[n // 2]) / 2.0
    z = stats.norm.ppf(1 - alpha / 2)
    k = math.floor(n / 2 - z * math.sqrt(len(v) * len(b) * (len(v) + len(b) + 1) / 12))
    ci = [d[k - 1], d[n - k]] if k >= 1 else None
    return {"shift": shift, "ci": ci}


def cohens_d(b, v):
    vb, vv = np.var(b, ddof=1), np.var(v, ddof=1)
    pooled = math.sqrt((vb + vv) / 2)
    return None if pooled == 0 else float((np.mean(v) - np.mean(b)) / pooled)


def cases():
    rng = random.Random(20261125)
    normal = lambda mu, sd, n: [rng.gauss(mu, sd) for _ in range(n)]
    yield "normal, no shift", normal(4000, 50, 40), normal(4000, 50, 40), 0.05
    yield "normal, -15% throughput", normal(4000, 80, 30), normal(3400, 90, 30), 0.05
    yield "small shift, unequal n and variance", normal(100, 5, 25), normal(103, 12, 60), 0.05
    yield "heavy tail (lognormal latency)", [math.exp(rng.gauss(4, 0.6)) for _ in range(50)], [math.exp(rng.gauss(4.3, 0.6)) for _ in range(45)], 0.05
    yield "ties (integer restarts)", [rng.randint(0, 3) for _ in range(35)], [rng.randint(1, 4) for _ in range(35)], 0.05
    yield "heavy ties (pool usage 0/1)", [rng.choice([0.0, 0.0, 0.0, 1.0]) for _ in range(40)], [rng.choice([0.0, 1.0]) for _ in range(40)], 0.05
    same = normal(50, 3, 30)
    yield "identical series", same, list(same), 0.05
    yield "small samples", normal(10, 1, 5), normal(12, 1, 7), 0.05
    yield "alpha 0.01", normal(200, 20, 80), normal(210, 20, 80), 0.01
    yield "constant equal", [5.0] * 12, [5.0] * 12, 0.05
    yield "constant different", [5.0] * 12, [6.0] * 12, 0.05


def main():
    out = []
    for name, b, v, alpha in cases():
        out.append({
            "name": name,
            "alpha": alpha,
            "baseline": b,
            "variant": v,
            "expected": {
                "baseline": summary(b),
                "variant": summary(v),
                "welch": welch(b, v),
                "mann_whitney": mann_whitney(b, v),
                "hodges_lehmann": hodges_lehmann(b, v, alpha),
                "cohens_d": cohens_d(b, v),
            },
        })
    json.dump({"generator": "scripts/stats_reference.py", "scipy": __import__("scipy").__version__, "cases": out}, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()
