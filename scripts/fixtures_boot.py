#!/usr/bin/python3
# fixtures_boot.py: writes tests/fixtures/boot_reference.json, the independent
# reference values tests/test_boot.c checks the st_desc additions (CV, lag-1
# autocorrelation, modified z-scores) and the BCa bootstrap intervals of
# st_boot against.
#
# Run it with Debian's interpreter, which has Debian's numpy, scipy and
# statsmodels (apt-get install python3-numpy python3-scipy
# python3-statsmodels); a `python3` earlier on PATH may be another build:
#
#     /usr/bin/python3 scripts/fixtures_boot.py          # from the repository root
#
# make test does not need it: the JSON is committed. The output is
# deterministic for given numpy/scipy/statsmodels versions (recorded in the
# JSON): every sample and every bootstrap comes from numpy's seeded generator.
# Regenerate only when adding a case or changing a reference method, and
# commit the script and the JSON together. It takes a few minutes.
#
# References:
#   CV                     scipy.stats.variation(ddof=1)
#   lag-1 autocorrelation  statsmodels.tsa.stattools.acf(adjusted=False, fft=False)
#   modified z-scores      numpy median and scipy.stats.median_abs_deviation
#                          (scale=1), M = 0.6745 (x - med) / MAD (Iglewicz &
#                          Hoaglin 1993); MAD = 0: (x - med) / (1.253314 meanAD)
#   BCa, one sample        scipy.stats.bootstrap(method='BCa', 100,000
#                          resamples); the acceleration a, which involves no
#                          randomness, from this script's numpy jackknife,
#                          checked against scipy's own
#
# Monte Carlo tolerance: the C test allows TOL_WIDTH of the reference
# interval's width (see tests/test_boot.c for the derivation). `mc_check`
# records how far MC_REPS independent B = MC_B bootstraps (numpy, this
# script's implementation: the size the C test uses) fall from the reference;
# the script refuses to write a fixture where TOL_WIDTH would be under 5
# Monte Carlo sds of some endpoint, or of the BCa-minus-percentile shift the
# direction test uses.
import json
import os
import platform
import sys

import numpy as np
import scipy
import scipy.stats as ss
import statsmodels
from scipy.special import ndtr, ndtri
from statsmodels.tsa.stattools import acf

LEVEL = 0.95
REF_B = 100000
MC_B = 10000
MC_REPS = 200
TOL_WIDTH = 0.08          # tests/test_boot.c: BOOT_TOL_WIDTH
SHIFT_TOL_WIDTH = 0.03    # tests/test_boot.c: SHIFT_TOL_WIDTH
SHIFT_B = 100000          # tests/test_boot.c: SHIFT_B
MZ_CONST = 0.6745
MEANAD_SCALE = 1.2533141373155003
MZ_THRESHOLD = 3.5
BATCH = 10000


def die(msg):
    sys.exit(f"fixtures_boot: {msg}")


# ---- descriptive statistics ----------------------------------------------

def mzscore(x):
    med = float(np.median(x))
    mad = float(ss.median_abs_deviation(x, scale=1.0))
    meanad = float(np.mean(np.abs(x - med)))
    if mad > 0:
        m = MZ_CONST * (x - med) / mad
    elif meanad > 0:
        m = (x - med) / (MEANAD_SCALE * meanad)
    else:
        m = np.zeros_like(x)
    if np.any(np.abs(np.abs(m) - MZ_THRESHOLD) < 1e-9):
        die("a modified z-score is within rounding of the threshold")
    flags = [int(abs(v) > MZ_THRESHOLD) for v in m]
    return {"median": med, "mad": mad, "meanad": meanad,
            "mad_zero": int(mad == 0.0), "n_outliers": sum(flags),
            "scores": [float(v) for v in m], "flags": flags}


