#!/bin/sh
# agent.sh: the scripted agent of the demo campaign (`benchgate loop`).
# In the current repository, applies the next patch of candidates/ (next to
# this script, or $BENCHGATE_DEMO_CANDIDATES) with `git apply` and commits it
# with the patch's "# what:" line as message. Its position is kept in
# .git/benchgate-demo-agent.next, never committed.
# Exit codes: 0 a candidate was committed, 3 no candidate left (nothing
# changed), 1 a patch did not apply or commit (the working tree is restored).
set -u
here=$(cd "$(dirname "$0")" && pwd)
cands=${BENCHGATE_DEMO_CANDIDATES:-$here/candidates}
gitdir=$(git rev-parse --git-dir) || exit 1
state=$gitdir/benchgate-demo-agent.next
next=1
[ -f "$state" ] && next=$(cat "$state")

i=0; patch=
for p in "$cands"/[0-9][0-9]-*.patch; do
	[ -f "$p" ] || continue
	i=$((i + 1))
	if [ "$i" -eq "$next" ]; then patch=$p; break; fi
done
if [ -z "$patch" ]; then
	echo "agent: no candidate left (used $((next - 1)))"
	exit 3
fi

echo $((next + 1)) >"$state"
what=$(sed -n 's/^# what: //p' "$patch" | head -n 1)
name=$(basename "$patch" .patch)
if ! git apply --index "$patch"; then
	echo "agent: $name does not apply" >&2
	git reset -q --hard HEAD
	exit 1
fi
if ! git -c user.name="${GIT_AUTHOR_NAME:-benchgate demo agent}" \
	-c user.email="${GIT_AUTHOR_EMAIL:-agent@benchgate.invalid}" \
	commit -q -m "$what" -m "candidate $name"; then
	echo "agent: could not commit $name" >&2
	git reset -q --hard HEAD
	exit 1
fi
echo "agent: committed $name: $what"
