#!/usr/bin/python3
"""Reference values for stats/st_calib (the statistics of `benchgate calibrate`).

Run once with Debian's python3 (python3-scipy, python3-numpy,
python3-statsmodels), from the repository root:
    /usr/bin/python3 scripts/fixtures_calib.py
It writes tests/fixtures/calib_reference.json with

  binom_ci     Clopper-Pearson intervals: scipy.stats.beta.ppf, checked here
               against statsmodels' proportion_confint(method="beta");
  drift        100 * slope / mean of y, the slope from numpy.polyfit;
  outliers     share of |0.6745 (x - median) / MAD| > 3.5 (Iglewicz &
               Hoaglin), computed with numpy;
  rule         the sequential rule on fixed series: after every round the
               normal-mixture confidence sequence (Howard et al. 2021, the
               self-normalised form of st_cs.h) with its endpoints found by
               SciPy's brentq on the defining inequality in mu, and the
               verdict of st_effect.h on that central interval, kept only
               where the values it rests on (0 for a gain or a loss,
               +-ln(1 + min_effect) for no change) fail the mixture test
               directly (st_rule.h); the first verdict other than
               INCONCLUSIVE from min_rounds on, and the round it came;
  far_set      the whole confidence set at n = 11 of a real lz4 compare
               (tests/fixtures/cases/compare-small-n-far-region.json): the
               central interval and where the far region starts, every
               endpoint a brentq root of the defining inequality.

The implementation of the rule here is independent of the C one (which
screens looks with an inequality in q = u^2 and bisects on ln q).
"""
import json
import math

import numpy as np
import scipy
from scipy.optimize import brentq, minimize_scalar
from scipy.stats import beta
from statsmodels.stats.proportion import proportion_confint

OUT = "tests/fixtures/calib_reference.json"


def clopper_pearson(k, n, level):
    a = 1 - level
    lo = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
    slo, shi = proportion_confint(k, n, alpha=a, method="beta")
    assert abs(slo - lo) < 1e-12 and abs(shi - hi) < 1e-12, (k, n, lo, slo, hi, shi)
    return lo, hi


def binom_cases():
    cases = []
    for k, n, level in [(0, 20, 0.95), (20, 20, 0.95), (3, 20, 0.95), (84, 10000, 0.95),
                        (12, 2000, 0.95), (0, 2000, 0.95), (1, 1, 0.9), (50, 100, 0.99),
                        (7, 400, 0.8), (1999, 2000, 0.95)]:
        lo, hi = clopper_pearson(k, n, level)
        cases.append({"k": k, "n": n, "level": level, "lo": lo, "hi": hi})
    return cases


def drift_cases(rng):
    cases = []
    for n, slope, noise in [(30, 0.5, 0.2), (200, -0.05, 0.5), (500, 0.0, 1.0), (12, 2.0, 0.01)]:
        t = np.sort(rng.uniform(0, 3, n))
        y = 20 + slope * t + rng.normal(0, noise, n)
        b1, b0 = np.polyfit(t, y, 1)
        cases.append({"t": t.tolist(), "y": y.tolist(), "pct_per_unit": float(100 * b1 / np.mean(y))})
    return cases


def outlier_cases(rng):
    cases = []
    for n, contam in [(50, 0.1), (200, 0.02), (31, 0.0)]:
        x = rng.normal(22, 0.5, n)
        m = int(round(contam * n))
        x[:m] += rng.uniform(4, 10, m)
        med = np.median(x)
        mad = np.median(np.abs(x - med))
        share = float(np.mean(np.abs(0.6745 * (x - med) / mad) > 3.5))
        cases.append({"x": x.tolist(), "share": share})
    return cases


def rho_for(v_opt, alpha):
    l2 = 2 * math.log(1 / alpha)
    return v_opt / (l2 + math.log1p(l2))


def excess(mu, d, rho, alpha):
    s = np.sum(d - mu)
    v = np.sum((d - mu) ** 2)
    return s * s - (v + rho) * (math.log1p(v / rho) + 2 * math.log(1 / alpha))


def endpoint(d, rho, alpha, side):
    m = float(np.mean(d))
    step = max(float(np.std(d)), 1e-6) / 8
    x = m
    for _ in range(200):
        x2 = x + side * step
        if excess(x2, d, rho, alpha) >= 0:
            return brentq(lambda mu: excess(mu, d, rho, alpha), min(x, x2), max(x, x2),
                          xtol=1e-15, rtol=1e-14, maxiter=500)
        x = x2
        step *= 1.5
        if abs(x - m) > 50:
            break
    return side * math.inf


def central_verdict(m, lo, hi, lower, min_effect):
    band = math.log1p(min_effect)
    better_hi, worse_lo, est = (hi, lo, m) if lower else (-lo, -hi, -m)
    if better_hi < 0 and est <= -band:
        return "IMPROVED"
    if worse_lo > 0 and est >= band:
        return "REGRESSED"
    if lo >= -band and hi <= band:
        return "NO_CHANGE"
    return "INCONCLUSIVE"


