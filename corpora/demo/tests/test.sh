#!/bin/sh
# test.sh [CASE...]: runs ./wordfreq on tests/cases/CASE.txt (with the
# arguments in CASE.args, if any) and compares its output with CASE.out.
# Without arguments every case in tests/cases/ runs. Prints one line per
# case, then "N passed, M failed"; exits 1 if any case failed.
# Run from the directory that holds ./wordfreq.
set -u
dir=tests/cases
if [ $# -eq 0 ]; then
	for f in "$dir"/*.txt; do
		n=${f##*/}; set -- "$@" "${n%.txt}"
	done
fi
pass=0; fail=0
tmp=${TMPDIR:-/tmp}/wordfreq-test.$$
trap 'rm -f "$tmp"' EXIT
for c in "$@"; do
	args=
	[ -f "$dir/$c.args" ] && args=$(cat "$dir/$c.args")
	# shellcheck disable=SC2086 # args is a word list on purpose
	if ./wordfreq $args "$dir/$c.txt" >"$tmp" 2>&1 && cmp -s "$tmp" "$dir/$c.out"; then
		echo "ok   $c"; pass=$((pass + 1))
	else
		echo "FAIL $c"; fail=$((fail + 1))
		diff "$dir/$c.out" "$tmp" | head -n 10 | sed 's/^/     /'
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
