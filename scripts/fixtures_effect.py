#!/usr/bin/python3
"""Reference values for stats/st_effect and st_boot_expanded_level.

Run once with Debian's python3 (python3-scipy), from the repository root:
    /usr/bin/python3 scripts/fixtures_effect.py
Writes tests/fixtures/effect_reference.json: Hesterberg's expanded levels
(t quantiles from SciPy), and for paired samples the geometric-mean ratio
and the one-sample t-test p-value of the log-differences.
"""
import json
import math

import numpy as np
import scipy
from scipy import stats


def expanded(level, n):
    z = math.sqrt(n / (n - 1)) * stats.t.isf((1 - level) / 2, n - 1)
    return min(1 - 2 * stats.norm.sf(z), 1 - 1e-12)


def main():
    rng = np.random.default_rng(7)
    levels = [{"level": l, "n": n, "expanded": expanded(l, n)}
              for l, n in [(0.95, 2), (0.95, 3), (0.95, 5), (0.9, 10), (0.95, 30),
                           (0.99, 100), (0.95, 1000), (0.5, 7)]]
    pairs = []
    for name, n, ratio, sigma in [("aa_n20", 20, 1.0, 0.03), ("slow10_n40", 40, 1.1, 0.02),
                                  ("fast3_n200", 200, 0.97, 0.05)]:
        a = 0.02 * np.exp(rng.normal(0, sigma, n))
        b = 0.02 * ratio * np.exp(rng.normal(0, sigma, n))
        d = np.log(b) - np.log(a)
        t = stats.ttest_1samp(d, 0.0)
        pairs.append({"name": name, "a": a.tolist(), "b": b.tolist(),
                      "ratio": float(np.exp(np.mean(d))), "p_value": float(t.pvalue)})
    out = {"generator": "scripts/fixtures_effect.py", "scipy": scipy.__version__,
           "expanded_levels": levels, "pairs": pairs}
    with open("tests/fixtures/effect_reference.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
