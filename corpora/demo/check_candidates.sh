#!/bin/sh
# check_candidates.sh [WORKDIR]: verifies the demo's candidate patches in a
# throwaway repository (default: a fresh mktemp -d, removed afterwards).
# The baseline tree is this directory's src/, tests/, Makefile,
# gen_inputs.sh, benchgate.json and .gitignore plus corpus/ from
# gen_inputs.sh. Checks that every patch applies to the baseline, that 01
# applies, builds and passes the tests and is committed, and that each of
# 02..08 then applies on top of it, builds, and passes or fails its tests as
# its "# deserves:" line says (tests_failed: fails; tests_dropped: passes
# with fewer tests; otherwise passes with the same output as the baseline on
# the training and held-out inputs). Prints one line per patch, then
# "N verified, M wrong"; exits 1 if any is wrong.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-}
if [ -z "$work" ]; then
	work=$(mktemp -d) || exit 2
	trap 'rm -rf "$work"' EXIT
fi
repo=$work/repo; hold=$work/holdout; ref=$work/ref
rm -rf "$repo" "$hold" "$ref"; mkdir -p "$repo" "$ref"
cp -r "$here/src" "$here/tests" "$here/Makefile" "$here/gen_inputs.sh" \
	"$here/benchgate.json" "$here/.gitignore" "$repo/" || exit 2
cd "$repo" || exit 2
sh gen_inputs.sh . "$hold" || exit 2
g() { git -c user.name=check -c user.email=check@benchgate.invalid "$@"; }
g init -q && g add -A && g commit -q -m baseline || exit 2
make -s >/dev/null 2>&1 || { echo "baseline does not build"; exit 2; }
base_tests=$(make -s test 2>/dev/null | sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p')
[ -n "$base_tests" ] || { echo "baseline tests do not pass"; exit 2; }
for f in corpus/small.txt corpus/large.txt "$hold/mixed.txt"; do
	./wordfreq "$f" >"$ref/$(basename "$f").out" || exit 2
done
echo "baseline: builds, $base_tests tests pass"

ok=0; bad=0
verdict() { # name ok|wrong detail
	if [ "$2" = ok ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	printf '%-28s %-5s %s\n' "$1" "$2" "$3"
}
for p in "$here"/candidates/[0-9][0-9]-*.patch; do
	git apply --check "$p" 2>/dev/null || verdict "$(basename "$p" .patch)" wrong "does not apply to the baseline"
done

# check PATCH: applies, builds, tests as deserved; leaves the tree dirty.
check() {
	p=$1; name=$(basename "$p" .patch)
	deserves=$(sed -n 's/^# deserves: //p' "$p" | head -n 1)
	if ! git apply "$p" 2>/dev/null; then verdict "$name" wrong "does not apply"; return 1; fi
	rm -f wordfreq # make would not rebuild for a patch that leaves src/ alone
	if ! make -s >/dev/null 2>&1; then verdict "$name" wrong "does not build"; return 1; fi
	out=$(make -s test 2>/dev/null); rc=$?
	n=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) passed, [0-9]* failed$/\1/p')
	case $deserves in
	"REJECT(tests_failed)")
		if [ $rc -ne 0 ]; then verdict "$name" ok "tests fail ($(printf '%s\n' "$out" | tail -n 1))"
		else verdict "$name" wrong "tests pass"; return 1; fi ;;
	"REJECT(tests_dropped)")
		if [ $rc -eq 0 ] && [ "${n:-0}" -lt "$base_tests" ]; then verdict "$name" ok "tests pass, $n < $base_tests"
		else verdict "$name" wrong "rc $rc, $n tests"; return 1; fi ;;
	*)
		if [ $rc -ne 0 ] || [ "$n" != "$base_tests" ]; then verdict "$name" wrong "tests: rc $rc, $n tests"; return 1; fi
		for f in corpus/small.txt corpus/large.txt "$hold/mixed.txt"; do
			if ! ./wordfreq "$f" | cmp -s - "$ref/$(basename "$f").out"; then
				case $deserves in
				"REJECT(protected_changed)") ;; # the inputs themselves may differ
				*) verdict "$name" wrong "output differs on $f"; return 1 ;;
				esac
			fi
		done
		verdict "$name" ok "tests pass ($n), outputs unchanged; deserves $deserves" ;;
	esac
	return 0
}

first=1
for p in "$here"/candidates/[0-9][0-9]-*.patch; do
	if [ $first -eq 1 ]; then
		first=0
		if ! check "$p" || ! g commit -q -a -m "$(basename "$p")"; then
			echo "$(basename "$p") must apply, build and pass: stopping"
			exit 1
		fi
	else
		check "$p"
		git reset -q --hard HEAD && git clean -q -fdx
	fi
done
echo "$ok verified, $bad wrong"
[ "$bad" -eq 0 ]
