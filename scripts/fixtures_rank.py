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
#   Signed-rank W+ and p: R's wilcox.test(d) (V, default rule); p exact and
#     asymptotic: scipy.stats.wilcoxon(d, method='exact' / 'approx',
#     correction=True, zero_method='wilcox'), cross-checked against R.
#   Welch t and p: scipy.stats.ttest_ind(y, x, equal_var=False); df: R's
#     t.test(y, x)$parameter; both cross-checked against the other.
#   Hodges-Lehmann estimate, interval, k, coverage: ev_rank's rule computed by
#     brute force in R (scripts/fixtures_rank.R: sort every difference,
#     qwilcox/qsignrank or the normal rule), and R's own wilcox.test(...,
#     conf.int = TRUE) recorded beside it with a flag saying whether
#     ev_rank's rule and R's coincide for that case (see ev_rank.h for where
#     they differ on purpose). Where they coincide this script checks that the
#     brute force and wilcox.test agree to 1e-9, so the derivation of the
#     normal-approximation k from R's uniroot inversion is tested on every
#     such case; the numpy median of the differences is checked too.
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
CROSS_TOL = 1e-9        # R vs scipy vs brute force, relative


def two_sample_cases():
    """(name, description, level, x, y); x is the baseline A, y the
    candidate B, so a positive shift means y is larger."""
    cases = []

    def add(name, desc, seed, draw, level=0.95):
        rng = np.random.default_rng(seed)
        x, y = draw(rng)
        cases.append((name, desc, level, np.asarray(x, float), np.asarray(y, float)))

    add("n3_shift", "m = n = 3, y shifted by 2 sd: exact, too small for 95% "
        "(k = 1, coverage 0.9)", 201,
        lambda r: (r.normal(10, 1, 3), r.normal(12, 1, 3)))
    add("n5_null", "m = n = 5, same distribution: p near 1", 202,
        lambda r: (r.normal(10, 1, 5), r.normal(10, 1, 5)))
    add("n8_shift", "m = n = 8, shift of 1.5 sd: exact", 203,
        lambda r: (r.normal(1.0, 0.1, 8), r.normal(1.15, 0.1, 8)))
    add("n8x5_level90", "m = 8, n = 5, level 0.90, y lower", 204,
        lambda r: (r.normal(50, 4, 8), r.normal(45, 4, 5)), 0.90)
    add("n20_shift_level99", "m = n = 20, shift of 2 sd, level 0.99: exact, "
        "p ~ 1e-7", 205,
        lambda r: (r.normal(100, 5, 20), r.normal(110, 5, 20)), 0.99)
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


def paired_cases():
    """(name, description, level, d)."""
    cases = []

    def add(name, desc, seed, draw, level=0.95):
        rng = np.random.default_rng(seed)
        cases.append((name, desc, level, np.asarray(draw(rng), float)))

    add("p3", "n = 3: exact, k = 1 (coverage 0.75)", 301,
        lambda r: r.normal(1, 1, 3))
    add("p5_null", "n = 5 centred at 0", 302, lambda r: r.normal(0, 1, 5))
    add("p8_shift", "n = 8 log-ratios shifted by -0.05", 303,
        lambda r: r.normal(-0.05, 0.03, 8))
    add("p20_level90", "n = 20, level 0.90", 304,
        lambda r: r.normal(0.3, 1, 20), 0.90)
    add("p40_all_positive", "n = 40 all positive: exact p = 2^-39 ~ 2e-12",
        305, lambda r: r.uniform(0.5, 3, 40))
    add("p49_exact_edge", "n = 49: the largest exact size under AUTO", 306,
        lambda r: r.normal(0.2, 1, 49))
    add("p60_shift", "n = 60: normal approximation", 307,
        lambda r: r.normal(0.3, 1, 60))
    add("p200_shift", "n = 200 log-ratios: p ~ 1e-12", 308,
        lambda r: r.normal(-0.01, 0.02, 200))
    add("p200_null", "n = 200 centred at 0", 309,
        lambda r: r.standard_t(4, 200))
    add("p_ties_n31", "n = 31 on a 0.25 grid without 0: ties, normal", 310,
        lambda r: 0.25 * r.choice(np.r_[-6:0, 1:13], 31))
    add("p_zeros_n25", "n = 25 with 4 exact zeros: the test drops them, the "
        "Walsh averages keep them", 311,
        lambda r: np.concatenate([r.normal(0.5, 1, 21), np.zeros(4)]))

    def pm(r):
        v = r.permutation(np.arange(1, 60) / 8.0)[:13]
        return np.concatenate([v, -v[:2]])
    add("p_pm_pairs_n15", "n = 15 distinct values, two of them d_i = -d_j: "
        "ties of |d| for the test, none for the interval", 312, pm)
    add("p_negative_n30", "n = 30, mostly negative", 313,
        lambda r: r.normal(-2, 1.5, 30))
    return cases


def hexs(v):
    return " ".join(float(t).hex() for t in v)


def run_r(two, pair):
    with tempfile.TemporaryDirectory() as tmp:
        fin = os.path.join(tmp, "cases.txt")
        fout = os.path.join(tmp, "values.txt")
        with open(fin, "w") as f:
            for name, _, level, x, y in two:
                f.write(f"case {name} two {float(level).hex()}\n"
                        f"x {hexs(x)}\ny {hexs(y)}\nend\n")
            for name, _, level, d in pair:
                f.write(f"case {name} paired {float(level).hex()}\nd {hexs(d)}\nend\n")
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


