#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# extract-vmlinux.sh VMLINUZ OUT
#
# Write the ELF vmlinux contained in a compressed kernel image (bzImage)
# to OUT.  Works like the kernel's scripts/extract-vmlinux: look for the
# magic of every supported compressor (gzip, xz, bzip2, lzma, lzo, lz4,
# zstd), decompress from each candidate offset and keep the first result
# that readelf accepts as an ELF and that is complete (program segments and
# section headers lie inside the file).  An uncompressed ELF given as
# VMLINUZ is copied as is.  OUT is written atomically (temp file + mv).
#
# The result is a complete ELF: the VM test harness boots it with QEMU's
# PVH "-kernel", and base-btf.sh takes its .BTF section.

set -eu

me=${0##*/}

die() {
	echo "$me: ERROR: $*" >&2
	exit 1
}

[ $# -eq 2 ] || { echo "usage: $me VMLINUZ OUT" >&2; exit 2; }
img=$1
out=$2

[ -r "$img" ] || die "cannot read kernel image '$img'"
[ -s "$img" ] || die "kernel image '$img' is empty"
command -v readelf >/dev/null 2>&1 || die "readelf not found (install binutils)"

work=$(mktemp -d "${TMPDIR:-/tmp}/uls-extract-vmlinux.XXXXXX")
otmp=
# shellcheck disable=SC2317
cleanup() {
	rm -rf "$work"
	[ -z "$otmp" ] || rm -f "$otmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Is $1 a complete ELF?  readelf must accept the header, and every program
# segment and the section header table must end inside the file (a
# decompressor that stopped early would give a truncated ELF whose header
# still looks fine).
is_complete_elf() {
	LC_ALL=C readelf -hlW "$1" >"$work/hdr" 2>/dev/null || return 1
	fsize=$(wc -c <"$1")
	shoff=$(sed -n 's/^ *Start of section headers: *\([0-9]*\).*/\1/p' "$work/hdr")
	shsz=$(sed -n 's/^ *Size of section headers: *\([0-9]*\).*/\1/p' "$work/hdr")
	shnum=$(sed -n 's/^ *Number of section headers: *\([0-9]*\).*/\1/p' "$work/hdr")
	[ -n "$shoff" ] && [ -n "$shsz" ] && [ -n "$shnum" ] || return 1
	max=$((shoff + shsz * shnum))
	# Program headers: Type Offset VirtAddr PhysAddr FileSiz MemSiz ...
	while read -r typ off _va _pa filesz _rest; do
		case $typ in
		LOAD | NOTE)
			end=$((off + filesz))
			[ "$end" -le "$max" ] || max=$end
			;;
		esac
	done <"$work/hdr"
	[ "$max" -le "$fsize" ]
}

found() {
	otmp=$(mktemp "$out.tmp.XXXXXX") || die "cannot create a temp file next to '$out'"
	cp "$1" "$otmp"
	chmod 0644 "$otmp"
	mv -f "$otmp" "$out"
	otmp=
	echo "$me: $img: $2 -> $out" >&2
	exit 0
}

tried=
# try_decompress MAGIC TRCHARS NAME CMD...
# MAGIC and TRCHARS as in the kernel's scripts/extract-vmlinux: "tr" turns
# the first magic byte into a newline and the rest into TRCHARS, so "grep -b"
# reports each candidate's offset + 1, i.e. the 1-based "tail -c+" start.
try_decompress() {
	magic=$1 chars=$2 name=$3
	shift 3
	if ! command -v "$1" >/dev/null 2>&1; then
		tried="$tried $name(no $1)"
		return 0
	fi
	n=0
	for pos in $(tr "$magic\n$chars" "\n$chars=" <"$img" | LC_ALL=C grep -abo "^$chars"); do
		pos=${pos%%:*}
		n=$((n + 1))
		# Decompressors complain about the trailing bytes of the
		# image: ignore their exit status, judge the output.
		tail -c+"$pos" "$img" | "$@" >"$work/vmlinux" 2>/dev/null || true
		if is_complete_elf "$work/vmlinux"; then
			found "$work/vmlinux" "$name payload at offset $((pos - 1))"
		fi
	done
	tried="$tried $name($n)"
}

try_decompress '\037\213\010' xy    gzip  gzip -dc
try_decompress '\3757zXZ\000' abcde xz    xz -dc
try_decompress 'BZh'          xy    bzip2 bzip2 -dc
try_decompress '\135\0\0\0'   xxx   lzma  xz -dc --format=lzma
try_decompress '\211\114\132' xy    lzo   lzop -dc
try_decompress '\002!L\030'   xxx   lz4   lz4 -dc
try_decompress '(\265/\375'   xxx   zstd  zstd -dc

# Not compressed at all?
if is_complete_elf "$img"; then
	found "$img" "uncompressed ELF"
fi

die "no ELF vmlinux found in '$img' (candidates tried per format:$tried)"
