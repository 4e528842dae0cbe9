#!/usr/bin/python3
"""Reference values for stats/st_cs (normal-mixture confidence sequence).

Run once with Debian's python3 (python3-scipy), from the repository root:
    /usr/bin/python3 scripts/fixtures_cs.py
It writes tests/fixtures/cs_reference.json. The implementation here is
independent of the C one: the interval endpoints are found with SciPy's
brentq on the defining inequality in mu (not on q = u^2), and the p-value
from the full path of the mixture martingale computed with numpy.
"""
import json
import math

import numpy as np
import scipy
from scipy.optimize import brentq


def rho_for(v_opt, alpha):
    l2 = 2 * math.log(1 / alpha)
    return v_opt / (l2 + math.log1p(l2))


def excess(mu, d, rho, alpha):
    s = np.sum(d - mu)
    v = np.sum((d - mu) ** 2)
    return s * s - (v + rho) * (math.log1p(v / rho) + 2 * math.log(1 / alpha))


def endpoints(d, rho, alpha):
    m = float(np.mean(d))
    # walk outwards until the inequality fails; stop at a far bound (unbounded)
    step = max(float(np.std(d)), 1e-6) / 8
    for side in (+1, -1):
        x = m
        found = None
        for _ in range(200):
            x2 = x + side * step
            if excess(x2, d, rho, alpha) >= 0:
                found = brentq(lambda mu: excess(mu, d, rho, alpha), min(x, x2), max(x, x2),
                               xtol=1e-15, rtol=1e-14, maxiter=500)
                break
            x = x2
            step *= 1.5
            if abs(x - m) > 50:
                break
        yield found


def pvalue(d, rho):
    s = np.cumsum(d)
    v = np.cumsum(d * d)
    logm = 0.5 * np.log(rho / (v + rho)) + s * s / (2 * (v + rho))
    return float(min(1.0, math.exp(-max(0.0, float(np.max(logm))))))


def main():
    rng = np.random.default_rng(20261122)
    cases = []
    specs = [
        ("n3_normal", rng.normal(0.0, 0.02, 3), 0.04, 0.05),
        ("n12_normal_shift", rng.normal(0.05, 0.02, 12), 0.04, 0.05),
        ("n30_lognormal_aa", np.log(rng.lognormal(0, 0.1, 30)) - np.log(rng.lognormal(0, 0.1, 30)), 0.04, 0.05),
        ("n100_t3", 0.01 * rng.standard_t(3, 100) + 0.002, 0.04, 0.05),
        ("n100_t3_a01", 0.01 * rng.standard_t(3, 100) + 0.002, 0.01, 0.01),
        ("n500_normal_small", rng.normal(0.003, 0.02, 500), 0.04, 0.05),
        ("n500_contaminated", np.where(rng.random(500) < 0.05, rng.normal(0, 0.3, 500),
                                       rng.normal(-0.01, 0.02, 500)), 0.2, 0.05),
        ("n60_large_effect", rng.normal(-0.2, 0.05, 60), 0.04, 0.10),
    ]
    for name, d, v_opt, alpha in specs:
        d = np.asarray(d, dtype=float)
        rho = rho_for(v_opt, alpha)
        hi, lo = endpoints(d, rho, alpha)
        cases.append({
            "name": name, "d": [float(x) for x in d], "v_opt": v_opt, "alpha": alpha,
            "rho": rho, "mean": float(np.mean(d)),
            "lo": lo, "hi": hi,  # None: unbounded
            "p_value": pvalue(d, rho),
        })
    out = {"generator": "scripts/fixtures_cs.py", "numpy": np.__version__,
           "scipy": scipy.__version__, "cases": cases}
    with open("tests/fixtures/cs_reference.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
