#!/bin/sh
# run.sh BUILD: what `make eval` runs. Writes eval/results/stats.md (quoted
# by the README) and prints it. QUICK=1 for a smaller version.
set -eu
build=$1
out=eval/results/stats${QUICK:+-quick}.md
n_aa=200
[ "${QUICK:-0}" != 0 ] && n_aa=30
tmp=$(mktemp)
{
	echo "# benchgate statistics evaluation"
	echo
	echo "Machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) PUs, kernel $(uname -r). Date: $(date -u +%Y-%m-%d). Reproduce: \`make eval${QUICK:+ QUICK=1}\`."
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
mv "$tmp" "$out"
cat "$out"
