#!/bin/sh
# aa_real.sh BENCHGATE CORPORA N: N real `benchgate compare` runs of a short
# bundled workload against itself on this machine. Prints a markdown row:
# how many ended IMPROVED/REGRESSED (false), NO_CHANGE, INCONCLUSIVE, with
# the Clopper-Pearson 95% interval of the false share.
set -eu
bg=$1; corpora=$2; n=${3:-200}
w="$corpora/bg-int -s 0.25"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t0=$(date +%s)
i=0
while [ "$i" -lt "$n" ]; do
	i=$((i + 1))
	"$bg" compare -q --max-time 5 --export-json "$tmp/r.json" "$w" "$w" >/dev/null
	/usr/bin/python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["effect"]; print(e["verdict"], e["rounds"], e["elapsed_s"])' "$tmp/r.json" >>"$tmp/verdicts"
	[ -t 2 ] && printf '\r  real A/A: %d of %d' "$i" "$n" >&2
done
[ -t 2 ] && printf '\r\033[K' >&2
/usr/bin/python3 - "$tmp/verdicts" "$(( $(date +%s) - t0 ))" "$w" <<'PY'
import sys
from scipy.stats import beta
rows = [l.split() for l in open(sys.argv[1])]
n = len(rows)
false = sum(r[0] in ("IMPROVED", "REGRESSED") for r in rows)
nc = sum(r[0] == "NO_CHANGE" for r in rows)
inc = sum(r[0] == "INCONCLUSIVE" for r in rows)
lo = 0.0 if false == 0 else beta.ppf(0.025, false, n - false + 1)
hi = 1.0 if false == n else beta.ppf(0.975, false + 1, n - false)
rounds = sorted(int(r[1]) for r in rows)
secs = sorted(float(r[2]) for r in rows)
print("| workload | runs of compare | false (IMPROVED/REGRESSED) | 95% CI | NO_CHANGE | INCONCLUSIVE | median rounds | median seconds | total |")
print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
print(f"| `{sys.argv[3].split('/')[-1]}` | {n} | {false/n:.3f} ({false}) | [{lo:.3f}, {hi:.3f}] | {nc} | {inc} | {rounds[n//2]} | {secs[n//2]:.1f} | {sys.argv[2]} s |")
PY