def verdict(d, m, lo, hi, lower, min_effect, rho, alpha):
    v = central_verdict(m, lo, hi, lower, min_effect)
    band = math.log1p(min_effect)
    rests_on = {"IMPROVED": [0.0], "REGRESSED": [0.0], "NO_CHANGE": [band, -band]}.get(v, [])
    if any(excess(mu, d, rho, alpha) < 0 for mu in rests_on):
        return "INCONCLUSIVE"
    return v


def set_pieces(d, rho, alpha):
    """The whole set {mu : excess(mu) < 0}, independently of the C code: in
    u = |mu - mean| the excess rises to one peak and falls for ever, so SciPy
    finds the peak (minimize_scalar, bounded) and brentq the root on each
    side of it. Returns (u1, u2): excluded exactly for u1 <= |mu - mean| <= u2."""
    m = float(np.mean(d))
    f = lambda u: excess(m + u, d, rho, alpha)  # symmetric in u
    peak = minimize_scalar(lambda u: -f(u), bounds=(0.0, 10.0), method="bounded",
                           options={"xatol": 1e-12}).x
    assert f(peak) > 0, "the set is unbounded"
    u1 = brentq(f, 0.0, peak, xtol=1e-15, rtol=1e-14, maxiter=500)
    u2 = brentq(f, peak, 10.0, xtol=1e-15, rtol=1e-14, maxiter=500)
    return u1, u2


def far_set_case():
    case = json.load(open("tests/fixtures/cases/compare-small-n-far-region.json"))
    wall = {}
    for s in case["samples"]:
        wall[(s["round"], s["arm"])] = s["wall_ns"]
    n = len(wall) // 2
    d = np.array([math.log(wall[(r, "B")]) - math.log(wall[(r, "A")]) for r in range(n)])
    rho, alpha = case["settings"]["cs_rho"], case["settings"]["alpha"]
    m = float(np.mean(d))
    u1, u2 = set_pieces(d, rho, alpha)
    return {"n": n, "rho": rho, "alpha": alpha, "estimate": m,
            "lo": m - u1, "hi": m + u1, "far_lo": m - u2, "far_hi": m + u2,
            "excess_at_0": float(excess(0.0, d, rho, alpha))}


def run_rule(d, alpha, rho, min_effect, lower, min_rounds):
    d = np.asarray(d)
    for t in range(1, len(d) + 1):
        if t < min_rounds:
            continue
        x = d[:t]
        lo, hi = endpoint(x, rho, alpha, -1), endpoint(x, rho, alpha, +1)
        v = verdict(x, float(np.mean(x)), lo, hi, lower, min_effect, rho, alpha)
        if v != "INCONCLUSIVE":
            return v, t, float(np.mean(x))
    return "INCONCLUSIVE", len(d), float(np.mean(d))


def rule_cases(rng):
    cases = []
    rho = rho_for(100 * 0.02 * 0.02, 0.05)
    for n, mu, sd, min_effect, lower, alpha, min_rounds in [
            (120, -0.06, 0.03, 0.01, True, 0.05, 5),    # a clear gain
            (120, 0.06, 0.03, 0.01, True, 0.05, 5),     # a clear loss
            (400, 0.0, 0.01, 0.01, True, 0.05, 5),      # no change, narrow noise
            (60, 0.0, 0.05, 0.01, True, 0.05, 5),       # too short: inconclusive
            (150, -0.04, 0.03, 0.01, False, 0.01, 10),  # higher is better: a loss
            (200, -0.015, 0.02, 0.0, True, 0.05, 5)]:   # min effect 0
        d = (mu + rng.normal(0, sd, n)).tolist()
        v, t, m = run_rule(d, alpha, rho, min_effect, lower, min_rounds)
        cases.append({"d": d, "alpha": alpha, "rho": rho, "min_effect": min_effect,
                      "lower_is_better": lower, "min_rounds": min_rounds,
                      "verdict": v, "rounds": t, "estimate": m})
    return cases


def main():
    rng = np.random.default_rng(20261122)
    ref = {
        "generator": "scripts/fixtures_calib.py",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "binom_ci": binom_cases(),
        "drift": drift_cases(rng),
        "outliers": outlier_cases(rng),
        "rule": rule_cases(rng),
        "far_set": far_set_case(),
    }
    with open(OUT, "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    for c in ref["rule"]:
        print("rule:", c["verdict"], "at", c["rounds"])
    f = ref["far_set"]
    print("far set (ratios): (0, %.4f] U [%.4f, %.4f] U [%.4f, inf), excess at 0 %.3g" % tuple(
        [math.exp(f[k]) for k in ("far_lo", "lo", "hi", "far_hi")] + [f["excess_at_0"]]))


if __name__ == "__main__":
    main()
