#!/usr/bin/python3
# fixtures_fdr.py: writes tests/fixtures/fdr_reference.json, the independent
# reference values tests/test_fdr.c and tests/test_power.c check the online FDR
# procedures, the Holm and Benjamini-Hochberg adjustments (stats/st_fdr.c) and
# the power and minimum-detectable-effect routines (stats/st_power.c) against.
#
# Run it once by hand with Debian's interpreter (a `python3` earlier on PATH
# may be another build without these packages):
#
#     apt-get install python3-numpy python3-scipy python3-statsmodels python3-mpmath
#     /usr/bin/python3 scripts/fixtures_fdr.py        # from the repository root
#
# `make test` does not need any of this: the JSON is committed. The output is
# deterministic for given package versions (recorded in the JSON).
#
# References:
#   - LORD++ (Ramdas, Yang, Wainwright & Jordan, NeurIPS 2017, "Online control
#     of the false discovery rate with decaying memory", eq. for LORD++) and
#     alpha-investing (Foster & Stine, JRSS-B 2008): written here from the
#     papers' formulas, independently of the C code, and run on fixed p-value
#     streams. The C levels must agree to 1e-12.
#   - The gamma sequence's normalising constant: mpmath, a partial sum to 1e5
#     plus the closed-form tail integral 2*Gamma(4, sqrt(ln N)) and the
#     Euler-Maclaurin correction.
#   - Holm and BH: statsmodels.stats.multitest.multipletests(method='holm' /
#     'fdr_bh').
#   - Noncentral t: a 40-digit mpmath quadrature of its defining integral,
#     checked against scipy.stats.nct (Boost) where Boost is accurate; see
#     nct_cases() for where it is not.
#   - Power of the two-sided one-sample t-test: statsmodels
#     TTestPower.power / solve_power. solve_power stops at brentq's xtol=1e-5
#     (absolute), so every case also carries a tight root of statsmodels' own
#     power function (scipy brentq, xtol 1e-14, rtol 1e-15) and the distance
#     between the two.
#   - Normal approximation n = ((z_{1-a/2} + z_{1-b}) sigma / delta)^2:
#     scipy.stats.norm.ppf.
import json
import math
import platform
import sys

import mpmath as mp
import numpy as np
import scipy
import scipy.optimize as so
import scipy.stats as ss
import statsmodels
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower

OUT = "tests/fixtures/fdr_reference.json"
GAMMA_C = 0.0772


# ---- online FDR, from the papers --------------------------------------------

def gamma(j):
    """Javanmard & Montanari's default sequence as used by Ramdas et al. 2017:
    gamma_j = C ln(max(j, 2)) / (j e^{sqrt(ln j)}), j >= 1."""
    return GAMMA_C * math.log(max(j, 2)) / (j * math.exp(math.sqrt(math.log(j))))


def gamma_normaliser():
    """sum_{j>=1} gamma_j / C, its inverse, and sum_{j<=1e5} gamma_j / C."""
    mp.mp.dps = 30

    def f(x):
        return mp.log(max(x, 2)) / (x * mp.exp(mp.sqrt(mp.log(x))))
    n = 10 ** 5
    partial = mp.fsum(f(mp.mpf(j)) for j in range(1, n))
    # int_N^inf ln x / (x e^{sqrt ln x}) dx = int_U^inf 2 u^3 e^{-u} du with
    # u = sqrt(ln x): 2 Gamma(4, U), U = sqrt(ln N).
    tail = 2 * mp.gammainc(4, mp.sqrt(mp.log(n)))
    em = f(mp.mpf(n)) / 2 - mp.diff(f, n) / 12 + mp.diff(f, n, 3) / 720
    total = partial + tail + em
    return float(total), float(1 / total), float(partial + f(mp.mpf(n)))