def desc_cases():
    cases = []

    def add(name, desc, seed, draw):
        x = np.asarray(draw(np.random.default_rng(seed)), dtype=np.float64)
        cases.append((name, desc, seed, x))

    add("n7_uniform", "n = 7, uniform(1, 2): small odd n; prop 0.45 leaves "
        "one value", 301, lambda r: r.uniform(1.0, 2.0, 7))
    add("n30_lognormal", "n = 30, lognormal(ln 1.2, 0.3): run times", 302,
        lambda r: r.lognormal(np.log(1.2), 0.3, 30))

    def heavy(r):
        x = 5.0 + r.standard_t(3, 50)
        x[7] = 30.0 + r.uniform()
        x[31] = -10.0 - r.uniform()
        return x
    add("heavy_tail_n50", "n = 50, 5 + t(3), outliers near +30 and -10: "
        "Tukey extremes and modified-z outliers", 303, heavy)
    add("ties_n40", "n = 40, 10..16 in steps of 0.5: ties at quartiles",
        304, lambda r: 10.0 + 0.5 * r.integers(0, 13, 40))
    add("negative_n25", "n = 25, normal(-5, 3): negative mean, so a "
        "negative CV", 305, lambda r: r.normal(-5.0, 3.0, 25))

    def ar1(r):
        e = r.normal(0.0, 1.0, 200)
        x = np.empty(200)
        x[0] = e[0]
        for t in range(1, 200):
            x[t] = 0.7 * x[t - 1] + e[t]
        return 10.0 + x
    add("ar1_n200", "n = 200, AR(1) with phi = 0.7 around 10: lag-1 "
        "autocorrelation near 0.7", 306, ar1)
    add("alternating_n20", "n = 20, +-1 alternating plus noise: lag-1 "
        "autocorrelation near -1", 307,
        lambda r: 3.0 + np.array([(-1.0) ** t for t in range(20)])
        + r.normal(0.0, 0.2, 20))

    def mad_zero(r):
        x = np.full(15, 2.0)
        x[[1, 4, 6, 9, 12]] = [1.9, 2.1, 2.5, 7.0, -3.0]
        return x
    add("mad_zero_n15", "n = 15, ten values tied at 2 and five others: "
        "MAD = 0, so the mean-absolute-deviation fallback", 308, mad_zero)

    def iqr_zero(r):
        x = np.full(12, 5.0)
        x[[0, 5, 11]] = [1.0, 6.0, 20.0]
        return x
    add("iqr_zero_n12", "n = 12, nine values tied at 5: IQR = 0 and MAD = 0, "
        "every other value is a Tukey extreme", 309, iqr_zero)
    return cases


def desc_entry(name, desc, seed, x):
    return {
        "name": name, "description": desc, "seed": seed, "n": len(x),
        "x": [float(v) for v in x],
        "cv": float(ss.variation(x, ddof=1)),
        "autocorr1": float(acf(x, nlags=1, adjusted=False, fft=False)[1]),
        "mzscore": mzscore(x),
    }


# ---- bootstrap: this script's own numpy implementation --------------------

def stat_mean(samples, axis=-1):
    return np.mean(samples[0], axis=axis)


def stat_sd(samples, axis=-1):
    return np.std(samples[0], ddof=1, axis=axis)


def boot_dist(strata, stat, B, rng):
    """The statistic on B resamples, each drawing n_k values with replacement
    within each stratum k."""
    out = []
    for b0 in range(0, B, BATCH):
        nb = min(BATCH, B - b0)
        res = [s[rng.integers(0, len(s), (nb, len(s)))] for s in strata]
        out.append(stat(res, axis=-1))
    return np.concatenate(out)


def accel(strata, stat):
    """a = sum_k sum_i U_ki^3 / n_k^3 / (6 (sum_k sum_i U_ki^2 / n_k^2)^1.5),
    U_ki = (n_k - 1)(mean_i theta_(ki) - theta_(ki)): the jackknife leaving
    out each value of each stratum in turn."""
    num = den = 0.0
    for k, s in enumerate(strata):
        n = len(s)
        tj = np.array([stat([np.delete(s, i) if j == k else t
                             for j, t in enumerate(strata)], axis=-1)
                       for i in range(n)])
        u = (n - 1) * (tj.mean() - tj)
        num += np.sum(u ** 3) / n ** 3
        den += np.sum(u ** 2) / n ** 2
    return 0.0 if den == 0 else num / (6.0 * den ** 1.5)


def bca_from(theta_b, theta_hat, a, level):
    B = len(theta_b)
    p = (np.sum(theta_b < theta_hat) + np.sum(theta_b <= theta_hat)) / (2 * B)
    z0 = ndtri(p)
    z = ndtri((1 - level) / 2)
    a1 = ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))
    a2 = ndtr(z0 + (z0 - z) / (1 - a * (z0 - z)))
    lo, hi = np.percentile(theta_b, [100 * a1, 100 * a2])
    plo, phi = np.percentile(theta_b, [100 * (1 - level) / 2,
                                       100 * (1 + level) / 2])
    return {"z0": float(z0), "alpha_lo": float(a1), "alpha_hi": float(a2),
            "lo": float(lo), "hi": float(hi),
            "pct_lo": float(plo), "pct_hi": float(phi)}