def hl_entry(name, r, odd):
    """The ev_rank rule (R brute force) and wilcox.test beside it."""
    applies = r["_r_rule_applies"]
    est_applies = applies and (r["bf_exact"] or odd)
    if applies:
        for key in ("lo", "hi") + (("estimate",) if est_applies else ()):
            check(abs(r["r_" + key] - r["bf_" + key])
                  <= CROSS_TOL * max(1.0, abs(r["bf_" + key])),
                  f"{name}: wilcox.test {key} {r['r_' + key]!r} vs brute force "
                  f"{r['bf_' + key]!r}")
    return {
        "source": "brute force in R (sort, qwilcox/qsignrank, pnorm): "
                  "ev_rank's rule",
        "estimate": r["bf_estimate"], "lo": r["bf_lo"], "hi": r["bf_hi"],
        "k": int(r["bf_k"]), "n_pairs": int(r["bf_n_pairs"]),
        "exact": r["bf_exact"], "achieved": r["bf_achieved"],
        "r_wilcox": {
            "method": r["r_method"].replace("_", " "),
            "estimate": r["r_estimate"], "lo": r["r_lo"], "hi": r["r_hi"],
            "rule_applies": applies, "estimate_applies": est_applies,
        },
    }


def two_sample_entry(name, desc, level, x, y, r):
    m, n = len(x), len(y)
    D = np.subtract.outer(y, x).ravel()
    check(close(float(np.median(D)), r["bf_estimate"], 1e-12) or
          abs(np.median(D) - r["bf_estimate"]) < 1e-15,
          f"{name}: numpy median of differences")
    r["_r_rule_applies"] = r["r_exact"] == r["bf_exact"]
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
    return {"name": name, "description": desc, "level": level,
            "x": [float(v) for v in x], "y": [float(v) for v in y],
            "hl": hl_entry(name, r, (m * n) % 2 == 1),
            "mwu": mwu, "welch": welch}


def paired_entry(name, desc, level, d, r):
    n = len(d)
    iu = np.triu_indices(n)
    A = (np.add.outer(d, d)[iu]) / 2
    check(abs(np.median(A) - r["bf_estimate"]) <= 1e-12 * max(1, abs(r["bf_estimate"])),
          f"{name}: numpy median of Walsh averages")
    nz = d[d != 0]
    nu = len(nz)
    zeros = nu < n
    abs_ties = len(np.unique(np.abs(nz))) < nu
    r["_r_rule_applies"] = (not zeros) and r["r_exact"] == r["bf_exact"]
    auto_exact = nu < AUTO_EXACT_BELOW and not abs_ties and not zeros
    check(auto_exact == r["r_exact"], f"{name}: AUTO rule vs R's choice")

    ranks = ss.rankdata(np.abs(nz))
    w_plus = float(ranks[nz > 0].sum())
    check(w_plus == r["r_V"], f"{name}: W+ {w_plus} vs R's V {r['r_V']}")
    N = nu * (nu + 1) / 2
    with warnings.catch_warnings():
        # "sample size too small for normal approximation": wanted here
        warnings.simplefilter("ignore", UserWarning)
        asy = ss.wilcoxon(d, zero_method="wilcox", correction=True, method="approx")
    check(asy.statistic == min(w_plus, N - w_plus), f"{name}: scipy's T")
    check(close(asy.pvalue, r["r_p_asymptotic"]), f"{name}: asymptotic p "
          f"scipy {asy.pvalue!r} vs R {r['r_p_asymptotic']!r}")
    sr = {"w_plus": w_plus, "w_minus": N - w_plus, "n_used": nu,
          "p_asymptotic": float(asy.pvalue), "z_abs": float(abs(asy.zstatistic)),
          "p_exact": None, "p_auto": r["r_p_auto"], "auto_exact": auto_exact}
    if not zeros and not abs_ties and nu <= EXACT_MAX:
        ex = ss.wilcoxon(d, method="exact")
        sr["p_exact"] = float(ex.pvalue)
        if "r_p_exact" in r:
            check(close(ex.pvalue, r["r_p_exact"]), f"{name}: exact p scipy "
                  f"{ex.pvalue!r} vs R {r['r_p_exact']!r}")
    return {"name": name, "description": desc, "level": level,
            "d": [float(v) for v in d],
            "hl": hl_entry(name, r, (n * (n + 1) // 2) % 2 == 1),
            "signrank": sr}


def report(entry, kind):
    h = entry["hl"]
    rw = h["r_wilcox"]
    t = entry.get("mwu") or entry.get("signrank")
    print(f"{kind} {entry['name']:22s} HL {h['estimate']:+.5g} "
          f"[{h['lo']:.5g}, {h['hi']:.5g}] k={h['k']} exact={int(h['exact'])} "
          f"cov={h['achieved']:.4f} | R [{rw['lo']:.5g}, {rw['hi']:.5g}] "
          f"same_rule={int(rw['rule_applies'])} | p_asy={t['p_asymptotic']:.3g} "
          f"p_exact={t['p_exact'] if t['p_exact'] is None else format(t['p_exact'], '.3g')} "
          f"p_auto={t['p_auto']:.3g}", file=sys.stderr)


def main():
    two, pair = two_sample_cases(), paired_cases()
    vals = run_r(two, pair)
    out = {
        "generator": "scripts/fixtures_rank.py + scripts/fixtures_rank.R "
                     "(run with /usr/bin/python3)",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "R": vals["R_version"]["-"].replace("_", " "),
        "two_sample": [],
        "paired": [],
    }
    for name, desc, level, x, y in two:
        e = two_sample_entry(name, desc, level, x, y, vals[name])
        out["two_sample"].append(e)
        report(e, "two")
    for name, desc, level, d in pair:
        e = paired_entry(name, desc, level, d, vals[name])
        out["paired"].append(e)
        report(e, "pair")
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
