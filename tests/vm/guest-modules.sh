#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest-modules.sh ROOT KVER DIR MODULE...
#
# Copy the kernel modules MODULE... of kernel KVER, installed in ROOT (a
# chroot; "" for /), with everything they depend on, to DIR, uncompressed,
# and list them in DIR/order in the order to load them (the test VM's
# guest loads them so, with insmod: it has no modprobe of its own). A
# module built into KVER is left out.
set -eu

if [ $# -lt 4 ]; then
	sed -n '4s/^# //p' "$0" >&2
	exit 2
fi
root=$1 kver=$2 dir=$3
shift 3
mkdir -p "$dir"
: > "$dir/order"
for m in "$@"; do
	modprobe ${root:+-d "$root"} -S "$kver" --show-depends "$m" |
		awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	[ -e "$ko" ] || ko=$root$ko
	name=$(basename "$ko")
	case $name in
	*.xz) xz -dc "$ko" > "$dir/${name%.xz}"; name=${name%.xz} ;;
	*.zst) zstd -qdc "$ko" > "$dir/${name%.zst}"; name=${name%.zst} ;;
	*) cp "$ko" "$dir/$name" ;;
	esac
	echo "$name" >> "$dir/order"
done
