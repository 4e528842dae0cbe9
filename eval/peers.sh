#!/bin/sh
# peers.sh BUILD: the peer comparison of `make eval` (issue 5, item 5;
# METHODS.md, "Peers on the same runs"). Prints markdown on stdout (run.sh
# writes it to eval/results/peers.md, or peers-quick.md with QUICK=1);
# progress on stderr when it is a terminal.
#
#  1. `make demo`'s campaign (corpora/demo.sh): benchgate's real gate
#     verdicts on the eight demo candidates;
#  2. the same candidates as the peers see them (eval/demo_peers.sh: timings
#     of the training workloads only);
#  3. A/A and known-effect trials on the bundled bg-int (BUILD/eval/peers
#     table, see eval/peers.c for every rule), then the table.
#
# hyperfine (the Debian package) is run as a real process; when it is not
# installed its row is skipped with a note (apt-get install hyperfine).
#
# Sizes: AA A/A trials, EFF trials per effect, PASSES over the demo
# candidates; QUICK=1 makes them small. Full: about 23 minutes on the 2-PU
# development VM (trials 20, demo campaign 2, the peers on the demo 1);
# QUICK=1 about 5.
set -eu
build=$1
bg=$build/benchgate
peers=$build/eval/peers
corpora=build/corpora
if [ "${QUICK:-0}" != 0 ]; then
	aa=24; eff=8; passes=1; quick=" QUICK=1"
else
	aa=150; eff=40; passes=3; quick=""
fi
scale=0.25; max_rounds=300; max_time=5; pi_n=5; mwu_n=9; hf_runs=10; hf_warmup=2
seed=20261122

hf=$(command -v hyperfine || true)
if [ -z "$hf" ]; then
	echo "peers: hyperfine is not installed (apt-get install hyperfine): its row is skipped" >&2
fi
tmp=$(mktemp -d /tmp/benchgate-peers.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
t0=$(date +%s)
load=$(cut -d ' ' -f 1-3 /proc/loadavg)
# A snapshot of the demo: the shell reads a script as it runs it, so an edit
# of corpora/ during these minutes would otherwise break the run.
mkdir "$tmp/corpora"
cp -r corpora/demo corpora/demo.sh "$tmp/corpora/"

# 1. benchgate's own verdicts: `make demo` (1.5 to 3 minutes here, so not
#    with QUICK=1, which must stay within a few minutes).
: >"$tmp/demo.txt"
bg_right="not run with QUICK=1"
if [ -z "$quick" ]; then
	[ -t 2 ] && echo "peers: running the demo campaign (corpora/demo.sh)" >&2
	sh "$tmp/corpora/demo.sh" "$bg" "$corpora" >"$tmp/demo.txt" 2>"$tmp/demo.err" || {
		echo "peers: corpora/demo.sh failed:" >&2
		cat "$tmp/demo.err" >&2
		exit 1
	}
	demo_repo=$(sed -n 's/^The repository: \(.*\)\/repo .*/\1/p' "$tmp/demo.txt")
	case $demo_repo in /tmp/benchgate-demo.*) rm -rf "$demo_repo" ;; esac
	bg_right=$(sed -n 's/^\([0-9]*\) of [0-9]* candidates kept or rejected as they deserve\.$/\1/p' "$tmp/demo.txt")
fi
# Rows of demo.sh's table: NAME (24 columns) DESERVES (40) VERDICT (26) ...
grep -E '^[0-9][0-9]-' "$tmp/demo.txt" | while IFS= read -r row; do
	echo "$(echo "$row" | cut -c1-24 | awk '{ print $1 }') $(echo "$row" | cut -c67-92 | awk '{ print $1 }')"
done >"$tmp/bg_verdicts"

# 2. The peers on the same candidates.
sh eval/demo_peers.sh "$tmp/corpora/demo" "$peers" "$hf" "$passes" "$tmp/bg_verdicts" "$tmp/counts" \
	--pi-n "$pi_n" --mwu-n "$mwu_n" --hf-runs "$hf_runs" --hf-warmup "$hf_warmup" \
	--seed "$seed" >"$tmp/demo_table.md"
echo "benchgate ${bg_right:-?}" >>"$tmp/counts"

# 3. The trials.
"$peers" table --bg-int "$corpora/bg-int" --scale "$scale" --aa "$aa" --effect-trials "$eff" \
	--max-rounds "$max_rounds" --max-time "$max_time" --pi-n "$pi_n" --mwu-n "$mwu_n" \
	--hf-runs "$hf_runs" --hf-warmup "$hf_warmup" --hyperfine "$hf" --seed "$seed" \
	--demo "$tmp/counts" >"$tmp/table.md"

if [ "$passes" -gt 1 ]; then
	passes_text="$passes passes over the eight candidates, one count per pass"
else
	passes_text="one pass over the eight candidates"
