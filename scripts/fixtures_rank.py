#!/usr/bin/python3
# fixtures_rank.py: writes tests/fixtures/rank_reference.json, the independent
# reference values tests/test_rank.c checks eval/ev_rank.c against.
#
# Needs Debian's python3-numpy and python3-scipy (run with /usr/bin/python3:
# a `python3` earlier on PATH may lack scipy) and Debian's r-base-core, which
# provides Rscript (apt-get install python3-numpy python3-scipy r-base-core):
#
#     /usr/bin/python3 scripts/fixtures_rank.py         # from the repository root
#
# `make test` does not need any of this: the JSON is committed. Rerun only to
# add a case or change a reference, and commit the scripts and JSON together.
# The output is deterministic for given numpy/scipy/R versions (recorded in
# the JSON): every sample comes from numpy's seeded generator.
#
# Where each expected value comes from:
#   Mann-Whitney U and p (exact / asymptotic with tie and continuity
#     correction): scipy.stats.mannwhitneyu(y, x, method=...); the AUTO p:
#     R's wilcox.test(y, x) with its default exact/normal rule. Cross-checked
#     against R's wilcox.test(y, x, exact = TRUE / FALSE).
#   Welch t and p: scipy.stats.ttest_ind(y, x, equal_var=False); df: R's
#     t.test(y, x)$parameter; both cross-checked against the other.
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import scipy
import scipy.stats as ss

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
R_SCRIPT = os.path.join(ROOT, "scripts", "fixtures_rank.R")
OUT = os.path.join(ROOT, "tests", "fixtures", "rank_reference.json")

AUTO_EXACT_BELOW = 50   # ev_rank.h
EXACT_MAX = 100         # ev_rank.h EV_RANK_EXACT_MAX
CROSS_TOL = 1e-9        # R vs scipy, relative


def two_sample_cases():
    """(name, description, x, y); x is the baseline A, y the candidate B,
    so U above mn/2 means y tends to be larger."""
    cases = []

    def add(name, desc, seed, draw):
        rng = np.random.default_rng(seed)
        x, y = draw(rng)
        cases.append((name, desc, np.asarray(x, float), np.asarray(y, float)))

    add("n3_shift", "m = n = 3, y shifted by 2 sd: exact, too small for 95% "
        "(k = 1, coverage 0.9)", 201,
        lambda r: (r.normal(10, 1, 3), r.normal(12, 1, 3)))
    add("n5_null", "m = n = 5, same distribution: p near 1", 202,
        lambda r: (r.normal(10, 1, 5), r.normal(10, 1, 5)))
    add("n8_shift", "m = n = 8, shift of 1.5 sd: exact", 203,
        lambda r: (r.normal(1.0, 0.1, 8), r.normal(1.15, 0.1, 8)))
    add("n8x5_level90", "m = 8, n = 5, level 0.90, y lower", 204,
        lambda r: (r.normal(50, 4, 8), r.normal(45, 4, 5)))
    add("n20_shift_level99", "m = n = 20, shift of 2 sd, level 0.99: exact, "
        "p ~ 1e-7", 205,
        lambda r: (r.normal(100, 5, 20), r.normal(110, 5, 20)))
    add("n22_separated", "m = n = 22, every y above every x: exact p = "
        "2/C(44,22) ~ 1e-12", 206,
        lambda r: (r.uniform(0, 1, 22), r.uniform(1.5, 2.5, 22)))
    add("n49_exact_edge", "m = n = 49: the largest exact size under AUTO", 207,
        lambda r: (r.lognormal(0, 0.2, 49), r.lognormal(0.1, 0.2, 49)))
    add("n50x10_normal_edge", "m = 50, n = 10: AUTO switches to the normal "
        "approximation", 208,
        lambda r: (r.normal(0, 1, 50), r.normal(0.8, 1, 10)))
    add("n60_shift", "m = n = 60, shift of 0.5 sd: normal approximation", 209,
        lambda r: (r.normal(20, 2, 60), r.normal(21, 2, 60)))
    add("n200_shift", "m = n = 200 lognormal run times, shift: p ~ 1e-12", 210,
        lambda r: (r.lognormal(np.log(1.2), 0.3, 200),
                   r.lognormal(np.log(1.2) + 0.21, 0.3, 200)))
    add("n200_null", "m = n = 200, same distribution", 211,
        lambda r: (r.normal(5, 1, 200), r.normal(5, 1, 200)))
    add("unequal_5x60", "m = 5, n = 60: normal interval, exact p still "
        "offered", 212,
        lambda r: (r.normal(3, 1, 5), r.normal(4, 1, 60)))
    add("negative_n30x28", "m = 30, n = 28, negative values", 213,
        lambda r: (r.normal(-5, 2, 30), r.normal(-4, 2, 28)))

    def grid(r):
        return (10 + 0.5 * r.integers(0, 9, 40), 10.5 + 0.5 * r.integers(0, 9, 35))
    add("ties_grid_40x35", "m = 40, n = 35 on a 0.5 grid: ties within and "
        "between samples", 214, grid)

    def between(r):
        # x on the 0.25 grid, y's own values on the grid offset by 0.125, so
        # neither sample repeats a value; then 4 values of x are added to y
        x = 0.25 * r.permutation(np.arange(1, 60))[:12]
        y = np.concatenate([0.125 + 0.25 * r.permutation(np.arange(4, 64))[:6],
                            x[:4]])
        return x, y
    add("between_ties_12x10", "m = 12, n = 10, no ties within a sample, 4 "
        "values shared: ev_rank's interval stays exact, R's goes normal", 215,
        between)
    add("n4_balanced", "m = n = 4 interleaved so that U = mn/2: p = 1 "
        "exactly, both exact and asymptotic", 0,
        lambda r: ([1.0, 4.0, 5.0, 8.0], [2.0, 3.0, 6.0, 7.0]))
    add("const_x_6x7", "x constant (6 times 5.0), y varies: ties in x; Welch "
        "with one zero variance", 216,
        lambda r: (np.full(6, 5.0), np.round(r.normal(6, 1, 7), 3)))
    add("m1_n4", "m = 1, n = 4: 4 differences, exact, coverage 0.6", 217,
        lambda r: (r.normal(0, 1, 1), r.normal(1, 1, 4)))
    return cases


