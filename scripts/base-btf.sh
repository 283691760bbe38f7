#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# base-btf.sh KVER OUT
#
# Write the raw base BTF of kernel KVER (the bytes the running kernel
# exposes as /sys/kernel/btf/vmlinux) to OUT.  Works for any installed
# kernel, not only the running one.  Sources, in order:
#
#   1. /lib/modules/KVER/build/vmlinux    headers that ship a (BTF-only) vmlinux
#   2. /sys/kernel/btf/vmlinux            only if KVER is the running kernel
#   3. /boot/vmlinuz-KVER                 via extract-vmlinux.sh, then .BTF
#   4. /usr/lib/debug/boot/vmlinux-KVER   debug symbols package
#
# The source used is named on stderr.  OUT must start with the BTF magic
# 0xeB9F; it is written atomically (temp file + mv).  From an ELF vmlinux,
# "uls-btfids extract-btf" takes the .BTF section: ULS_BTFIDS if set, else
# one built into a temp dir (btfids/get.sh) when first needed.
#
# With ULS_KROOT set to a directory (a chroot holding the kernel's packages),
# the paths above are looked up under it, and the running kernel is not.

set -eu

me=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "$me: ERROR: $*" >&2
	exit 1
}

[ $# -eq 2 ] || { echo "usage: $me KVER OUT" >&2; exit 2; }
kver=$1
out=$2
[ -n "$kver" ] || die "empty KVER"

work=$(mktemp -d "${TMPDIR:-/tmp}/uls-base-btf.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

root=${ULS_KROOT:-}
root=${root%/}
tried=

note() {
	tried="$tried
    $1"
}

# has_btf_magic FILE: raw BTF starts with magic 0xeB9F (either byte order)
has_btf_magic() {
	[ -s "$1" ] || return 1
	magic=$(od -An -tx1 -N2 "$1" | tr -d ' \n')
	[ "$magic" = 9feb ] || [ "$magic" = eb9f ]
}

# elf_btf ELF DEST: copy the .BTF section of ELF to DEST as raw bytes, or
# say why not in $why.
btfids=
why=
elf_btf() {
	if [ -z "$btfids" ]; then
		btfids=$("$here/btfids/get.sh" "$work" 2>"$work/btfids.err") || {
			btfids=
			why=$(tail -n 1 "$work/btfids.err")
			return 1
		}
	fi
	"$btfids" extract-btf "$1" "$2" 2>"$work/btfids.err" && return 0
	why=$(tail -n 1 "$work/btfids.err")
	why=${why#uls-btfids: ERROR: }
	why=${why#"$1: "}
	return 1
}

# try SOURCE-DESCRIPTION: $raw holds the candidate; accept it if valid.
accept() {
	if has_btf_magic "$raw"; then
		tmp=$(mktemp "$out.tmp.XXXXXX") || die "cannot create a temp file next to '$out'"
		cp "$raw" "$tmp"
		chmod 0644 "$tmp"
		mv -f "$tmp" "$out"
		echo "$me: base BTF of $kver from $1 ($(wc -c <"$out") bytes) -> $out" >&2
		exit 0
	fi
	note "$1: no BTF magic 0xeB9F"
}

raw=$work/btf

# An ELF vmlinux with a .BTF section: accept it or note why not.
try_elf() {
	if [ ! -e "$1" ]; then
		note "$1: not present"
	elif elf_btf "$1" "$raw"; then
		accept "$1"
	else
		note "$1: $why"
	fi
}

# 1. vmlinux shipped with the headers (Debian 6.12+); in a chroot the build
#    link is absolute, so also look where Debian puts the headers.
try_elf "$root/lib/modules/$kver/build/vmlinux"
[ -z "$root" ] || try_elf "$root/usr/src/linux-headers-$kver/vmlinux"

# 2. the running kernel
f=/sys/kernel/btf/vmlinux
if [ -n "$root" ]; then
	note "$f: skipped, kernel in $root"
elif [ "$kver" = "$(uname -r)" ]; then
	if [ -r "$f" ] && cat "$f" >"$raw" 2>/dev/null; then
		accept "$f"
	else
		note "$f: not readable"
	fi
else
	note "$f: skipped, running kernel is $(uname -r)"
fi

# 3. the compressed image in /boot (or, split packaging, the modules dir)
f=$root/boot/vmlinuz-$kver
[ -e "$f" ] || [ ! -e "$root/usr/lib/modules/$kver/vmlinuz" ] ||
	f=$root/usr/lib/modules/$kver/vmlinuz
if [ -e "$f" ]; then
	if "$here/extract-vmlinux.sh" "$f" "$work/vmlinux" 2>"$work/extract.err"; then
		if elf_btf "$work/vmlinux" "$raw"; then
			accept "$f"
		else
			note "$f: $why"
		fi
		rm -f "$work/vmlinux"
	else
		note "$f: $(tail -n 1 "$work/extract.err")"
	fi
else
	note "$f: not present"
fi

# 4. debug symbols (linux-image-KVER-dbg)
try_elf "$root/usr/lib/debug/boot/vmlinux-$kver"

die "no base BTF found for kernel $kver; tried:$tried"