def lord_pp(alpha, w0, p):
    """LORD++: alpha_t = gamma_t W0 + (alpha - W0) gamma_{t - tau_1}
    + alpha sum_{j >= 2, tau_j < t} gamma_{t - tau_j}; reject when
    p_t <= alpha_t. Wealth in the GAI++ sense: W(t) = W(t-1) - alpha_t
    + R_t psi_t, psi = alpha - W0 at the first rejection, alpha after."""
    taus, levels, rejected, wealth = [], [], [], []
    w = w0
    for i, pt in enumerate(p):
        t = i + 1
        lvl = gamma(t) * w0
        if taus:
            lvl += (alpha - w0) * gamma(t - taus[0])
            rest = 0.0
            for tj in taus[1:]:
                rest += gamma(t - tj)
            lvl += alpha * rest
        r = pt <= lvl
        w -= lvl
        if r:
            w += (alpha - w0) if not taus else alpha
            taus.append(t)
        levels.append(lvl)
        rejected.append(int(r))
        wealth.append(w)
    return levels, rejected, wealth


def alpha_investing(alpha, w0, p):
    """Foster & Stine 2008: wealth W(0) = W0; test j at alpha_j; on a
    rejection W += omega (omega = alpha), otherwise W -= alpha_j/(1-alpha_j).
    Spending policy (Foster & Stine's): alpha_j = W/(1 + j - k*), k* the
    latest rejection (0 if none), capped at alpha (our choice: no level above
    the target) and at W/(1+W) (the paper's condition alpha_j/(1-alpha_j) <= W,
    which binds only when alpha > 1/2)."""
    last, w = 0, w0
    levels, rejected, wealth = [], [], []
    for i, pt in enumerate(p):
        j = i + 1
        lvl = min(w / (1 + j - last), alpha, w / (1 + w))
        r = pt <= lvl
        if r:
            w += alpha
            last = j
        else:
            w = max(0.0, w - lvl / (1 - lvl))
        levels.append(lvl)
        rejected.append(int(r))
        wealth.append(w)
    return levels, rejected, wealth


def streams():
    """(name, description, p-values). Signals are one-sided z-test p-values
    1 - Phi(Z + mu); nulls are uniform."""
    out = []
    rng = np.random.default_rng(7001)
    p = list(rng.uniform(size=60))
    p[0], p[1], p[3] = 1e-7, 2e-6, 1e-5
    out.append(("early", "three strong signals at tests 1, 2, 4, then 56 nulls",
                p))

    rng = np.random.default_rng(7002)
    p = list(rng.uniform(0.05, 1.0, size=160))
    for t in (140, 143, 150, 151):
        p[t - 1] = 1e-9
    out.append(("late", "139 nulls above 0.05, then signals at 140, 143, 150, "
                "151 (gamma_t is small there: only near-zero p-values pass)", p))

    rng = np.random.default_rng(7003)
    out.append(("none", "80 p-values in [0.3, 1]: no rejection, levels decay "
                "as gamma_t W0", list(rng.uniform(0.3, 1.0, size=80))))

    rng = np.random.default_rng(7004)
    m = 300
    signal = rng.uniform(size=m) < 0.1
    z = rng.normal(size=m) + np.where(signal, 3.0, 0.0)
    out.append(("mixed", "300 tests, 10% signals at mu = 3 (one-sided z), "
                "seeded", list(ss.norm.sf(z))))

    p = [0.0] * 30 + list(np.random.default_rng(7005).uniform(size=20))
    p[40] = 1e-12
    out.append(("burst", "30 p-values of 0 in a row (alpha-investing wealth "
                "passes 1: the cap at alpha binds), 20 nulls with one signal", p))
    out.append(("drain", "with alpha = 0.9, W0 = 0.3 the first rejection lifts "
                "alpha-investing wealth to 1.2, the next level is capped at "
                "W/(1+W) and its acceptance spends all the wealth; a p-value "
                "of 0 is still rejected at level 0",
                [0.0, 0.7, 0.01, 0.0, 0.2, 0.5, 0.3, 0.95]))
    return out


ONLINE_PARAMS = [
    # (alpha, w0, which streams)
    (0.05, 0.025, None),
    (0.10, 0.10, ("early", "mixed")),      # W0 = alpha, the edge
    (0.05, 0.005, ("late", "mixed")),
    (0.60, 0.30, ("burst",)),              # alpha > 1/2
    (0.90, 0.30, ("drain",)),              # the W/(1+W) cap binds
]


