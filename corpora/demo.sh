#!/bin/sh
# demo.sh BENCHGATE: what `make demo` runs.
#  1. a throwaway git repository made from corpora/demo/ (a word-frequency
#     counter, its tests, training inputs; held-out inputs outside it);
#  2. a brief calibration of this machine on the demo's workloads
#     (`benchgate calibrate --time 20`): its noise, the rule's false-positive
#     rate on A/A data, what it can detect; the gates plan with it;
#  3. the demo campaign: `benchgate loop` with a scripted agent that proposes
#     eight candidate changes, one commit each; then the verdicts against the
#     verdicts they deserve.
set -eu
bg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
demo=$(cd "$(dirname "$0")/demo" && pwd)

work=$(mktemp -d /tmp/benchgate-demo.XXXXXX)
mkdir "$work/repo"
cp -r "$demo/src" "$demo/tests" "$demo/Makefile" "$demo/gen_inputs.sh" "$demo/.gitignore" "$work/repo/"
sed "s|@HOLDOUT@|$work/holdout|" "$demo/benchgate.json" >"$work/repo/benchgate.json"
cd "$work/repo"
sh gen_inputs.sh . "$work/holdout" >/dev/null
git init -q
git config user.email demo@benchgate.invalid
git config user.name "benchgate demo"
git add -A
git commit -qm "wordfreq: baseline"
echo "== 1. a throwaway repository: $work/repo (held-out inputs in $work/holdout) =="
echo
echo "== 2. this machine, calibrated briefly on the demo's workloads (20 s) =="
"$bg" calibrate -q --config benchgate.json --time 20 >"$work/calibration.txt"
# the noise table, the false-positive line and the verdict
awk '/^Noise per workload/ { on = 1 } /^Pinned/ { on = 0 } on; / all +false positives/; /^Verdict/' \
	"$work/calibration.txt"
echo "(the whole report: $work/calibration.txt)"
echo

n=$(ls "$demo"/candidates/*.patch | wc -l)
echo "== 3. the demo campaign: $n candidate commits, each gated with --apply =="
BENCHGATE_DEMO_CANDIDATES="$demo/candidates" \
	"$bg" loop --agent "sh '$demo/agent.sh'" -n "$n" >"$work/loop.txt"
echo
printf '%-24s %-40s %-26s %s\n' "candidate" "deserves" "benchgate" "B/A [interval], seconds"
# What the calibration says this machine detects within a gate's budget.
mde=$(sed -n 's/^Verdict: fit to gate changes of \([0-9.]*\)% or more.*/\1/p' "$work/calibration.txt")
i=0
right=0
excused=0
for p in "$demo"/candidates/*.patch; do
	i=$((i + 1))
	name=$(basename "$p" .patch)
	deserves=$(sed -n 's/^# deserves: //p' "$p" | head -n 1)
	row=$(awk -v i="$i" '$1 == i { print; exit }' "$work/loop.txt")
	got=$(echo "$row" | awk '{ print $3 }')
	rest=$(echo "$row" | awk '{ $1 = $2 = $3 = ""; sub(/^ +/, ""); print }')
	case "$deserves" in
	KEEP*)
		if [ "$got" = KEEP ]; then
			right=$((right + 1))
		else
			# a small gain below what the calibration says this budget detects
			gain=$(sed -n 's/^# gain: [0-9.]*-\([0-9.]*\)%.*/\1/p' "$p")
			if [ -n "$gain" ] && [ -n "$mde" ] && awk -v g="$gain" -v m="$mde" 'BEGIN { exit !(g <= m) }'; then
				excused=$((excused + 1))
				got="$got*"
			fi
		fi ;;
	REJECT*) case "$got" in REJECT*) right=$((right + 1)) ;; esac ;;
	esac
	printf '%-24s %-40s %-26s %s\n' "$name" "$deserves" "${got:--}" "$rest"
done
tail -n 1 "$work/loop.txt"
echo "$right of $i candidates kept or rejected as they deserve."
if [ "$excused" -gt 0 ]; then
	echo "* a gain of at most the patch's stated size, not above the ${mde}% this machine detects within the"
	echo "  budget (step 2): rejected because the budget is too small for it, not wrongly judged."
fi
echo "The repository: $work/repo (git log --notes=benchgate; benchgate log inside it)"
