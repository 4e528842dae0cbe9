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
# It takes a few minutes (the permutation p-values). The output is
# deterministic for given numpy/scipy versions (recorded in the JSON).
#
# Why no R: the methods are specified as R's changepoint (cpt.meanvar /
# cpt.mean, test.stat "Normal", method "PELT") and ecp (e.divisive), but
# Debian packages neither (bookworm: no r-cran-changepoint, no r-cran-ecp).
# So both references are written here, independently of the C code and by a
# different route:
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
#  - E-Divisive means (Matteson & James 2014, alpha = 1), following ecp's
#    e.divisive: the statistic of every (tau, kappa) of a segment from
#    rectangle sums of a 2-D cumulative sum of the full distance matrix
#    (checked here against plain loops on small inputs), the first maximum in
#    (tau, kappa) order; bisection of the segment with the largest maximum;
#    p = (1 + #{q* >= q}) / (R + 1) over permutations within the current
#    segments. The p-values are Monte Carlo. The reference runs REF_R = 9999
#    permutations per test (numpy's generator, not GSL's), and the C test,
#    with R = 199 and its own seed, must land within
#        tol = 5 sqrt(p (1 - p) (1/199 + 1/REF_R)) + 1/200
#    of it (5 binomial sds of the two estimates, plus the +1 in the
#    numerator, which moves the expectation by (1 - p)/(R + 1)). The script
#    checks that tolerance with MC_REPS runs of the whole procedure at
#    R = 199 (other seeds), and that every case's decisions are not a
#    coin toss: significant tests have p_ref <= 0.001, the final one >= 0.2.
import json
import math
import os
import platform
import sys

import numpy as np
import scipy
import scipy.stats as ss

VAR_FLOOR = 1e-11       # ST_PELT_VAR_FLOOR, relative to var(x)
C_R = 199               # permutations in the C test
REF_R = 9999            # permutations of the reference p-values
MC_REPS = 40            # whole-procedure runs at C_R to check the tolerance
SIG = 0.05


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


# ---- E-Divisive reference -------------------------------------------------

def split_table(y, m):
    """q̂ for every admissible (tau, kappa) of y, -inf elsewhere: rows tau =
    0..L, columns kappa = 0..L."""
    L = len(y)
    D = np.abs(y[:, None] - y[None, :])
    P = np.zeros((L + 1, L + 1))
    P[1:, 1:] = D.cumsum(axis=0).cumsum(axis=1)

    def box(a0, a1, b0, b1):  # sum D[a0:a1, b0:b1]
        return P[a1, b1] - P[a0, b1] - P[a1, b0] + P[a0, b0]

    tau, kappa = np.meshgrid(np.arange(L + 1), np.arange(L + 1), indexing="ij")
    ok = (tau >= m) & (kappa - tau >= m)
    t = np.where(ok, tau, 2).astype(float)
    k = np.where(ok, kappa, 4)
    mm = (k - np.where(ok, tau, 2)).astype(float)
    ti = t.astype(int)
    A = box(0, ti, 0, ti) / 2.0
    B = box(ti, k, ti, k) / 2.0
    AB = box(0, ti, ti, k)
    q = (t * mm / (t + mm)) * (2 * AB / (t * mm) - 2 * B / (mm * (mm - 1))
                               - 2 * A / (t * (t - 1)))
    return np.where(ok, q, -np.inf)


def best_split(y, m):
    q = split_table(y, m)
    i = int(np.argmax(q))  # first maximum in row-major (tau, kappa) order
    tau, kappa = divmod(i, len(y) + 1)
    return tau, kappa, float(q[tau, kappa])


def brute_qhat(y, tau, kappa):
    """Matteson & James eq. 5-6 with plain loops."""
    X, Y = y[:tau], y[tau:kappa]
    t, m = len(X), len(Y)
    between = sum(abs(a - b) for a in X for b in Y)
    wx = sum(abs(X[i] - X[j]) for i in range(t) for j in range(i + 1, t))
    wy = sum(abs(Y[i] - Y[j]) for i in range(m) for j in range(i + 1, m))
    e = 2 * between / (t * m) - wx / math.comb(t, 2) - wy / math.comb(m, 2)
    return t * m / (t + m) * e


