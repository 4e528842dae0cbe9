#!/bin/sh
# run.sh BUILD TEST...: runs each cmocka test binary, adds up cmocka's
# PASSED/FAILED lines, and ends with one "N passed, N failed" line. A binary
# that crashes or exits non-zero without a FAILED line counts as one failure.
# Each line gives the binary's wall time.
#
# Every binary runs with its own HOME and XDG directories (made fresh, removed
# after), so nothing a user's benchgate left in ~/.cache or ~/.config, nor a
# git identity of the machine, reaches a test.
set -u
build=$1; shift
passed=0; failed=0; bad=""
for t in "$@"; do
	log=$(mktemp)
	home=$(mktemp -d)
	mkdir -p "$home/.cache" "$home/.config" "$home/.local/share" "$home/.local/state"
	export HOME="$home" XDG_CACHE_HOME="$home/.cache" XDG_CONFIG_HOME="$home/.config" \
		XDG_DATA_HOME="$home/.local/share" XDG_STATE_HOME="$home/.local/state" \
		GIT_CONFIG_NOSYSTEM=1 BENCHGATE_MACHINE_LOCK="$home/measure.lock"
	t0=$(date +%s)
	"$t" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		bad="$bad $(basename "$t")"
		echo "---- $t (exit $rc) ----"; tail -n 60 "$log"
	else
		printf '%-28s %3d passed %4d s\n' "$(basename "$t")" "$p" "$secs"
	fi
	rm -f "$log"
	rm -rf "$home"
done
[ -n "$bad" ] && echo "failing ($build):$bad"
echo "(build: $build)"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
