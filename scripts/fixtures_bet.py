#!/usr/bin/python3
"""Reference values for stats/st_bet (the betting confidence sequence).

Run once with Debian's python3 (python3-scipy), from the repository root:
    /usr/bin/python3 scripts/fixtures_bet.py
It writes tests/fixtures/bet_reference.json. The implementation here is
written from the paper (Waudby-Smith & Ramdas, JRSS-B 2024, the capital
process with aGRAPA bets of their section 5, truncated at c = 1/2), not
from the C code: the capital of a whole sequence is computed with numpy as
vectors over time, and the ends of the set are found with SciPy's brentq
on the crossing of 1/alpha, so they are exact where the C code reads a
grid.
"""
import json
import math

import numpy as np
from scipy.optimize import brentq

C = 0.5


def predictable(x):
    """mu_{t-1} and sigma^2_{t-1} for t = 1..n (from x_1..x_{t-1})."""
    n = len(x)
    t = np.arange(1, n + 1, dtype=float)
    csum = np.concatenate(([0.0], np.cumsum(x)))
    mu = (0.5 + csum[1:]) / (t + 1.0)                           # mu_t, includes x_t
    dev = np.concatenate(([0.0], np.cumsum((x - mu) ** 2)))     # sum_{i<=t} (x_i - mu_i)^2
    mu_prev = (0.5 + csum[:-1]) / t
    s2_prev = (0.25 + dev[:-1]) / t
    return mu_prev, s2_prev


def log_capital_path(x, m, alpha):
    """ln K_t(m) for t = 1..n with the aGRAPA bets (alpha is not used)."""
    mu, s2 = predictable(x)
    lam = np.clip((mu - m) / (s2 + (mu - m) ** 2), -C / (1 - m), C / m)
    return np.cumsum(np.log1p(lam * (x - m)))


def case(name, d, w, alpha, band):
    d = np.asarray(d, dtype=float)
    x = (d + w) / (2 * w)
    cut = math.log(1 / alpha)

    def f(m):
        return log_capital_path(x, m, alpha)[-1] - cut

    xbar = float(np.mean(x))
    eps = 1e-9
    lo = brentq(f, eps, xbar) if f(eps) > 0 and f(xbar) < 0 else 0.0
    hi = brentq(f, xbar, 1 - eps) if f(1 - eps) > 0 and f(xbar) < 0 else 1.0
    points = [0.0, band, -band]
    out = {
        "name": name, "w": w, "alpha": alpha, "d": d.tolist(), "points": points,
        "estimate": float(np.mean(d)),
        "lo": 2 * w * lo - w, "hi": 2 * w * hi - w,
        "p": [], "excluded": [],
    }
    for mu in points:
        path = log_capital_path(x, (mu + w) / (2 * w), alpha)
        out["p"].append(min(1.0, math.exp(-float(np.max(path)))))
        out["excluded"].append(bool(path[-1] >= cut))
    return out


def main():
    rng = np.random.default_rng(20261204)
    cases = []
    # win/loss of one arm minus the other's: d in {-1, 0, 1}
    for n, p_b in ((8, 0.5), (60, 0.5), (300, 0.7)):
        a = (rng.random(n) < 0.5).astype(float)
        b = (rng.random(n) < p_b).astype(float)
        cases.append(case(f"win/loss n={n} p_B={p_b}", b - a, 1.0, 0.05, 0.05))
    # a 0-10 judge score with zeros: d in [-10, 10]
    for n, shift, alpha in ((20, 0.0, 0.05), (150, 1.5, 0.05), (150, 1.5, 0.005)):
        def score(q):
            s = np.clip(np.floor(q + rng.normal(0, 2, n) + 0.5), 0, 10)
            s[rng.random(n) < 0.03] = 0
            return s
        cases.append(case(f"judge n={n} shift={shift} alpha={alpha}", score(5 + shift) - score(5), 10.0, alpha, 0.5))
    # continuous and bounded, against a bound far from the data
    d = rng.uniform(-0.2, 0.3, 100)
    cases.append(case("uniform n=100 in a wide range", d, 2.0, 0.05, 0.1))
    with open("tests/fixtures/bet_reference.json", "w") as f:
        json.dump({"generator": "scripts/fixtures_bet.py", "numpy": np.__version__,
                   "cases": cases}, f, indent=1)
        f.write("\n")


main()