def hexs(v):
    return " ".join(float(t).hex() for t in v)


def run_r(two):
    with tempfile.TemporaryDirectory() as tmp:
        fin = os.path.join(tmp, "cases.txt")
        fout = os.path.join(tmp, "values.txt")
        with open(fin, "w") as f:
            for name, _, x, y in two:
                f.write(f"case {name}\nx {hexs(x)}\ny {hexs(y)}\nend\n")
        subprocess.run(["Rscript", R_SCRIPT, fin, fout], check=True)
        vals = {}
        with open(fout) as f:
            for line in f:
                name, key, value = line.split()
                if value in ("true", "false"):
                    value = value == "true"
                elif value.startswith(("0x", "-0x")):
                    value = float.fromhex(value)
                vals.setdefault(name, {})[key] = value
    return vals


def close(a, b, tol=CROSS_TOL):
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-300)


def check(cond, msg):
    if not cond:
        sys.exit(f"fixtures_rank: cross-check failed: {msg}")


def two_sample_entry(name, desc, x, y, r):
    m, n = len(x), len(y)
    pooled_ties = len(np.unique(np.r_[x, y])) < m + n
    auto_exact = m < AUTO_EXACT_BELOW and n < AUTO_EXACT_BELOW and not pooled_ties
    check(auto_exact == r["r_exact"], f"{name}: AUTO rule vs R's choice")

    asy = ss.mannwhitneyu(y, x, method="asymptotic", use_continuity=True)
    check(asy.statistic == r["r_W"], f"{name}: U scipy {asy.statistic} vs R {r['r_W']}")
    check(close(asy.pvalue, r["r_p_asymptotic"]), f"{name}: asymptotic p "
          f"scipy {asy.pvalue!r} vs R {r['r_p_asymptotic']!r}")
    mwu = {"u": float(asy.statistic), "p_asymptotic": float(asy.pvalue),
           "z_abs": float(ss.norm.isf(asy.pvalue / 2)),
           "p_exact": None, "p_auto": r["r_p_auto"], "auto_exact": auto_exact}
    if not pooled_ties and max(m, n) <= EXACT_MAX:
        ex = ss.mannwhitneyu(y, x, method="exact")
        mwu["p_exact"] = float(ex.pvalue)
        if "r_p_exact" in r:
            check(close(ex.pvalue, r["r_p_exact"]), f"{name}: exact p scipy "
                  f"{ex.pvalue!r} vs R {r['r_p_exact']!r}")
    welch = None
    if "r_welch_t" in r:
        with warnings.catch_warnings():
            # scipy warns that a constant sample has no variance: expected
            warnings.simplefilter("ignore", RuntimeWarning)
            tt = ss.ttest_ind(y, x, equal_var=False)
        a, b = np.var(x, ddof=1) / m, np.var(y, ddof=1) / n
        df = (a + b) ** 2 / (a * a / (m - 1) + b * b / (n - 1))
        check(close(tt.statistic, r["r_welch_t"]), f"{name}: Welch t")
        check(close(tt.pvalue, r["r_welch_p"], 1e-8), f"{name}: Welch p "
              f"scipy {tt.pvalue!r} vs R {r['r_welch_p']!r}")
        check(close(df, r["r_welch_df"]), f"{name}: Welch df")
        welch = {"t": float(tt.statistic), "df": r["r_welch_df"],
                 "p": float(tt.pvalue)}
    return {"name": name, "description": desc,
            "x": [float(v) for v in x], "y": [float(v) for v in y],
            "mwu": mwu, "welch": welch}


def report(entry):
    t = entry["mwu"]
    print(f"two {entry['name']:22s} p_asy={t['p_asymptotic']:.3g} "
          f"p_exact={t['p_exact'] if t['p_exact'] is None else format(t['p_exact'], '.3g')} "
          f"p_auto={t['p_auto']:.3g}", file=sys.stderr)


def main():
    two = two_sample_cases()
    vals = run_r(two)
    out = {
        "generator": "scripts/fixtures_rank.py + scripts/fixtures_rank.R "
                     "(run with /usr/bin/python3)",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "R": vals["R_version"]["-"].replace("_", " "),
        "two_sample": [],
    }
    for name, desc, x, y in two:
        e = two_sample_entry(name, desc, x, y, vals[name])
        out["two_sample"].append(e)
        report(e)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
