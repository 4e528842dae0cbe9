#!/usr/bin/python3
# fixtures_changepoint.py: writes tests/fixtures/changepoint_reference.json,
# the independent reference values tests/test_changepoint.c checks
# stats/st_changepoint.c against.
#
# Run it once by hand with Debian's interpreter (apt-get install python3-numpy
# python3-scipy); `make test` only reads the committed JSON:
#
#     /usr/bin/python3 scripts/fixtures_changepoint.py     # from the repo root
#
# The output is deterministic for given numpy/scipy versions (recorded in
# the JSON).
#
# Why no R: the method is specified as R's changepoint (cpt.meanvar /
# cpt.mean, test.stat "Normal", method "PELT"), but Debian does not package
# it (bookworm: no r-cran-changepoint). So the reference is written here,
# independently of the C code and by a different route:
#
#  - PELT: brute-force optimal partitioning (Jackson et al. 2005), the O(n^2)
#    dynamic programme over every admissible last change, each segment's cost
#    from numpy on the segment itself (two-pass np.var, no prefix sums). PELT
#    without approximation gives the same optimum, so the C result must equal
#    it: the same change points exactly and the same penalised cost to 1e-6.
#    Costs as R's changepoint: a segment of length l with MLE variance s2
#    costs l (ln 2pi + ln s2 + 1) (meanvar), or sum (x - mean)^2 / sigma2
#    (mean). Zero variance: R takes max(s2, 1e-11); benchgate adds
#    f = 1e-11 * var(x) instead (see st_changepoint.h), and so does this
#    reference. No case here has a segment anywhere near that floor, where
#    the two conventions would differ.
#  - The noise variance for the mean model: scipy.stats.median_abs_deviation
#    (scale='normal') of np.diff(x), squared, halved.
import json
import math
import os
import platform
import sys

import numpy as np
import scipy
import scipy.stats as ss

VAR_FLOOR = 1e-11       # ST_PELT_VAR_FLOOR, relative to var(x)


def pen_barrett(n):
    return 15.0 * math.log(n)


# ---- PELT reference: optimal partitioning ---------------------------------

def seg_cost(seg, model, floor, sigma2):
    if model == "meanvar":
        return len(seg) * (math.log(2 * math.pi) + math.log(np.var(seg) + floor) + 1.0)
    return float(np.sum((seg - seg.mean()) ** 2)) / sigma2


def optimal_partitioning(x, model, pen, minseg, sigma2=None):
    """F(t) = min over tau in {0} U [minseg, t - minseg] of
    F(tau) + C(x[tau:t]) + pen, F(0) = -pen; ties to the smallest tau."""
    n = len(x)
    floor = VAR_FLOOR * np.var(x)
    F = [math.inf] * (n + 1)
    last = [0] * (n + 1)
    F[0] = -pen
    for t in range(minseg, n + 1):
        best, arg = math.inf, -1
        for tau in [0] + list(range(minseg, t - minseg + 1)):
            v = F[tau] + seg_cost(x[tau:t], model, floor, sigma2) + pen
            if v < best:
                best, arg = v, tau
        F[t], last[t] = best, arg
    cpts, t = [], last[n]
    while t > 0:
        cpts.append(t)
        t = last[t]
    return sorted(cpts), F[n]


def sigma2_diff(x):
    return float(ss.median_abs_deviation(np.diff(x), scale="normal") ** 2 / 2.0)