fi
hf_note=""
[ -z "$hf" ] && hf_note="
**hyperfine was not installed on this machine, so its row is empty: \`apt-get install hyperfine\` and rerun.**
"

cat <<EOF
# benchgate against its peers

Machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) PUs, kernel $(uname -r); load average $load at the start. Date: $(date -u +%Y-%m-%d). Reproduce: \`make eval$quick\` (this part: \`sh eval/peers.sh BUILD\`).

Every method answers the question an optimisation loop asks after each
change: keep candidate B over baseline A, that is, is B faster? A keep of B
when A and B are the same program is a false keep.
$hf_note
EOF
sed -n '1,/^$/p' "$tmp/table.md"
cat <<EOF
Rows (each method as its authors ship it, on the same machine):

- **benchgate**: the rule of \`benchgate compare\` with its defaults — $max_rounds
  rounds or $max_time s at most per decision here (a smaller budget than
  compare's 5000 rounds / 60 s, to fit the evaluation in its time),
  2 warm-up rounds, then after every round the anytime-valid confidence
  sequence of the paired log-ratios (alpha 0.05) and the verdict rule (min
  effect 1%); it stops at the first verdict other than INCONCLUSIVE from
  round 5 on. KEEP = IMPROVED; INCONCLUSIVE at the budget and NO_CHANGE are
  not keeps.
- **single run**: what an unguarded loop does: one run of each, keep B when
  its run was shorter.
- **pi-autoresearch score**: pi-autoresearch's advisory confidence
  (extensions/pi-autoresearch/index.ts, \`computeConfidence\`):
  |best kept − baseline| / MAD, the MAD the raw median absolute deviation of
  every metric value of the session, "likely real" at ≥ 2. pi-autoresearch
  has no fixed number of runs (the score needs 3 results); the session here
  is the runs of the first $pi_n rounds ($((2 * pi_n)) values in the order they ran),
  the baseline A's first run, a B run kept when it beats the best so far
  (pi's loop), and B is kept when the score is ≥ 2.
- **hyperfine + Welch**: \`hyperfine -N --warmup $hf_warmup --runs $hf_runs A B\` (the Debian
  package, $(hyperfine --version 2>/dev/null || echo "not installed"); $hf_runs runs is its default minimum) run as a
  separate process: all of A's runs, then all of B's, not interleaved, not
  pinned; then Welch's t-test at 0.05 on the times it exports. KEEP when
  significant and B's mean is lower.
- **Mann–Whitney, fixed n**: Google Benchmark's compare.py rule
  (tools/gbench/report.py): the U test, two-sided, at its default
  \`utest_alpha\` 0.05, on $mwu_n repetitions per arm (its
  \`UTEST_OPTIMAL_REPETITIONS\`, "lowest reasonable number"), computed as
  scipy's \`mannwhitneyu\` does at that size (normal approximation with
  continuity correction). KEEP when significant and B's median is lower.

Same runs: every trial runs randomized interleaved rounds of A and B with
benchgate's sampler (each run a fresh process pinned to one PU, wall time)
until benchgate's rule has stopped and at least 30 rounds are in; the single
run, pi-autoresearch's score and Mann–Whitney decide from the first rounds
of that same stream (so they get benchgate's interleaving and pinning for
free: only the decision rule differs). hyperfine cannot share them: it
measures in its own way, which is part of what is compared.

Columns:

- **false keeps on A/A**: A and B both \`bg-int -s $scale\` (about 7 ms on this VM when
  it is quiet), $aa trials; the share of trials in which the method kept B, with its
  Clopper–Pearson 95% interval. (A method that calls a difference either
  way, e.g. a two-sided test, is wrong about twice as often; see "any
  difference" below.)
- **power at 1%, 2%, 5%, 10%**: B = \`bg-int -s $scale\`, A the same with \`-x X\`,
  X set so that B is 1, 2, 5 or 10% faster in wall time (\`-x\` adds loop
  work only; process start-up does not scale, so X is measured at the
  start: see the calibration line below, and the ratio actually delivered
  in "Details"); $eff trials per effect; the share of trials in which the
  method kept B.
- **machine-seconds per decision**: the run time a decision consumed: the
  sum of the wall times of the runs the method looked at (benchgate: every
  round up to its stop, warm-up included), or hyperfine's elapsed time;
  the mean over the five conditions (A/A and each effect), each condition's
  mean weighted equally.
- **demo candidates right, of 8**: \`make demo\`'s eight candidates
  (corpora/demo/candidates): right = kept when its "# deserves:" line says
  KEEP, not kept when it says REJECT. benchgate: its real gate verdicts from
  one run of \`corpora/demo.sh\` (tests, protected paths, held-out inputs and
  the speed rule). The peers: timings of the training workloads only, with
  $passes_text (eval/demo_peers.sh;
  table below). Without tests, protected paths or held-out inputs, the
  overfit change (03) and the benchmark edit (04) are plain speedups of the
  training timings, and a peer that sees them keeps them; the broken edge
  case (05) and the deleted test (06) barely move the training timings, so
  a peer rejects them or not as the noise falls, never because a test broke
  or went missing.
  (pi-autoresearch's optional \`autoresearch.checks.sh\` would stop 05 if its
  user wrote one that runs the tests; nothing stops 03, 04 or 06.)

## Details

EOF
sed -n '/^Keeps per condition/,$p' "$tmp/table.md"
cat <<EOF

## The demo's candidates as the peers see them

Each tree's benchmark is its own benchgate.json's training workloads run
once each (\`./wordfreq corpus/small.txt\`, \`./wordfreq corpus/large.txt\`),
so the benchmark edit (04) is measured by its own lighter benchmark. 01 is
compared with the baseline, 02–08 with baseline + 01 (what \`make demo\` keeps
before them). A cell is the verdict of every pass, or how many passes kept.
B/A: the geometric-mean ratio of the peers' interleaved rounds, per pass.

EOF
cat "$tmp/demo_table.md"
cat <<EOF

EOF
if [ -s "$tmp/demo.txt" ]; then
	printf '%s\n\n```\n' "benchgate's column is its gate in \`make demo\`; its own table:"
	grep -E '^(candidate|[0-9][0-9]-)' "$tmp/demo.txt"
	sed -n '/ candidates kept or rejected as they deserve/p' "$tmp/demo.txt"
	echo '```'
else
	echo "With QUICK=1 the demo campaign is not run (it takes 1.5 to 3 minutes here): \`make demo\` shows benchgate's verdicts."
fi
cat <<EOF

This comparison took $(( $(date +%s) - t0 )) s.
EOF
