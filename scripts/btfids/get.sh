#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# get.sh DIR
#
# Print the path of the uls-btfids to use: ULS_BTFIDS when set (the
# Makefile's, built once), else one built now into DIR from the source
# next to this script. module-btf.sh and base-btf.sh run from DKMS, from
# tests/ and by hand, and not every caller has a built one.
set -eu

[ $# -eq 1 ] || { echo "usage: ${0##*/} DIR" >&2; exit 2; }
dir=$(cd "$1" && pwd)
if [ -n "${ULS_BTFIDS:-}" ]; then
	if [ ! -x "$ULS_BTFIDS" ]; then
		echo "uls-btfids: ULS_BTFIDS=$ULS_BTFIDS is not executable" >&2
		exit 1
	fi
	echo "$ULS_BTFIDS"
	exit 0
fi
# A clean sub-make: it must not inherit Kbuild's MAKEFLAGS (O=, -j fds).
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -s -C "$(dirname "$0")" O="$dir" >"$dir/uls-btfids.log" 2>&1; then
	cat "$dir/uls-btfids.log" >&2
	echo "uls-btfids: building it failed (needs gcc, make, libbpf-dev, libelf-dev, zlib1g-dev)" >&2
	exit 1
fi
echo "$dir/uls-btfids"
