#!/bin/sh
# demo.sh BENCHGATE CORPORA: what `make demo` runs.
#  1. a quick look at this machine's noise: a ~20 ms bundled workload
#     against itself (benchgate must not claim a difference);
#  2. the demo campaign: a throwaway git repository made from corpora/demo/
#     (a word-frequency counter, its tests, training inputs; held-out inputs
#     outside it), and `benchgate loop` with a scripted agent that proposes
#     eight candidate changes, one commit each; then the verdicts against the
#     verdicts they deserve.
set -eu
bg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
corpora=$(cd "$2" && pwd)
demo=$(cd "$(dirname "$0")/demo" && pwd)

echo "== 1. this machine's noise: bg-int against itself (A/A, at most 15 s) =="
"$bg" compare -q --max-time 15 "$corpora/bg-int" "$corpora/bg-int" | tail -n 2
echo

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

n=$(ls "$demo"/candidates/*.patch | wc -l)
echo "== 2. the demo campaign: $n candidate commits, each gated with --apply =="
BENCHGATE_DEMO_CANDIDATES="$demo/candidates" \
	"$bg" loop --agent "sh '$demo/agent.sh'" -n "$n" >"$work/loop.txt"
echo
printf '%-24s %-40s %-26s %s\n' "candidate" "deserves" "benchgate" "B/A [interval], seconds"
i=0
right=0
for p in "$demo"/candidates/*.patch; do
	i=$((i + 1))
	name=$(basename "$p" .patch)
	deserves=$(sed -n 's/^# deserves: //p' "$p" | head -n 1)
	row=$(awk -v i="$i" '$1 == i { print; exit }' "$work/loop.txt")
	got=$(echo "$row" | awk '{ print $3 }')
	rest=$(echo "$row" | awk '{ $1 = $2 = $3 = ""; sub(/^ +/, ""); print }')
	case "$deserves" in
	KEEP*) [ "$got" = KEEP ] && right=$((right + 1)) ;;
	REJECT*) case "$got" in REJECT*) right=$((right + 1)) ;; esac ;;
	esac
	printf '%-24s %-40s %-26s %s\n' "$name" "$deserves" "${got:--}" "$rest"
done
tail -n 1 "$work/loop.txt"
echo "$right of $i candidates kept or rejected as they deserve."
echo "The repository: $work/repo (git log --notes=benchgate; benchgate log inside it)"