def self_check_split():
    rng = np.random.default_rng(1)
    for L, m in [(12, 2), (17, 3), (25, 5)]:
        y = rng.normal(0, 1, L)
        q = split_table(y, m)
        for tau in range(L + 1):
            for kappa in range(L + 1):
                if tau >= m and kappa - tau >= m:
                    b = brute_qhat(y, tau, kappa)
                    assert abs(q[tau, kappa] - b) <= 1e-12 * max(1, abs(b)), (L, tau, kappa)
                else:
                    assert q[tau, kappa] == -np.inf


def best_over_segments(y, bounds, m):
    best = None
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - a < 2 * m:
            continue
        tau, kappa, q = best_split(y[a:b], m)
        if best is None or q > best[2]:
            best = (a + tau, a + kappa, q)
    return best


def perm_pvalue(x, bounds, m, q, R, rng):
    y = x.copy()
    over = 0
    for _ in range(R):
        for a, b in zip(bounds[:-1], bounds[1:]):
            if b - a >= 2 * m:
                y[a:b] = rng.permutation(y[a:b])
        if best_over_segments(y, bounds, m)[2] >= q:
            over += 1
    return (1 + over) / (R + 1)


def edivisive(x, m, R, rng, sig=SIG):
    bounds = [0, len(x)]
    tests = []
    while True:
        best = best_over_segments(x, bounds, m)
        if best is None:
            break
        p = perm_pvalue(x, bounds, m, best[2], R, rng)
        tests.append(dict(found=best[0], stat=best[2], pvalue=p))
        if p > sig:
            break
        bounds = sorted(bounds + [best[0]])
    return bounds[1:-1], tests


def pvalue_tol(p):
    return 5 * math.sqrt(p * (1 - p) * (1.0 / C_R + 1.0 / REF_R)) + 1.0 / (C_R + 1)


def second_best_gap(y, m):
    q = split_table(y, m).ravel()
    top = np.sort(q[np.isfinite(q)])[-2:]
    return float((top[1] - top[0]) / abs(top[1]))


def split_cases():
    out = []

    def add(name, desc, seed, draw, m):
        x = np.asarray(draw(np.random.default_rng(seed)), dtype=np.float64)
        tau, kappa, q = best_split(x, m)
        gap = second_best_gap(x, m)
        if gap < 1e-9:
            sys.exit(f"{name}: best and second-best q̂ within {gap:.2g}: pick another seed")
        out.append(dict(name=name, description=desc, seed=seed, min_size=m,
                        x=[float(v) for v in x], tau=tau, kappa=kappa, qhat=q,
                        gap_to_second=gap, qhat_loops=brute_qhat(x, tau, kappa)))
        print(f"split {name:20s} n={len(x)} tau={tau} kappa={kappa} q={q:.10g} "
              f"gap={gap:.2g}", file=sys.stderr)

    add("normal_n37_m2", "37 N(0,1), min_size 2 (the smallest)", 301,
        lambda r: r.normal(0, 1, 37), 2)
    add("step_n60_m5", "30 N(0,1) then 30 N(2,1), min_size 5", 302,
        lambda r: np.r_[r.normal(0, 1, 30), r.normal(2, 1, 30)], 5)
    add("bump_n80_m8", "a bump: 30 N(0,1), 20 N(3,1), 30 N(0,1), min_size 8: "
        "kappa < n pays off", 303,
        lambda r: np.r_[r.normal(0, 1, 30), r.normal(3, 1, 20), r.normal(0, 1, 30)], 8)
    add("lognormal_n120_m30", "120 lognormal(0, 1), min_size 30 (ecp's default)",
        304, lambda r: r.lognormal(0, 1, 120), 30)
    add("offset_n50_m4", "1e6 + 50 N(0,1) with a 0.8 step at 25: large values",
        305, lambda r: 1e6 + np.r_[r.normal(0, 1, 25), r.normal(0.8, 1, 25)], 4)
    return out


