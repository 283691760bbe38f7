#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT.cpio PAYLOAD_DIR...
#
# Build a minimal initramfs: a static busybox with its applet links, our
# /init (tests/vm/init, next to this script) and the contents of each
# PAYLOAD_DIR copied to the root, in order, keeping file modes.  /init is
# installed last, so a payload cannot replace it.  Everything is owned by
# root in the archive.
#
# The archive is written uncompressed: QEMU copies the initrd into guest
# memory at host speed, while gunzip would run in the emulated CPU
# (measured on a 2.7 MB archive: unpacking took 0.12-0.18 s raw, 0.19-0.31 s
# with gzip -1).  Set ULS_INITRAMFS_GZIP=1 to write it with gzip -1 anyway.
set -eu

if [ $# -lt 1 ]; then
	echo "usage: $0 OUT.cpio PAYLOAD_DIR..." >&2
	exit 2
fi
out=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
busybox=${BUSYBOX:-/bin/busybox}

for d in "$@"; do
	if [ ! -d "$d" ]; then
		echo "$0: $d: not a directory" >&2
		exit 1
	fi
done
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "$0: $busybox: need a static busybox (apt-get install busybox-static)" >&2
	exit 1
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/uls-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
	"$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/run" \
	"$root/root" "$root/etc"
cp "$busybox" "$root/bin/busybox"
# Applet links at build time: no "busybox --install" at every boot.
"$busybox" --list-full | while read -r applet; do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

for d in "$@"; do
	cp -a "$d/." "$root/"
done
install -m 0755 "$here/init" "$root/init"

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --owner 0:0 --quiet) > "$out.tmp"
if [ "${ULS_INITRAMFS_GZIP:-0}" = 1 ]; then
	gzip -1 -c "$out.tmp" > "$out"
	rm -f "$out.tmp"
else
	mv -f "$out.tmp" "$out"
fi
