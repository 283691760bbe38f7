#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# module-btf.sh KVER KO [KDIR]
#
# Make sure the kernel module KO, built for kernel KVER against KDIR
# (default /lib/modules/KVER/build), carries BTF its kfuncs can be found by:
#
#  - If KO has no .BTF section (headers without vmlinux, e.g. Debian 12's
#    6.1: Kbuild printed "Skipping BTF generation"), get the base BTF of
#    KVER (base-btf.sh), run pahole -J with the kernel's PAHOLE_FLAGS
#    ($KDIR/scripts/pahole-flags.sh, or "-j" if that script is missing)
#    and resolve the .BTF_ids section with uls-btfids.  This is done on a
#    copy that replaces KO only when everything succeeded.
#  - In all cases verify the result with "uls-btfids check", against the
#    module's .BTF.base section if it has one (pahole 1.28+), else against
#    the base BTF of KVER.
#
# Exits non-zero, loudly, if KO still has no .BTF or the check fails.
#
# Environment:
#   ULS_BTFIDS        path of a built uls-btfids (else built into a temp dir
#                     from btfids/ next to this script)
#   ULS_BTF_CACHE     directory to keep base BTF in (vmlinux-KVER.btf); it is
#                     refreshed when a source of base-btf.sh is newer
#   ULS_CHECK_FUNCS   kfunc names that must be in a set8 (space separated)
#   PAHOLE            pahole binary (default pahole)
#
# Runs inside "dkms build" too: uses nothing but this scripts/ directory,
# system tools and temp files, which it removes.

set -eu

me=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $me KVER KO [KDIR]" >&2
	exit 2
fi
kver=$1
ko=$2
kdir=${3:-/lib/modules/$kver/build}
mod=$(basename "$ko" .ko)
pahole=${PAHOLE:-pahole}

work=
kodir=
# shellcheck disable=SC2317
cleanup() {
	[ -z "$work" ] || rm -rf "$work"
	[ -z "$kodir" ] || rm -rf "$kodir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
	echo "*** uls: $mod $*" >&2
	exit 1
}

[ -f "$ko" ] || fail "has no module file '$ko'"
work=$(mktemp -d "${TMPDIR:-/tmp}/uls-module-btf.XXXXXX")

# has_section FILE NAME
has_section() {
	LC_ALL=C readelf -SW "$1" 2>/dev/null |
		sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p' | grep -qxF "$2"
}

# uls-btfids: given, or built from the source next to this script; and
# base-btf.sh takes the same.
btfids=$("$here/btfids/get.sh" "$work") || fail "cannot be checked: no uls-btfids"
ULS_BTFIDS=$btfids
export ULS_BTFIDS

base=
# get_base WHAT-FAILS: set $base to the raw base BTF of $kver (cached if
# asked), or fail with "$mod WHAT-FAILS: ..."
get_base() {
	[ -z "$base" ] || return 0
	if [ -n "${ULS_BTF_CACHE:-}" ]; then
		mkdir -p "$ULS_BTF_CACHE"
		base=$ULS_BTF_CACHE/vmlinux-$kver.btf
		stale=
		[ -s "$base" ] || stale=1
		for src in "/lib/modules/$kver/build/vmlinux" "/boot/vmlinuz-$kver" \
			"/usr/lib/debug/boot/vmlinux-$kver"; do
			if [ -z "$stale" ] && [ -e "$src" ] &&
				[ -n "$(find "$src" -prune -newer "$base")" ]; then
				stale=1
			fi
		done
		if [ -z "$stale" ]; then
			echo "$me: base BTF of $kver from cache $base" >&2
			return 0
		fi
	else
		base=$work/vmlinux-$kver.btf
	fi
	"$here/base-btf.sh" "$kver" "$base" ||
		fail "$1: no base BTF of kernel $kver was found (see above)"
}

if ! has_section "$ko" .BTF; then
	echo "$me: $mod has no .BTF (Kbuild skipped it), generating it" >&2
	command -v "$pahole" >/dev/null 2>&1 ||
		fail "has no .BTF: pahole is not installed (package dwarves)"
	get_base "has no .BTF"

	if [ -f "$kdir/scripts/pahole-flags.sh" ]; then
		flags=$(PAHOLE=$pahole sh "$kdir/scripts/pahole-flags.sh") ||
			fail "has no .BTF: $kdir/scripts/pahole-flags.sh failed"
	else
		flags=-j
	fi

	# work on a copy with the same name, next to KO for an atomic mv
	kodir=$(mktemp -d "$(dirname "$ko")/.uls-btf.XXXXXX") ||
		fail "has no .BTF: cannot create a temp dir next to $ko"
	kotmp=$kodir/$(basename "$ko")
	cp -p "$ko" "$kotmp"
	objcopy=${OBJCOPY:-objcopy}
	echo "$me: LLVM_OBJCOPY=$objcopy $pahole -J $flags --btf_base $base $ko" >&2
	# shellcheck disable=SC2086
	LLVM_OBJCOPY=$objcopy "$pahole" -J $flags --btf_base "$base" "$kotmp" ||
		fail "has no .BTF: pahole -J failed, $ko left unchanged"
	has_section "$kotmp" .BTF ||
		fail "has no .BTF: none after pahole -J (no DWARF debug info in the module?)"
	"$btfids" resolve --base "$base" "$kotmp" ||
		fail "has no .BTF: uls-btfids resolve failed, $ko left unchanged"
	"$btfids" check --base "$base" "$kotmp" >"$work/check.log" 2>&1 || {
		cat "$work/check.log" >&2
		fail "has no .BTF: the BTF check failed, $ko left unchanged"
	}
	mv -f "$kotmp" "$ko"
	rm -rf "$kodir"
	kodir=
fi

has_section "$ko" .BTF ||
	fail "has no .BTF section: its kfuncs would silently not exist"

# shellcheck disable=SC2046
set -- $(for f in ${ULS_CHECK_FUNCS:-}; do printf ' --func %s' "$f"; done)
if has_section "$ko" .BTF.base; then
	"$btfids" check "$ko" "$@" ||
		fail "has broken .BTF/.BTF_ids: uls-btfids check failed (against .BTF.base)"
else
	get_base "cannot be checked"
	"$btfids" check --base "$base" "$ko" "$@" ||
		fail "has broken .BTF/.BTF_ids: uls-btfids check failed"
fi