def online_cases():
    cases = []
    for name, desc, p in streams():
        for alpha, w0, only in ONLINE_PARAMS:
            if only is not None and name not in only:
                continue
            for method, fn in (("lord++", lord_pp),
                               ("alpha-investing", alpha_investing)):
                levels, rej, wealth = fn(alpha, w0, p)
                # A decision must not hinge on the last bits of a level.
                for t, (pt, lv) in enumerate(zip(p, levels)):
                    if pt != 0.0 and abs(pt - lv) <= 1e-9 * lv:
                        sys.exit(f"fixtures_fdr: {name}/{method}: p_{t+1} = "
                                 f"{pt} is too close to its level {lv}")
                cases.append({
                    "name": f"{name}/{method}/a{alpha}/w{w0}",
                    "description": desc,
                    "method": method,
                    "alpha": alpha,
                    "w0": w0,
                    "p": [float(v) for v in p],
                    "levels": levels,
                    "rejected": rej,
                    "wealth": wealth,
                })
                print(f"{cases[-1]['name']:40s} R={sum(rej):3d} "
                      f"min level={min(levels):.3g} max={max(levels):.3g}",
                      file=sys.stderr)
    return cases


# ---- Holm and Benjamini-Hochberg ------------------------------------------

def multitest_cases():
    cases = []
    rng = np.random.default_rng(8001)

    def add(name, desc, p, alphas=(0.05,)):
        p = [float(v) for v in p]
        for a in alphas:
            h_rej, h_adj, _, _ = multipletests(p, alpha=a, method="holm")
            b_rej, b_adj, _, _ = multipletests(p, alpha=a, method="fdr_bh")
            cases.append({
                "name": f"{name}/a{a}", "description": desc, "alpha": a,
                "p": p,
                "holm_adj": [float(v) for v in h_adj],
                "holm_reject": [int(v) for v in h_rej],
                "bh_adj": [float(v) for v in b_adj],
                "bh_reject": [int(v) for v in b_rej],
            })
            print(f"{cases[-1]['name']:24s} holm R={int(h_rej.sum())} "
                  f"bh R={int(b_rej.sum())}", file=sys.stderr)

    z = rng.normal(size=20) + np.r_[np.full(6, 3.0), np.zeros(14)]
    add("mixed_n20", "6 signals (mu = 3) among 20, shuffled by nothing: "
        "signals first", ss.norm.sf(z), (0.05, 0.1))
    add("uniform_n15", "15 uniform p-values", rng.uniform(size=15), (0.05,))
    add("ties", "repeated values, 0 and 1",
        [0.01, 0.04, 0.01, 0.0, 1.0, 0.04, 0.2, 0.01, 0.5, 1.0], (0.05, 0.2))
    add("single", "n = 1", [0.03], (0.05, 0.01))
    # 0.05/4 and (2/4) 0.05 are exact in binary: both decisions sit on <=.
    add("boundary", "p_(1) = alpha/4 (Holm rejects it), p_(2) = (2/4) alpha "
        "(BH rejects it)", [0.0125, 0.025, 0.7, 0.9], (0.05,))
    add("all_small", "everything rejected", [1e-8, 3e-6, 1e-4, 2e-4, 0.001],
        (0.05,))
    perm = rng.permutation(40)
    z = rng.normal(size=40) + np.where(perm < 8, 2.5, 0.0)
    add("shuffled_n40", "8 signals (mu = 2.5) at random places among 40",
        ss.norm.sf(z), (0.05, 0.1))
    return cases


# ---- noncentral t, power ----------------------------------------------------

NCT_GRID = [
    # (t, df, nc)
    (2.0, 10.0, 1.5), (-1.0, 10.0, 1.5), (0.0, 5.0, 2.0), (3.5, 29.0, 3.0),
    (-2.04523, 29.0, 3.0), (2.04523, 29.0, -3.0), (1.96, 1.0, 0.5),
    (12.7, 1.0, 10.0), (-12.7, 1.0, 10.0), (2.2, 7.5, 2.8), (-2.2, 7.5, 2.8),
    (1.98, 99.0, 0.2), (2.6, 499.0, 2.9), (1.97, 9999.0, 4.0),
    (-1.97, 9999.0, 4.0), (5.0, 3.0, 0.0), (0.5, 2.0, -1.0),
    (1.96, 250.25, 1.0), (-4.0, 40.0, 0.5), (8.0, 15.0, 4.0),
]


