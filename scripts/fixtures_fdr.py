#!/usr/bin/python3
# fixtures_fdr.py: writes tests/fixtures/fdr_reference.json, the independent
# reference values tests/test_fdr.c checks the online FDR procedures and the
# Holm adjustment (stats/st_fdr.c) against.
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
#   - Holm: statsmodels.stats.multitest.multipletests(method='holm').
import json
import math
import platform
import sys

import mpmath as mp
import numpy as np
import scipy
import scipy.stats as ss
import statsmodels
from statsmodels.stats.multitest import multipletests

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
    p_t <= alpha_t."""
    taus, levels, rejected = [], [], []
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
        if r:
            taus.append(t)
        levels.append(lvl)
        rejected.append(int(r))
    return levels, rejected


def alpha_investing(alpha, w0, p):
    """Foster & Stine 2008: wealth W(0) = W0; test j at alpha_j; on a
    rejection W += omega (omega = alpha), otherwise W -= alpha_j/(1-alpha_j).
    Spending policy (Foster & Stine's): alpha_j = W/(1 + j - k*), k* the
    latest rejection (0 if none), capped at alpha (our choice: no level above
    the target) and at W/(1+W) (the paper's condition alpha_j/(1-alpha_j) <= W,
    which binds only when alpha > 1/2)."""
    last, w = 0, w0
    levels, rejected = [], []
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
    return levels, rejected


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
                levels, rej = fn(alpha, w0, p)
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
                })
                print(f"{cases[-1]['name']:40s} R={sum(rej):3d} "
                      f"min level={min(levels):.3g} max={max(levels):.3g}",
                      file=sys.stderr)
    return cases


# ---- Holm -----------------------------------------------------------------

def multitest_cases():
    cases = []
    rng = np.random.default_rng(8001)

    def add(name, desc, p, alphas=(0.05,)):
        p = [float(v) for v in p]
        for a in alphas:
            h_rej, h_adj, _, _ = multipletests(p, alpha=a, method="holm")
            cases.append({
                "name": f"{name}/a{a}", "description": desc, "alpha": a,
                "p": p,
                "holm_adj": [float(v) for v in h_adj],
                "holm_reject": [int(v) for v in h_rej],
            })
            print(f"{cases[-1]['name']:24s} holm R={int(h_rej.sum())}",
                  file=sys.stderr)

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


def main():
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
    }
    print(f"gamma: sum = {GAMMA_C * total:.6f}, exact normaliser "
          f"{normaliser:.8f}", file=sys.stderr)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
