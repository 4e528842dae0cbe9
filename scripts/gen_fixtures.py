#!/usr/bin/python3
# gen_fixtures.py: writes tests/fixtures/stats_reference.json, the independent
# reference values tests/test_stats.c checks the st_ statistics against.
#
# Run it with Debian's interpreter, which has Debian's numpy and scipy
# (apt-get install python3-numpy python3-scipy); a `python3` earlier on PATH
# may be another build without scipy:
#
#     /usr/bin/python3 scripts/gen_fixtures.py            # from the repository root
#
# The output is deterministic for given numpy/scipy versions (both are recorded
# in the JSON): every sample and the bootstrap come from numpy's seeded
# generator. Regenerate only when adding a case or changing the reference
# method, and commit the script and the JSON together.
#
# References: mean, sd (ddof=1), median, quantiles (Hyndman & Fan type 7,
# numpy "linear"): numpy. MAD scaled to sigma: scipy.stats.median_abs_deviation
# (scale='normal'). One-sample two-sided t-test: scipy.stats.ttest_1samp.
# Percentile bootstrap of the mean (Efron & Tibshirani 1993, ch. 13):
# scipy.stats.bootstrap with 100,000 resamples -- a Monte Carlo value, so the
# test compares with a tolerance; `mc_check` records how far independent
# B = 10,000 bootstraps (the size the C test uses) actually fall from it.
import json
import os
import platform
import sys

import numpy as np
import scipy
import scipy.stats as ss

QUANTILE_P = [0.0, 0.1, 0.25, 0.5, 0.9, 1.0]
BOOT_LEVEL = 0.95
BOOT_RESAMPLES = 100000
# Monte Carlo check of the C test's bootstrap tolerance (see test_stats.c).
MC_B = 10000
MC_REPS = 200
MC_TOL_WIDTH = 0.05   # the C test's tolerance, as a share of the interval width


def gen_cases():
    """(name, description, seed, x, target two-sided p for choosing mu0,
    sign of t). Some cases put mu0 above the mean so t < 0 is covered."""
    cases = []

    def add(name, desc, seed, draw, target_p, t_sign=1):
        rng = np.random.default_rng(seed)
        x = np.asarray(draw(rng), dtype=np.float64)
        cases.append((name, desc, seed, x, target_p, t_sign))

    add("n2_normal", "n = 2, normal(10, 1): the smallest sample sd and the "
        "t-test accept (df = 1)", 101,
        lambda r: r.normal(10.0, 1.0, 2), 0.5)
    add("n3_uniform", "n = 3, uniform(0.5, 1.5): odd n, median is the middle "
        "value", 102, lambda r: r.uniform(0.5, 1.5, 3), 0.05, -1)
    add("n5_exponential", "n = 5, 1 + exponential(0.2): skewed, small odd n",
        103, lambda r: 1.0 + r.exponential(0.2, 5), 0.01)
    add("n30_lognormal", "n = 30, lognormal(ln 1.2, 0.3): run times in "
        "seconds, right-skewed", 104,
        lambda r: r.lognormal(np.log(1.2), 0.3, 30), 1e-4)
    add("n200_normal", "n = 200, normal(100, 5): large n, t-test p ~ 1e-25",
        105, lambda r: r.normal(100.0, 5.0, 200), 1e-25)

    # Ties: values on a 0.5 grid, so the median, the quantiles and the MAD
    # land on repeated values and on midpoints between them.
    add("ties_n40", "n = 40, integers 10..16 in steps of 0.5: many ties", 106,
        lambda r: 10.0 + 0.5 * r.integers(0, 13, 40), 0.2)

    # Heavy tails: Student t with 3 df plus two outliers at +25 and -15, so the
    # mean and sd are pulled while the median and MAD are not. The outliers are
    # moderate on purpose: far-off outliers make the bootstrap distribution of
    # the mean a mixture of separated bumps (by how often an outlier is drawn),
    # and a percentile endpoint between bumps is a Monte Carlo lottery.
    def heavy(r):
        x = 5.0 + r.standard_t(3, 50)
        x[7] = 30.0 + r.uniform()
        x[31] = -10.0 - r.uniform()
        return x
    add("heavy_tail_n50", "n = 50, 5 + t(3) with outliers near +30 and -10",
        107, heavy, 0.8, -1)

    add("negative_n25", "n = 25, normal(-5, 3): negative and mixed-sign "
        "values", 108, lambda r: r.normal(-5.0, 3.0, 25), 1e-10, -1)
    return cases