def mc_check(strata, stat, a, level, ref, seed):
    """MC_REPS independent B = MC_B bootstraps: the sd of each endpoint (BCa
    and percentile) and of the BCa-minus-percentile shifts, and the largest
    distance of a BCa endpoint from the reference, as shares of the
    reference BCa width."""
    rng = np.random.default_rng(seed)
    theta_hat = float(stat(strata))
    rows = []
    for _ in range(MC_REPS):
        r = bca_from(boot_dist(strata, stat, MC_B, rng), theta_hat, a, level)
        rows.append((r["lo"], r["hi"], r["pct_lo"], r["pct_hi"],
                     r["lo"] - r["pct_lo"], r["hi"] - r["pct_hi"]))
    v = np.array(rows)
    w = ref["hi"] - ref["lo"]
    sd = np.std(v, axis=0, ddof=1) / w
    return {
        "B": MC_B, "reps": MC_REPS,
        "sd_lo_over_width": float(sd[0]), "sd_hi_over_width": float(sd[1]),
        "sd_pct_lo_over_width": float(sd[2]),
        "sd_pct_hi_over_width": float(sd[3]),
        "sd_shift_lo_over_width": float(sd[4]),
        "sd_shift_hi_over_width": float(sd[5]),
        "max_dev_over_width": float(max(np.max(np.abs(v[:, 0] - ref["lo"])),
                                        np.max(np.abs(v[:, 1] - ref["hi"])))
                                    / w),
    }


def worst_sd(chk):
    """The largest endpoint sd (the shifts are checked separately)."""
    return max(chk[k] for k in chk
               if k.startswith("sd_") and not k.startswith("sd_shift"))


# ---- BCa, one sample, against scipy ---------------------------------------

def bca_cases():
    cases = []

    def add(name, desc, seed, stat_name, draw, level=LEVEL):
        x = np.asarray(draw(np.random.default_rng(seed)), dtype=np.float64)
        cases.append((name, desc, seed, stat_name, x, level))

    add("mean_lognormal_n50", "mean of lognormal(0, 1), n = 50: strongly "
        "right-skewed, so BCa moves both ends up from the percentile "
        "interval (the direction test)", 401, "mean",
        lambda r: r.lognormal(0.0, 1.0, 50))
    add("mean_normal_n200", "mean of normal(100, 5), n = 200: z0 and a near "
        "0, BCa close to percentile", 402, "mean",
        lambda r: r.normal(100.0, 5.0, 200))
    add("mean_exponential_n20", "mean of 1 + exponential(0.5), n = 20, at "
        "level 0.90", 403, "mean",
        lambda r: 1.0 + r.exponential(0.5, 20), 0.90)
    add("sd_lognormal_n40", "standard deviation (ddof 1) of "
        "lognormal(ln 2, 0.5), n = 40: a statistic other than the mean", 404,
        "sd", lambda r: r.lognormal(np.log(2.0), 0.5, 40))
    add("mean_n2", "mean of n = 2: the resample means are the two values "
        "and their midpoint, z0 ~ 0 and a = 0, so the interval is the two "
        "values", 405, "mean", lambda r: r.normal(10.0, 1.0, 2))
    return cases


def scipy_bca(x, stat_name, level, seed):
    fn = {"mean": np.mean,
          "sd": lambda v, axis=-1: np.std(v, ddof=1, axis=axis)}[stat_name]
    res = ss.bootstrap((x,), fn, n_resamples=REF_B, batch=BATCH,
                       vectorized=True, axis=-1, confidence_level=level,
                       method="BCa", random_state=seed)
    return res


def scipy_accel(strata, stat):
    """scipy's own acceleration (a private helper: checked when present)."""
    try:
        from scipy.stats._resampling import _bca_interval
    except ImportError:
        return None

    def f(*samples, axis=-1):
        return stat(list(samples), axis=axis)
    tb = np.array([f(*strata)] * 3)  # any distribution: only a is used
    return float(_bca_interval(tuple(strata), f, axis=-1, alpha=0.025,
                               theta_hat_b=tb, batch=None)[2])


