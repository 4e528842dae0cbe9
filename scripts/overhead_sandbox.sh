#!/bin/sh
# overhead_sandbox.sh [REPEATS]: the harness overhead of a sandboxed run
# against hyperfine -N. The gate runs each arm's workloads in one bubblewrap
# sandbox, served inside it by `benchgate __serve` and timed there
# (smp_serve.h), each run on an overlay of its own (smp_overlay.h); this
# times `true` exactly that way (bwrap with the gate's
# options, `benchgate __ask` per run) 150 times, and hyperfine -N times
# `true` 300 times, in alternation, REPEATS pairs (default 5). With
# PER_RUN=1 it times the former way instead, a fresh sandbox per run
# (benchgate __time inside). Pinned as the gate pins by default ("pin":
# "auto"): the run, and hyperfine with its run, on the last PU, the rest
# (the server as started by the harness) on the first; PIN=none pins
# nothing; OVERLAY=none serves runs on the tree read-only, without an
# overlay each. Prints each pair's medians and their ratio, and the whole
# time per sandboxed run (request to answer: the machine time a run costs,
# overlay included), then the median ratio.
# Needs bubblewrap and hyperfine (Debian packages).
set -eu
bg=$(realpath "${BENCHGATE:-build/benchgate}")
n=${1:-5}
child=$(($(nproc) - 1))
if [ "${PIN:-auto}" = none ] || [ "$child" -lt 1 ]; then
	on_child=""; on_harness=""
else
	on_child="taskset -c $child"; on_harness="taskset -c 0"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/tree" "$tmp/repo"
# the gate's sandbox options (smp_sandbox_wrap); mktemp's paths have no blanks
box="--ro-bind / / --dev /dev --proc /proc --tmpfs /var/tmp --ro-bind $tmp/tree $tmp/repo
	--unshare-pid --unshare-net --unshare-ipc --unshare-uts --die-with-parent --new-session
	--ro-bind $bg /var/tmp/.benchgate-timer --chdir $tmp/repo"
mkdir "$tmp/serve"
if [ "${OVERLAY:-}" = none ]; then overlay=""; else overlay="--overlay $tmp/repo"; fi
if [ -z "${PER_RUN:-}" ]; then
	# shellcheck disable=SC2086
	$on_harness bwrap $box --bind "$tmp/serve" "$tmp/serve" -- /var/tmp/.benchgate-timer __serve $overlay "$tmp/serve/socket" &
	server=$!
	trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
	for _ in $(seq 1 500); do [ -S "$tmp/serve/socket" ] && break; sleep 0.01; done
	[ -S "$tmp/serve/socket" ] || { echo "overhead_sandbox.sh: the run server did not start" >&2; exit 1; }
fi
sandboxed() {
	if [ -z "${PER_RUN:-}" ]; then
		$on_child "$bg" __ask "$tmp/serve/socket" ${CMD:-true}
	else
		# shellcheck disable=SC2086
		$on_child bwrap $box -- /var/tmp/.benchgate-timer ${overlay:+__overlay "$tmp/repo"} /var/tmp/.benchgate-timer __time ${CMD:-true}
	fi
}
for i in $(seq 1 "$n"); do
	$on_child hyperfine -N --warmup 20 --runs 300 --export-json "$tmp/h.json" ${CMD:-true} >/dev/null 2>&1
	: > "$tmp/walls"
	t0=$(date +%s%N)
	for k in $(seq 1 160); do
		sandboxed 2>&1 >/dev/null | sed -n 's/^.benchgate-time \([0-9]*\) .*/\1/p' >> "$tmp/walls"
	done
	t1=$(date +%s%N)
	/usr/bin/python3 - "$tmp/h.json" "$tmp/walls" >>"$tmp/ratios" <<'PY'
import json, statistics, sys
h = json.load(open(sys.argv[1]))["results"][0]["median"]
walls = [int(x) * 1e-9 for x in open(sys.argv[2]).read().split()][10:]   # 10 warm-up runs
b = statistics.median(walls)
print(f"{h*1e3:.3f} {b*1e3:.3f} {b/h:.3f}")
PY
	tail -n 1 "$tmp/ratios" | awk -v per="$(( (t1 - t0) / 160000 ))" \
		'{printf "hyperfine -N median %s ms   sandboxed benchgate median %s ms   ratio %s   (%s us per run, all told)\n", $1, $2, $3, per}'
done
sort -n -k3 "$tmp/ratios" | awk '{r[NR]=$3} END {printf "median ratio sandboxed benchgate/hyperfine over %d pairs: %s\n", NR, r[int((NR+1)/2)]}'