def edivisive_cases():
    out = []

    def add(name, desc, seed, draw, m, truth, truth_tol):
        x = np.asarray(draw(np.random.default_rng(seed)), dtype=np.float64)
        cpts, tests = edivisive(x, m, REF_R, np.random.default_rng(seed + 1000))
        for k, t in enumerate(tests):
            last = k == len(tests) - 1 and t["pvalue"] > SIG
            if (not last and t["pvalue"] > 0.001) or (last and t["pvalue"] < 0.2):
                sys.exit(f"{name}: test {k} has p_ref = {t['pvalue']}: the C "
                         "decision would be a coin toss; pick another seed")
            t["tol"] = pvalue_tol(t["pvalue"])
        if len(cpts) != len(truth) or any(abs(a - b) > truth_tol
                                          for a, b in zip(cpts, truth)):
            sys.exit(f"{name}: reference found {cpts}, truth {truth} +- {truth_tol}")
        # The tolerance at C_R permutations, seen over whole runs.
        worst = 0.0
        mrng = np.random.default_rng(seed + 2000)
        for _ in range(MC_REPS):
            c2, t2 = edivisive(x, m, C_R, mrng)
            if c2 != cpts or len(t2) != len(tests):
                sys.exit(f"{name}: a run at R = {C_R} found {c2}, not {cpts}")
            for a, b in zip(t2, tests):
                worst = max(worst, abs(a["pvalue"] - b["pvalue"]) / b["tol"])
        if worst > 1.0:
            sys.exit(f"{name}: a run at R = {C_R} fell outside the p-value tolerance")
        out.append(dict(name=name, description=desc, seed=seed, min_size=m,
                        sig_level=SIG, permutations=C_R, x=[float(v) for v in x],
                        truth=truth, truth_tol=truth_tol, cpts=cpts, tests=tests,
                        ref_permutations=REF_R,
                        mc_check=dict(reps=MC_REPS, permutations=C_R,
                                      max_dev_over_tol=worst)))
        print(f"edivisive {name:14s} cpts={cpts} p={[t['pvalue'] for t in tests]} "
              f"worst dev/tol={worst:.3f}", file=sys.stderr)

    add("mean_step", "50 N(0,1) then 50 N(3,1), min_size 10", 402,
        lambda r: np.r_[r.normal(0, 1, 50), r.normal(3, 1, 50)], 10, [50], 1)
    add("variance_step", "100 N(0,1) then 100 N(0,4^2), min_size 20", 402,
        lambda r: np.r_[r.normal(0, 1, 100), r.normal(0, 4, 100)], 20, [100], 5)
    add("warmup", "10 N(1.3, 0.05^2) then 90 N(1.0, 0.01^2), min_size 5", 404,
        lambda r: np.r_[r.normal(1.3, 0.05, 10), r.normal(1.0, 0.01, 90)], 5, [10], 0)
    add("flat", "100 N(0,1), min_size 10: no change", 406,
        lambda r: r.normal(0, 1, 100), 10, [], 0)
    add("two_steps", "60 N(0,1), 60 N(2.5,1), 60 N(0.5,1), min_size 15", 404,
        lambda r: np.r_[r.normal(0, 1, 60), r.normal(2.5, 1, 60), r.normal(0.5, 1, 60)],
        15, [60, 120], 2)
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_path = os.path.join(root, "tests", "fixtures", "changepoint_reference.json")
    self_check_split()
    out = {
        "generator": "scripts/fixtures_changepoint.py (run with /usr/bin/python3)",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pelt_reference": "optimal partitioning by brute force (O(n^2) DP), "
                          "segment costs from np.var of each segment",
        "edivisive_reference": "numpy re-implementation of ecp::e.divisive, "
                               "alpha = 1",
        "var_floor_relative": VAR_FLOOR,
        "pelt": [],
        "edivisive_split": split_cases(),
        "edivisive": [],
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
    out["edivisive"] = edivisive_cases()
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
