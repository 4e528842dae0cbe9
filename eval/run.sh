#!/bin/sh
# run.sh BUILD: what `make eval` runs. Writes eval/results/stats.md (the
# statistics: simulations, speed, a real A/A) and eval/results/peers.md
# (benchgate against its peers, eval/peers.sh), both quoted by the README,
# and prints them. QUICK=1 for a smaller version in a few minutes (the
# -quick files).
#
# Time on the 2-PU development VM while other jobs ran on it: full about
# 33 minutes (simulations and speed 1, real A/A 8.5, peers 23); QUICK=1
# about 6. The real A/A of stats.md is 100
# runs of `benchgate compare --max-time 5` (10 with QUICK=1): peers.md adds
# 200 (30) real A/A decisions of the same rule on the same workload, so it
# was cut from 200 to keep the whole well under an hour.
set -eu
build=$1
q=""
[ "${QUICK:-0}" != 0 ] && q=-quick
n_aa=100
[ -n "$q" ] && n_aa=10
stats=eval/results/stats$q.md
peers=eval/results/peers$q.md
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	echo "# benchgate statistics evaluation"
	echo
	echo "Machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) PUs, kernel $(uname -r). Date: $(date -u +%Y-%m-%d). Reproduce: \`make eval${q:+ QUICK=1}\`."
	echo
	"$build/eval/sim_stats"
	echo "## Speed"
	echo
	"$build/eval/bench_stats"
	echo
	echo "## Real A/A on this machine"
	echo
	echo "\`benchgate compare --max-time 5\` of a bundled workload against itself, $n_aa times in a row."
	echo
	sh eval/aa_real.sh "$build/benchgate" build/corpora "$n_aa"
} >"$tmp"
cp "$tmp" "$stats"
cat "$stats"
echo
sh eval/peers.sh "$build" >"$tmp"
cp "$tmp" "$peers"
cat "$peers"
