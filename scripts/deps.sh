#!/bin/sh
# deps.sh: make sure the Debian packages benchgate builds and tests with are
# installed. As root it installs what is missing with apt-get; otherwise it
# prints the exact command to run and fails.
set -u
need="gcc make pkg-config libgsl-dev libhwloc-dev libgit2-dev libcjson-dev libcmocka-dev libssl-dev bubblewrap"
[ "${BENCHGATE_DEPS_EXTRA:-}" ] && need="$need $BENCHGATE_DEPS_EXTRA"
missing=""
for p in $need; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
	echo "benchgate: missing packages:$missing (this is not a Debian-like system: install their equivalents)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "benchgate: missing Debian packages:$missing" >&2
	echo "benchgate: install them with:  sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "benchgate: installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 && apt-get install -y -qq $missing >&2 || {
	echo "benchgate: apt-get failed; run: apt-get update && apt-get install -y$missing" >&2
	exit 1
}
