#!/bin/sh
# demo.sh BENCHGATE CORPORA: what `make demo` runs. Two comparisons on a
# bundled ~20 ms workload: against itself (the verdict must not claim a
# difference) and against a version doing exactly 10% more work (REGRESSED).
set -u
bg=$1; corpora=$2
w="$corpora/bg-int"
echo "== benchgate demo: $w against itself (A/A) =="
"$bg" compare --max-time 20 "$w" "$w" || exit 2
echo
echo "== benchgate demo: $w against $w -x 10 (B does 10% more work) =="
"$bg" compare --max-time 30 "$w" "$w -x 10" || exit 2