def nct_mpmath(t, df, nc):
    """P(T <= t) and P(T > t) for T = (Z + nc) / sqrt(V/df), V ~ chi2_df, at
    40 digits: E[Phi(t x - nc)] and E[Phi(nc - t x)] over x = sqrt(V/df),
    by mpmath's tanh-sinh quadrature split around the mode of x."""
    mp.mp.dps = 40
    t, df, nc = mp.mpf(t), mp.mpf(df), mp.mpf(nc)
    c = mp.log(2) + (df / 2) * mp.log(df / 2) - mp.loggamma(df / 2)

    def g(x):
        return mp.exp(c + (df - 1) * mp.log(x) - df * x * x / 2)
    m = mp.sqrt((df - 1) / df)
    s = 1 / mp.sqrt(2 * df)
    pts = sorted(set([mp.mpf(0)] + [m + k * s for k in
                                    (-40, -20, -10, -5, -2, 0, 2, 5, 10, 20, 40)
                                    if m + k * s > 0]))
    cdf = mp.quad(lambda x: g(x) * mp.ncdf(t * x - nc), pts)
    sf = mp.quad(lambda x: g(x) * mp.ncdf(nc - t * x), pts)
    if abs(cdf + sf - 1) > mp.mpf(10) ** -30:
        sys.exit(f"fixtures_fdr: nct({t}, {df}, {nc}): cdf + sf - 1 = "
                 f"{cdf + sf - 1}")
    return float(cdf), float(sf)


def nct_cases():
    """The reference is the 40-digit integral: scipy 1.10's Boost nct loses
    the lower tail for negative t (at t = -12.7, df = 1, nc = 10 it returns
    3.8e-16 for 4.7e-26). scipy's values are kept, and where its probability
    is above 1e-4 the two must agree to 1e-13, which checks the integral's
    representation against Boost's series."""
    out = []
    for t, df, nc in NCT_GRID:
        with np.errstate(all="ignore"):
            sc_cdf = float(ss.nct.cdf(t, df, nc))
            sc_sf = float(ss.nct.sf(t, df, nc))
        cdf, sf = nct_mpmath(t, df, nc)
        for mine, theirs in ((cdf, sc_cdf), (sf, sc_sf)):
            if mine > 1e-4 and abs(mine - theirs) > 1e-13 * mine:
                sys.exit(f"fixtures_fdr: nct({t}, {df}, {nc}): mpmath {mine} "
                         f"vs scipy {theirs}")
        out.append({"t": t, "df": df, "nc": nc, "cdf": cdf, "sf": sf,
                    "scipy_cdf": sc_cdf, "scipy_sf": sc_sf})
    return out


def tight_root(f, lo, hi):
    return so.brentq(f, lo, hi, xtol=1e-14, rtol=1e-15, maxiter=500)


POWER_CASES = [
    # (name, sigma, delta, alpha, power, rounds for the MDE)
    ("typical", 0.02, 0.01, 0.05, 0.8, 30),
    ("small_effect", 0.05, 0.005, 0.05, 0.9, 200),
    ("large_effect", 0.01, 0.02, 0.05, 0.8, 8),
    ("strict_alpha", 0.03, 0.01, 0.001, 0.8, 60),
    ("loose", 0.1, 0.04, 0.1, 0.5, 12),
    ("online_level", 0.02, 0.01, 0.0025, 0.8, 100),
    ("tiny_n", 0.01, 0.03, 0.05, 0.95, 3),
]