def pelt_cases():
    cases = []

    def add(name, desc, seed, draw, model="meanvar", pen=None, minseg=2,
            sigma2=None, truth=None, truth_tol=None):
        rng = np.random.default_rng(seed)
        x = np.asarray(draw(rng), dtype=np.float64)
        cases.append(dict(name=name, description=desc, seed=seed, x=x,
                          model=model, pen=pen if pen else pen_barrett(len(x)),
                          minseg=minseg, sigma2=sigma2, truth=truth or [],
                          truth_tol=truth_tol))

    add("mean_step", "50 N(0,1) then 50 N(3,1), penalty 15 ln n", 201,
        lambda r: np.r_[r.normal(0, 1, 50), r.normal(3, 1, 50)],
        truth=[50], truth_tol=1)
    add("variance_step", "100 N(0,1) then 100 N(0,4^2), penalty 15 ln n", 202,
        lambda r: np.r_[r.normal(0, 1, 100), r.normal(0, 4, 100)],
        truth=[100], truth_tol=3)
    add("warmup_ns", "warm-up in ns: 10 values N(1.3e6, 5e4^2), then 90 "
        "N(1.0e6, 1e4^2), penalty 15 ln n", 203,
        lambda r: np.r_[r.normal(1.3e6, 5e4, 10), r.normal(1.0e6, 1e4, 90)],
        truth=[10], truth_tol=0)
    add("flat", "200 N(0,1): no change at 15 ln n", 204,
        lambda r: r.normal(0, 1, 200), truth=[], truth_tol=0)
    add("flat_offset", "1e9 + 200 N(0,1): no change; the segment variances "
        "must not cancel away", 205,
        lambda r: 1e9 + r.normal(0, 1, 200), truth=[], truth_tol=0)

    def five(r):
        return np.r_[r.normal(0, 1, 80), r.normal(2, 1, 120), r.normal(2, 3, 100),
                     r.normal(-1, 0.5, 60), r.normal(1, 1, 140)]
    add("five_segments", "n = 500, five segments in mean and/or variance, "
        "penalty 3 ln n", 206, five, pen=3 * math.log(500),
        truth=[80, 200, 300, 360], truth_tol=3)
    add("five_segments_minseg70", "the same series (seed 206) with "
        "minseglen 70 (the 60-value segment cannot stand alone) and penalty "
        "3 ln n", 206, five, pen=3 * math.log(500), minseg=70)
    add("short_segments_minseg5", "n = 120 with two 6-value bursts, "
        "minseglen 5, penalty 2 ln n", 207,
        lambda r: np.r_[r.normal(0, 1, 40), r.normal(6, 1, 6), r.normal(0, 1, 40),
                        r.normal(-6, 1, 6), r.normal(0, 1, 28)],
        pen=2 * math.log(120), minseg=5)

    def steps(r):
        return np.r_[r.normal(0, 1, 60), r.normal(1.5, 1, 60), r.normal(-0.5, 1, 90),
                     r.normal(1, 1, 50), r.normal(3, 1, 40)]
    add("mean_model_sigma1", "mean only, sigma2 = 1, n = 300, four steps, "
        "minseglen 1, penalty 2 ln n", 208, steps, model="mean",
        pen=2 * math.log(300), minseg=1, sigma2=1.0)
    add("mean_model_sigma_small", "the same series (seed 208), mean only, "
        "sigma2 = 0.25 (overstated precision: more changes), minseglen 3, "
        "penalty 2 ln n", 208, steps, model="mean", pen=2 * math.log(300),
        minseg=3, sigma2=0.25)

    def long(r):
        lens = [150, 250, 100, 200, 180, 120]
        mus = [5.0, 5.4, 5.0, 6.0, 5.2, 5.2]
        sds = [0.2, 0.2, 0.4, 0.2, 0.2, 0.6]
        return np.concatenate([r.normal(m, s, k) for k, m, s in zip(lens, mus, sds)])
    add("n1000_six_segments", "n = 1000, six segments, penalty 15 ln n", 209,
        long, truth=[150, 400, 500, 700, 880], truth_tol=5)
    add("n1000_flat", "n = 1000 N(10, 0.1^2): no change; nothing is pruned, "
        "the slowest case", 210, lambda r: r.normal(10, 0.1, 1000))
    return cases


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_path = os.path.join(root, "tests", "fixtures", "changepoint_reference.json")
    out = {
        "generator": "scripts/fixtures_changepoint.py (run with /usr/bin/python3)",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pelt_reference": "optimal partitioning by brute force (O(n^2) DP), "
                          "segment costs from np.var of each segment",
        "var_floor_relative": VAR_FLOOR,
        "pelt": [],
    }
    for c in pelt_cases():
        x = c["x"]
        cpts, cost = optimal_partitioning(x, c["model"], c["pen"], c["minseg"], c["sigma2"])
        if c["truth_tol"] is not None and (
                len(cpts) != len(c["truth"]) or
                any(abs(a - b) > c["truth_tol"] for a, b in zip(cpts, c["truth"]))):
            sys.exit(f"pelt {c['name']}: found {cpts}, truth {c['truth']} +- {c['truth_tol']}")
        out["pelt"].append(dict(
            name=c["name"], description=c["description"], seed=c["seed"],
            model=c["model"], penalty=c["pen"], minseglen=c["minseg"],
            sigma2=c["sigma2"] or 0.0, x=[float(v) for v in x],
            truth=c["truth"], truth_tol=c["truth_tol"] if c["truth_tol"] is not None else -1,
            cpts=cpts, cost=cost, sigma2_diff=sigma2_diff(x)))
        print(f"pelt {c['name']:24s} n={len(x)} cpts={cpts} cost={cost:.10g}",
              file=sys.stderr)
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
