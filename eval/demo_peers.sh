#!/bin/sh
# demo_peers.sh DEMO PEERS HYPERFINE PASSES BENCHGATE_VERDICTS COUNTS [PEERS_OPTIONS...]
#
# The demo's eight candidates (DEMO/candidates/, DEMO being corpora/demo or
# a copy of it) as benchgate's
# peers see them: timings of the training workloads, nothing else (no tests,
# no protected paths, no held-out inputs: that is the point). Part of
# `make eval` (eval/peers.sh).
#
# The trees are built outside any git repository, as
# corpora/demo/check_candidates.sh builds them: the baseline (the demo's
# files plus gen_inputs.sh's corpus), the baseline + 01 (the real speedup,
# which every candidate after it builds on, as in `make demo` where 01 is
# kept), and 02..08 each applied on top of baseline + 01. Each tree's
# benchmark is its own benchgate.json's training workloads run once each,
# one after the other (bench.sh), so a candidate that edits the benchmark
# (04) is measured by its own edited benchmark, as a loop without a guard
# would measure it. Candidate k is compared with its parent (01 with the
# baseline, the others with baseline + 01) by `PEERS pair` (single run,
# pi-autoresearch's score, hyperfine + Welch, fixed-n Mann-Whitney), PASSES
# times. A peer is right when it keeps a candidate whose "# deserves:" line
# says KEEP, or does not keep one that deserves a REJECT.
#
# BENCHGATE_VERDICTS: lines "CANDIDATE VERDICT" from `make demo`'s table
# (benchgate's real gate), shown beside the peers. Prints a markdown table
# on stdout; writes "KEY RIGHT" lines (single, pi, hyperfine, mwu; one count
# per pass, joined by " / ") to COUNTS. HYPERFINE may be empty (not
# installed): its column is then "-".
set -eu
demo=$(cd "$1" && pwd); peers=$2; hf=$3; passes=$4; bgv=$5; counts=$6
shift 6
work=$(mktemp -d /tmp/benchgate-peers-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

# bench_script TREE: TREE/bench.sh runs TREE's training workloads once each.
bench_script() {
	{
		echo "cd '$1' || exit 1"
		/usr/bin/python3 -c '
import json, sys
for w in json.load(open(sys.argv[1]))["workloads"]:
    if w.get("split", "train") == "train":
        print(w["cmd"] + " >/dev/null || exit 1")' "$1/benchgate.json"
	} >"$1/bench.sh"
}

# tree NAME FROM [PATCH]: a copy of FROM with PATCH applied, built.
tree() {
	cp -r "$work/$2" "$work/$1"
	if [ -n "${3:-}" ]; then
		(cd "$work/$1" && git apply "$3")
	fi
	(cd "$work/$1" && rm -f wordfreq && make -s >/dev/null 2>&1)
	bench_script "$work/$1"
}

mkdir "$work/base0"
cp -r "$demo/src" "$demo/tests" "$demo/Makefile" "$demo/gen_inputs.sh" "$demo/.gitignore" "$work/base0/"
sed "s|@HOLDOUT@|$work/holdout|" "$demo/benchgate.json" >"$work/base0/benchgate.json"
(cd "$work/base0" && sh gen_inputs.sh . "$work/holdout" >/dev/null)
tree base base0
for p in "$demo"/candidates/[0-9][0-9]-*.patch; do
	name=$(basename "$p" .patch)
	case $name in
	01-*) tree "$name" base "$p"; first=$name ;;
	*) tree "$name" "$first" "$p" ;;
	esac
done

# One line per candidate and pass: NAME PASS single pi hyperfine mwu ratio.
: >"$work/decisions"
pass=0
while [ "$pass" -lt "$passes" ]; do
	pass=$((pass + 1))
	for p in "$demo"/candidates/[0-9][0-9]-*.patch; do
		name=$(basename "$p" .patch)
		case $name in 01-*) parent=base ;; *) parent=$first ;; esac
		[ -t 2 ] && printf '\r\033[K  demo candidates: pass %d of %d, %s' "$pass" "$passes" "$name" >&2
		line=$("$peers" pair --hyperfine "$hf" "$@" "sh $work/$parent/bench.sh" "sh $work/$name/bench.sh")
		echo "$name $pass $line" >>"$work/decisions"
	done
done
[ -t 2 ] && printf '\r\033[K' >&2

# The table and the counts.
for p in "$demo"/candidates/[0-9][0-9]-*.patch; do
	name=$(basename "$p" .patch)
	echo "$name $(sed -n 's/^# deserves: //p' "$p" | head -n 1)"
done >"$work/deserves"
awk -v passes="$passes" -v counts="$counts" '
FILENAME == ARGV[1] { d = $2; for (i = 3; i <= NF; i++) d = d " " $i; deserves[$1] = d; order[++n] = $1; next }
FILENAME == ARGV[2] { bg[$1] = $2; next }
{
	# NAME PASS single V pi V hyperfine V mwu V ratio R
	name = $1; pass = $2
	for (i = 3; i < NF; i += 2) {
		v = $(i + 1)
		if ($i == "ratio") { ratio[name] = ratio[name] (ratio[name] == "" ? "" : ", ") v; continue }
		kept[name, $i] += v == "KEEP"
		ran[name, $i] += v != "-"
		want = deserves[name] ~ /^KEEP/
		if (v != "-" && (v == "KEEP") == want) right[$i, pass]++
		if (v != "-") any[$i] = 1
	}
}
END {
	split("single pi hyperfine mwu", keys, " ")
	print "| candidate | deserves | benchgate | single run | pi-autoresearch score | hyperfine + Welch | Mann-Whitney, fixed n | B/A seen by the peers |"
	print "|---|---|---|---|---|---|---|---:|"
	for (c = 1; c <= n; c++) {
		name = order[c]
		row = "| " name " | " deserves[name] " | " (name in bg ? bg[name] : "-")
		for (k = 1; k <= 4; k++) {
			key = keys[k]
			if (!ran[name, key]) cell = "-"
			else if (kept[name, key] == ran[name, key]) cell = "KEEP"
			else if (kept[name, key] == 0) cell = "REJECT"
			else cell = "KEEP " kept[name, key] "/" ran[name, key]
			row = row " | " cell
		}
		print row " | " ratio[name] " |"
	}
	for (k = 1; k <= 4; k++) {
		key = keys[k]; s = ""
		for (p = 1; p <= passes; p++) s = s (p > 1 ? " / " : "") (right[key, p] + 0)
		out = (key in any) ? s : "—"
		print key " " out >counts
	}
}' "$work/deserves" "$bgv" "$work/decisions"
