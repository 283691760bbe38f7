#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh KVER
#
# Print the path of a bootable ELF vmlinux for the installed Debian kernel
# KVER.  QEMU's -kernel boots an ELF vmlinux through PVH (CONFIG_PVH=y),
# which skips the bzImage's in-guest decompression: much faster under TCG.
# The vmlinux is extracted from /boot/vmlinuz-KVER once and cached in
# ${ULS_CACHE:-$HOME/.cache/uls}/kernels/KVER/vmlinux; it is extracted again
# only when the vmlinuz is newer than the cached copy.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 KVER" >&2
	exit 2
fi
kver=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
vmlinuz=/boot/vmlinuz-$kver
dir=${ULS_CACHE:-$HOME/.cache/uls}/kernels/$kver
out=$dir/vmlinux

if [ ! -r "$vmlinuz" ]; then
	echo "$0: $vmlinuz: not found or not readable" >&2
	exit 1
fi

if [ ! -s "$out" ] || [ -n "$(find "$vmlinuz" -newer "$out")" ]; then
	mkdir -p "$dir"
	tmp=$out.tmp.$$
	trap 'rm -f "$tmp"' EXIT
	"$top/scripts/extract-vmlinux.sh" "$vmlinuz" "$tmp" >&2
	mv -f "$tmp" "$out"
	trap - EXIT
fi
echo "$out"
