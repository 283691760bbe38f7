#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh KVER [ROOT]
#
# Print the path of a bootable ELF vmlinux for the installed Debian kernel
# KVER (installed under ROOT, a chroot, if given).  QEMU's -kernel boots an ELF vmlinux through PVH (CONFIG_PVH=y),
# which skips the bzImage's in-guest decompression: much faster under TCG.
# The vmlinux is extracted from /boot/vmlinuz-KVER (sid's split packages:
# /usr/lib/modules/KVER/vmlinuz) once and cached in
# ${ULS_CACHE:-$HOME/.cache/uls}/kernels/KVER/vmlinux; it is extracted again
# only when the vmlinuz is newer than the cached copy.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 KVER [ROOT]" >&2
	exit 2
fi
kver=$1
root=${2:-}
root=${root%/}
top=$(cd "$(dirname "$0")/../.." && pwd)
vmlinuz=$root/boot/vmlinuz-$kver
[ -e "$vmlinuz" ] || [ ! -e "$root/usr/lib/modules/$kver/vmlinuz" ] ||
	vmlinuz=$root/usr/lib/modules/$kver/vmlinuz
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
