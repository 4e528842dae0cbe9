#!/bin/sh
# overhead.sh [REPEATS]: benchgate's harness overhead against hyperfine -N.
# Both time `true` (no shell) in alternation, REPEATS times (default 5);
# prints each pair's medians, their ratio, and the median ratio.
set -eu
bg=${BENCHGATE:-build/benchgate}
n=${1:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
for i in $(seq 1 "$n"); do
	hyperfine -N --warmup 20 --runs 300 --export-json "$tmp/h.json" true >/dev/null 2>&1
	"$bg" compare -q -N -w 10 -r 150 --export-json "$tmp/b.json" true true >/dev/null
	$py - "$tmp/h.json" "$tmp/b.json" >>"$tmp/ratios" <<'PY'
import json, statistics, sys
h = json.load(open(sys.argv[1]))["results"][0]["median"]
b = statistics.median(s["wall_ns"] * 1e-9 for s in json.load(open(sys.argv[2]))["samples"])
print(f"{h*1e3:.3f} {b*1e3:.3f} {b/h:.3f}")
PY
	tail -n 1 "$tmp/ratios" | awk '{printf "hyperfine -N median %s ms   benchgate median %s ms   ratio %s\n", $1, $2, $3}'
done
sort -n -k3 "$tmp/ratios" | awk '{r[NR]=$3} END {printf "median ratio benchgate/hyperfine over %d pairs: %s\n", NR, r[int((NR+1)/2)]}'
