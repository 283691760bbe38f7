#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# chroot-run.sh ROOT CMD [ARG...]
#
# Run CMD in the chroot ROOT with /proc mounted, in a private mount
# namespace (so nothing stays mounted when it ends), with a clean
# environment: no MAKEFLAGS or the like leaks in from a calling make.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 ROOT CMD [ARG...]" >&2
	exit 2
fi
root=$1
shift
# Where / is no mount point (in a chroot or a container), it cannot be
# made private: mounts made there are as private as that place's.
prop=private
mountpoint -q / || prop=unchanged
exec unshare --mount --propagation $prop sh -c \
	'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' \
	"$root" env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive "$@"
