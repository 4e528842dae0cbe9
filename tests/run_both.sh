#!/bin/sh
# run_both.sh BUILD "TESTS" SAN_BUILD "SAN_TESTS": the plain and the sanitized
# suites (tests/run.sh) at once, each into its own log, then the two logs
# in turn; fails when either suite does. On this 2-core VM a suite spends
# most of its time waiting on the processes it starts, so the two together
# take about the time of the slower one.
set -u
plain=$(mktemp); san=$(mktemp)
trap 'rm -f "$plain" "$san"' EXIT
# shellcheck disable=SC2086
sh tests/run.sh "$1" $2 > "$plain" 2>&1 &
pid=$!
# shellcheck disable=SC2086
sh tests/run.sh "$3" $4 > "$san" 2>&1
rs=$?
wait "$pid"
rp=$?
cat "$plain" "$san"
[ "$rp" -eq 0 ] && [ "$rs" -eq 0 ]