def bca_entry(name, desc, seed, stat_name, x, level):
    stat = {"mean": stat_mean, "sd": stat_sd}[stat_name]
    theta_hat = float(stat([x]))
    a = accel([x], stat)
    sa = scipy_accel([x], stat)
    if sa is not None and abs(sa - a) > 1e-9 * max(abs(a), 1e-300):
        die(f"{name}: acceleration {a!r} differs from scipy's {sa!r}")
    res = scipy_bca(x, stat_name, level, seed + 1000)
    ci = res.confidence_interval
    ref = bca_from(res.bootstrap_distribution, theta_hat, a, level)
    if abs(ref["lo"] - ci.low) > 1e-12 * abs(ci.low) or \
       abs(ref["hi"] - ci.high) > 1e-12 * abs(ci.high):
        die(f"{name}: this script's BCa on scipy's resamples "
            f"[{ref['lo']}, {ref['hi']}] is not scipy's [{ci.low}, {ci.high}]")
    ref["lo"], ref["hi"] = float(ci.low), float(ci.high)
    chk = mc_check([x], stat, a, level, ref, seed + 2000)
    return {
        "name": name, "description": desc, "seed": seed, "n": len(x),
        "statistic": stat_name, "x": [float(v) for v in x], "level": level,
        "estimate": theta_hat, "a": float(a), "z0": ref["z0"],
        "lo": ref["lo"], "hi": ref["hi"],
        "pct_lo": ref["pct_lo"], "pct_hi": ref["pct_hi"],
        "n_resamples": REF_B, "boot_seed": seed + 1000, "mc_check": chk,
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_path = os.path.join(root, "tests", "fixtures", "boot_reference.json")
    out = {
        "generator": "scripts/fixtures_boot.py (run with /usr/bin/python3)",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
        "tol_width": TOL_WIDTH,
        "desc_cases": [desc_entry(*c) for c in desc_cases()],
        "bca_cases": [],
    }
    worst = 0.0
    for c in bca_cases():
        e = bca_entry(*c)
        worst = max(worst, worst_sd(e["mc_check"]))
        out["bca_cases"].append(e)
        print(f"bca   {e['name']:22s} [{e['lo']:.6g}, {e['hi']:.6g}] "
              f"pct [{e['pct_lo']:.6g}, {e['pct_hi']:.6g}] z0={e['z0']:+.4f} "
              f"a={e['a']:+.5f} worst sd/w={worst_sd(e['mc_check']):.4f} "
              f"maxdev/w={e['mc_check']['max_dev_over_width']:.4f}",
              file=sys.stderr)
    # C (B = MC_B) minus reference (B = REF_B): the sds add in squares.
    worst *= np.sqrt(1.0 + MC_B / REF_B)
    if TOL_WIDTH < 5 * worst:
        die(f"a B={MC_B} bootstrap minus the reference has an endpoint sd of "
            f"{worst:.4f} widths: the test tolerance {TOL_WIDTH} is under "
            f"5 sds for some case")
    # The direction test compares the C shift (BCa minus percentile end, from
    # the same SHIFT_B resamples) with scipy's (REF_B), within
    # SHIFT_TOL_WIDTH: that must be at least 5 sds of their difference (a
    # quantile's sd goes as 1/sqrt(B), so the B = MC_B sd scales by
    # sqrt(MC_B / SHIFT_B + MC_B / REF_B)), and scipy's shift larger than it.
    for e in out["bca_cases"]:
        w = e["hi"] - e["lo"]
        for end in ("lo", "hi"):
            shift = (e[end] - e["pct_" + end]) / w
            sd = e["mc_check"][f"sd_shift_{end}_over_width"] * \
                np.sqrt(MC_B / SHIFT_B + MC_B / REF_B)
            print(f"shift {e['name']:22s} {end}: {shift:+.4f} widths, "
                  f"sd {sd:.4f}", file=sys.stderr)
            if e["name"] != "mean_lognormal_n50":
                continue
            if SHIFT_TOL_WIDTH < 5 * sd:
                die(f"{e['name']}: the BCa-percentile shift at {end} has sd "
                    f"{sd:.4f} widths, too much for {SHIFT_TOL_WIDTH}")
            # Beyond the tolerance, so a shift of 0 (a percentile interval
            # passed off as BCa) or the wrong way fails.
            if shift <= SHIFT_TOL_WIDTH:
                die(f"the BCa-percentile shift at {end} ({shift:.4f} "
                    f"widths) is too small for the direction test")
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
