#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# chroot-run.sh [--bind DIR | --ro-bind DIR]... ROOT CMD [ARG...]
#
# Run CMD in the chroot ROOT with /proc mounted, in a private mount
# namespace (so nothing stays mounted when it ends), with a clean
# environment: no MAKEFLAGS or the like leaks in from a calling make.
# Each --bind makes the host's directory DIR (an absolute path) visible at
# the same path inside the chroot, so that a path means the same on both
# sides (a kernel tree in the cache, a build directory); --ro-bind makes it
# read-only there. The mount point, an empty directory, stays in ROOT.
set -eu

usage() {
	echo "usage: $0 [--bind DIR | --ro-bind DIR]... ROOT CMD [ARG...]" >&2
	exit 2
}

# quote WORD: WORD as one shell word.
quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# The mounts, as commands for the shell inside the new namespace, where $0
# is ROOT.
mounts=
while [ $# -gt 0 ]; do
	case $1 in
	--bind|--ro-bind) ;;
	*) break ;;
	esac
	[ $# -ge 2 ] || usage
	case $2 in
	/*) ;;
	*) echo "$0: $1 $2: not an absolute path" >&2; exit 2 ;;
	esac
	[ -d "$2" ] || { echo "$0: $1 $2: no such directory" >&2; exit 2; }
	dir=$(quote "$2")
	mounts="$mounts mkdir -p \"\$0\"$dir && mount --bind $dir \"\$0\"$dir &&"
	[ "$1" = --bind ] ||
		mounts="$mounts mount -o remount,bind,ro \"\$0\"$dir &&"
	shift 2
done
[ $# -ge 2 ] || usage
root=$1
shift
# Where / is no mount point (in a chroot or a container), it cannot be
# made private: mounts made there are as private as that place's.
prop=private
mountpoint -q / || prop=unchanged
exec unshare --mount --propagation $prop sh -c \
	"$mounts"' mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' \
	"$root" env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive "$@"
