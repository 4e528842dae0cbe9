#!/bin/sh
# overhead_sandbox.sh [REPEATS]: the harness overhead of a sandboxed run
# against hyperfine -N. The gate times a workload run inside its bubblewrap
# sandbox (benchgate __time, smp_timer.h); this times `true` exactly that
# way (bwrap with the gate's options, the timer inside) 150 times, and
# hyperfine -N times `true` 300 times, in alternation, REPEATS pairs
# (default 5). Prints each pair's medians, their ratio, and the median
# ratio. Needs bubblewrap and hyperfine (Debian packages).
set -eu
bg=$(realpath "${BENCHGATE:-build/benchgate}")
n=${1:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/tree"
sandboxed() {
	bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --ro-bind "$tmp/tree" "$tmp/repo" \
		--unshare-pid --unshare-net --unshare-ipc --unshare-uts --die-with-parent --new-session \
		--ro-bind "$bg" /tmp/.benchgate-timer --chdir "$tmp/repo" -- /tmp/.benchgate-timer __time ${CMD:-true}
}
for i in $(seq 1 "$n"); do
	hyperfine -N --warmup 20 --runs 300 --export-json "$tmp/h.json" ${CMD:-true} >/dev/null 2>&1
	: > "$tmp/walls"
	for k in $(seq 1 160); do
		sandboxed 2>&1 >/dev/null | sed -n 's/^.benchgate-time \([0-9]*\) .*/\1/p' >> "$tmp/walls"
	done
	/usr/bin/python3 - "$tmp/h.json" "$tmp/walls" >>"$tmp/ratios" <<'PY'
import json, statistics, sys
h = json.load(open(sys.argv[1]))["results"][0]["median"]
walls = [int(x) * 1e-9 for x in open(sys.argv[2]).read().split()][10:]   # 10 warm-up runs
b = statistics.median(walls)
print(f"{h*1e3:.3f} {b*1e3:.3f} {b/h:.3f}")
PY
	tail -n 1 "$tmp/ratios" | awk '{printf "hyperfine -N median %s ms   sandboxed benchgate median %s ms   ratio %s\n", $1, $2, $3}'
done
sort -n -k3 "$tmp/ratios" | awk '{r[NR]=$3} END {printf "median ratio sandboxed benchgate/hyperfine over %d pairs: %s\n", NR, r[int((NR+1)/2)]}'
