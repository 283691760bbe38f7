#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# setup.sh [-o LIST] [-b BTF] [KVER...]
#
# Make every kernel of kernels.list ready, or only those named (by name or
# version): its image and headers installed in its suite's chroot
# (chroot.sh), with DKMS and the module's build tools; or, for a kernel
# built from source, its source package and build tools in the chroot and
# the tree built there (tests/debug/kernel.sh, cached). Nothing is
# installed on the host.
# Idempotent: what is there is not fetched or built again.
# Writes one line per kernel to LIST (default stdout): "KVER ROOT NAME
# [OPTION...]", ROOT being the chroot, the options those of
# tests/vm/boot.sh (run.sh passes them on).
# With -b, also writes the raw BTF of the first kernel of kernels.list (the
# oldest; made ready too) to BTF: the BPF objects' vmlinux.h.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
me=${0##*/}
out='' btf_out=''
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift 2 ;;
	-b) btf_out=$2; shift 2 ;;
	*) break ;;
	esac
done
want=" $* "

# What every chroot needs to build the module through DKMS: dwarves for
# the BTF (pahole), libbpf, libelf and zlib for uls-btfids.
chroot_tools="make dkms kmod xz-utils zstd dwarves libc6-dev libbpf-dev
libelf-dev zlib1g-dev"

# What building a kernel from source takes in its chroot (tests/debug/
# kernel.sh builds it there, with that chroot's gcc and pahole); python3
# makes libbpf's helper definitions for resolve_btfids.
build_tools="gcc make bc flex bison lz4 dwarves libelf-dev python3 xz-utils"

chroot_sh() {
	"$here/chroot.sh" "$@" </dev/null
}

# kver_of CHROOT PACKAGE SUITE: the kernel release PACKAGE in SUITE depends
# on. The chroot's own suite means the candidate (its updates included).
kver_of() {
	c=$1 pkg=$2 suite=$3
	if [ "$suite" = "$c" ]; then
		ver=$(chroot_sh "$c" run apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
	else
		ver=$(chroot_sh "$c" run apt-cache madison "$pkg" |
			awk -F' *[|] *' -v s=" $suite/" 'index($3, s) { print $2; exit }')
	fi
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		{ echo "$me: no $pkg in $suite" >&2; return 1; }
	chroot_sh "$c" run apt-cache show "$pkg=$ver" |
		sed -n 's/^Depends:.*linux-image-\([^ ,]*\).*/\1/p' | head -n 1
}

# packages_of CHROOT KVER: what booting KVER and building for it takes.
# sid packages the image in parts: linux-binary holds vmlinuz, linux-base
# the config, linux-modules the modules (the guest loads loop and ext4
# from it); the headers pull in their gcc.
packages_of() {
	if chroot_sh "$1" run apt-cache show "linux-binary-$2" >/dev/null 2>&1; then
		echo "linux-headers-$2 linux-binary-$2 linux-base-$2 linux-modules-$2"
	else
		echo "linux-headers-$2 linux-image-$2"
	fi
}

# chroot_ready CHROOT: the chroot with DKMS and the module's build tools;
# sets $root.
chroot_ready() {
	chroot_sh "$1" ensure $chroot_tools
	root=$(chroot_sh "$1" path)
}

# asked NAME KVER: the kernel is one of those asked for.
asked() {
	case $want in "  "|*" $1 "*|*" $2 "*) return 0 ;; esac
	return 1
}

lines='' found='' first=1
while read -r name c suite pkg rest <&3; do
	case $name in ''|'#'*) continue ;; esac
	# The BTF comes from the first kernel, which is then made ready too.
	btf_here=
	[ $first = 0 ] || btf_here=$btf_out
	first=0
	if [ "$suite" = build ]; then
		# Minutes to build the first time: with all kernels or by name.
		asked "$name" - || continue
		chroot_ready "$c"
		# shellcheck disable=SC2086
		chroot_sh "$c" ensure $build_tools "$pkg"
		# The config fragments, up to the first option of boot.sh.
		# shellcheck disable=SC2086
		set -- $rest
		fragments=
		while [ $# -gt 0 ]; do
			case $1 in --*) break ;; esac
			fragments="$fragments $top/$1"
			shift
		done
		[ -n "$fragments" ] || { echo "$me: $name: no config fragment" >&2; exit 1; }
		# shellcheck disable=SC2086
		kdir=$("$top/tests/debug/kernel.sh" "$root" "$pkg" $fragments </dev/null)
		kver=$(cat "$kdir/include/config/kernel.release")
		line="$kver $root $name --kdir $kdir $*"
	else
		# The version is known only from the chroot's package lists: a
		# kernel asked for by version makes every chroot.
		need=0
		asked "$name" - && need=1
		[ -z "$btf_here" ] || need=1
		case $want in *[0-9].[0-9]*-*) need=1 ;; esac
		[ $need = 1 ] || continue
		chroot_ready "$c"
		kver=$(kver_of "$c" "$pkg" "$suite")
		[ -n "$kver" ] || { echo "$me: $name: no kernel version" >&2; exit 1; }
		asked "$name" "$kver" || [ -n "$btf_here" ] || continue
		# shellcheck disable=SC2046
		chroot_sh "$c" ensure $(packages_of "$c" "$kver")
		line="$kver $root $name${rest:+ $rest}"
	fi
	if [ -n "$btf_here" ] && [ "$(cat "$btf_here.kver" 2>/dev/null)" != "$kver" ]; then
		mkdir -p "$(dirname "$btf_here")"
		ULS_KROOT=$root "$top/scripts/base-btf.sh" "$kver" "$btf_here"
		echo "$kver" > "$btf_here.kver"
	fi
	asked "$name" "$kver" || continue
	# What building the sched_ext programs takes, now: make check runs
	# kernels at once, and apt must not change the sid chroot under a
	# compiler another kernel's run is using.
	if [ "$suite" = build ]; then
		config=$kdir/.config
	else
		config=$root/boot/config-$kver
		[ -e "$config" ] || config=$root/usr/lib/modules/$kver/config
	fi
	if grep -q '^CONFIG_SCHED_CLASS_EXT=y' "$config" 2>/dev/null; then
		"$top/tests/sched_ext/build.sh" --prepare "$kver" </dev/null
	fi
	lines="$lines$line
"
	found="$found $kver $name "
done 3< "$here/kernels.list"

for k in $want; do
	case $found in
	*" $k "*) ;;
	*) echo "$me: $k: not a kernel of kernels.list (a name, or the version of one)" >&2; exit 1 ;;
	esac
done
[ -n "$lines" ] || { echo "$me: no kernel to test" >&2; exit 1; }
if [ -n "$out" ]; then
	mkdir -p "$(dirname "$out")"
	printf '%s' "$lines" > "$out"
else
	printf '%s' "$lines"
fi