def power_cases():
    tp = TTestPower()
    out = []
    for name, sigma, delta, alpha, power, rounds in POWER_CASES:
        es = delta / sigma

        def f_n(n):
            return tp.power(effect_size=es, nobs=n, alpha=alpha) - power

        def f_es(e):
            return tp.power(effect_size=e, nobs=rounds, alpha=alpha) - power
        n_sm = float(tp.solve_power(effect_size=es, nobs=None, alpha=alpha,
                                    power=power))
        n_tight = tight_root(f_n, 2.0, 1e7)
        es_sm = abs(float(tp.solve_power(effect_size=None, nobs=rounds,
                                         alpha=alpha, power=power)))
        es_tight = tight_root(f_es, 1e-9, 100.0)
        z = ss.norm.ppf(1 - alpha / 2) + ss.norm.ppf(power)
        case = {
            "name": name, "sigma": sigma, "delta": delta, "alpha": alpha,
            "power": power,
            "rounds_statsmodels": n_sm,
            "rounds_tight": n_tight,
            "rounds_normal": float((z * sigma / delta) ** 2),
            "power_at_rounds": {"n": rounds,
                                "power": float(tp.power(effect_size=es,
                                                        nobs=rounds,
                                                        alpha=alpha))},
            "mde_rounds": rounds,
            "mde_statsmodels": es_sm * sigma,
            "mde_tight": es_tight * sigma,
            "mde_normal": float(z * sigma / math.sqrt(rounds)),
        }
        rel_n = abs(n_sm - n_tight) / n_tight
        rel_e = abs(es_sm - es_tight) / es_tight
        case["statsmodels_rel_dev"] = {"rounds": rel_n, "mde": rel_e}
        out.append(case)
        print(f"{name:14s} n={n_tight:.6f} (sm {n_sm:.6f}, normal "
              f"{case['rounds_normal']:.4f}) mde={case['mde_tight']:.6g} "
              f"dev n={rel_n:.2g} mde={rel_e:.2g}", file=sys.stderr)
    return out


BUDGET_CASES = [
    # (name, budget_s, round_s, sigma, alpha, power)
    ("ten_minutes", 600.0, 12.5, 0.02, 0.05, 0.8),
    ("hour_fast_rounds", 3600.0, 0.7, 0.05, 0.05, 0.9),
    ("uneven", 100.0, 33.0, 0.01, 0.05, 0.8),   # floor(3.03) = 3 rounds
]


def budget_cases():
    tp = TTestPower()
    out = []
    for name, budget, round_s, sigma, alpha, power in BUDGET_CASES:
        n = math.floor(budget / round_s)
        es = tight_root(lambda e: tp.power(effect_size=e, nobs=n, alpha=alpha)
                        - power, 1e-9, 100.0)
        es_sm = abs(float(tp.solve_power(effect_size=None, nobs=n,
                                         alpha=alpha, power=power)))
        out.append({"name": name, "budget_s": budget, "round_s": round_s,
                    "sigma": sigma, "alpha": alpha, "power": power,
                    "rounds": n, "mde_tight": es * sigma,
                    "mde_statsmodels": es_sm * sigma,
                    "statsmodels_rel_dev": {"mde": abs(es_sm - es) / es}})
        print(f"{name:18s} rounds={n} mde={es * sigma:.6g}", file=sys.stderr)
    return out


def main():
    # statsmodels' bracket search probes the power near df = 1, where scipy's
    # Boost nct warns (divide by zero) and returns NaN, which statsmodels
    # steps away from; every value kept is checked against a tight root.
    np.seterr(divide="ignore", invalid="ignore")
    total, normaliser, partial = gamma_normaliser()
    out = {
        "generator": "scripts/fixtures_fdr.py (run with /usr/bin/python3)",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
        "mpmath": mp.__version__,
        "gamma": {
            "constant": GAMMA_C,
            "sum_over_constant": total,
            "sum": GAMMA_C * total,
            "exact_normaliser": normaliser,
            "partial_sum_1e5": GAMMA_C * partial,
            "values": [{"j": j, "gamma": gamma(j)}
                       for j in (1, 2, 3, 10, 100, 1000, 123457)],
        },
        "online": online_cases(),
        "multitest": multitest_cases(),
        "nct": nct_cases(),
        "power": power_cases(),
        "budget": budget_cases(),
    }
    print(f"gamma: sum = {GAMMA_C * total:.6f}, exact normaliser "
          f"{normaliser:.8f}", file=sys.stderr)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