def pick_mu0(x, target_p, t_sign):
    """A readable mu0 (4 significant digits) whose two-sided p is near
    target_p and whose t has sign t_sign, so the cases spread p from ~0.8
    down to ~1e-25 on both sides."""
    n = len(x)
    se = np.std(x, ddof=1) / np.sqrt(n)
    t = ss.t.isf(target_p / 2.0, n - 1)
    return float(f"{np.mean(x) - t_sign * t * se:.4g}")


def boot_mean(x, n_resamples, seed):
    res = ss.bootstrap((x,), np.mean, n_resamples=n_resamples, batch=10000,
                       vectorized=True, axis=-1, confidence_level=BOOT_LEVEL,
                       method="percentile", random_state=seed)
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def mc_check(x, ref_lo, ref_hi, seed):
    """Percentile intervals from MC_REPS independent B = MC_B bootstraps
    (numpy, type 7 quantiles): the spread of an endpoint at the C test's B and
    its largest distance from the reference, both as shares of the width."""
    rng = np.random.default_rng(seed)
    n = len(x)
    a = (1.0 - BOOT_LEVEL) / 2.0
    lo = np.empty(MC_REPS)
    hi = np.empty(MC_REPS)
    for k in range(MC_REPS):
        means = x[rng.integers(0, n, (MC_B, n))].mean(axis=1)
        lo[k], hi[k] = np.quantile(means, [a, 1.0 - a])
    w = ref_hi - ref_lo
    return {
        "B": MC_B,
        "reps": MC_REPS,
        "sd_lo_over_width": float(np.std(lo, ddof=1) / w),
        "sd_hi_over_width": float(np.std(hi, ddof=1) / w),
        "max_dev_over_width": float(max(np.max(np.abs(lo - ref_lo)),
                                        np.max(np.abs(hi - ref_hi))) / w),
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_path = os.path.join(root, "tests", "fixtures", "stats_reference.json")
    out = {
        "generator": "scripts/gen_fixtures.py (run with /usr/bin/python3)",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "quantile_method": "numpy.quantile method='linear' (Hyndman & Fan type 7)",
        "mad_scale": "scipy.stats.median_abs_deviation scale='normal'",
        "bootstrap": {"method": "percentile", "statistic": "mean",
                      "n_resamples": BOOT_RESAMPLES, "level": BOOT_LEVEL},
        "cases": [],
    }
    worst_sd = 0.0
    for name, desc, seed, x, target_p, t_sign in gen_cases():
        mu0 = pick_mu0(x, target_p, t_sign)
        tt = ss.ttest_1samp(x, mu0, alternative="two-sided")
        lo, hi = boot_mean(x, BOOT_RESAMPLES, seed + 1000)
        chk = mc_check(x, lo, hi, seed + 2000)
        worst_sd = max(worst_sd, chk["sd_lo_over_width"], chk["sd_hi_over_width"])
        out["cases"].append({
            "name": name,
            "description": desc,
            "seed": seed,
            "n": int(len(x)),
            "x": [float(v) for v in x],
            "mean": float(np.mean(x)),
            "sd": float(np.std(x, ddof=1)),
            "median": float(np.median(x)),
            "mad": float(ss.median_abs_deviation(x, scale="normal")),
            "quantiles": [{"p": p, "q": float(np.quantile(x, p, method="linear"))}
                          for p in QUANTILE_P],
            "min": float(np.min(x)),
            "max": float(np.max(x)),
            "ttest_one": {"mu0": mu0, "t": float(tt.statistic),
                          "p": float(tt.pvalue)},
            "boot_percentile_mean": {"level": BOOT_LEVEL, "lo": lo, "hi": hi,
                                     "seed": seed + 1000, "mc_check": chk},
        })
        print(f"{name:16s} n={len(x):3d} t={tt.statistic:+.4g} p={tt.pvalue:.3g} "
              f"boot=[{lo:.6g}, {hi:.6g}] sd/w={chk['sd_lo_over_width']:.4f},"
              f"{chk['sd_hi_over_width']:.4f} "
              f"maxdev/w={chk['max_dev_over_width']:.4f}", file=sys.stderr)
    # The C test allows MC_TOL_WIDTH of the width. For a correct
    # implementation with any seed to pass, that must be >= 5 Monte Carlo sds
    # of an endpoint (two-sided normal tail 6e-7) in every case.
    if MC_TOL_WIDTH < 5 * worst_sd:
        sys.exit(f"gen_fixtures: an endpoint of a B={MC_B} bootstrap has sd "
                 f"{worst_sd:.4f} of the width: the test tolerance "
                 f"{MC_TOL_WIDTH} is too tight for some case")
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
