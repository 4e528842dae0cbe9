#!/bin/sh
# unused.sh OBJ... — fails when a public function of the product is not
# reachable from main: the objects (compiled with -O0 -ffunction-sections,
# so nothing is inlined away) are linked with --gc-sections, and every
# global function whose section the linker drops is reported.
#
# Symbols that are public only for the tests, by design, are listed here
# with the reason; their header says so too.
set -eu

TEST_ONLY="
bg_interrupt_reset  tests re-arm the interrupt flag between cases
lp_workspace_use_exe  in-process gates of the tests name benchgate for the sandboxes' helpers
"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# shellcheck disable=SC2046
cc -o "$tmp/bin" "$@" -Wl,--gc-sections,--print-gc-sections \
	$(pkg-config --libs gsl hwloc libgit2 libcjson libcrypto) -lm 2> "$tmp/gc" || { cat "$tmp/gc" >&2; exit 1; }
sed -n "s/.*removing unused section '\.text\.\([^']*\)'.*/\1/p" "$tmp/gc" | sort -u > "$tmp/removed"
nm -g --defined-only "$@" | awk '$2 == "T" { print $3 }' | sort -u > "$tmp/public"
echo "$TEST_ONLY" | awk 'NF { print $1 }' | sort -u > "$tmp/allowed"
comm -12 "$tmp/removed" "$tmp/public" | comm -23 - "$tmp/allowed" > "$tmp/unused"
if [ -s "$tmp/unused" ]; then
	echo "unused.sh: public functions the benchgate binary never calls:" >&2
	sed 's/^/  /' "$tmp/unused" >&2
	echo "remove them (with their tests), make them static, or, when public only for the tests by design, list them in scripts/unused.sh and say so in the header" >&2
	exit 1
fi
echo "unused.sh: every public function of the product is reachable from main ($(wc -l < "$tmp/public") checked, $(wc -l < "$tmp/allowed") test-only by design)"
