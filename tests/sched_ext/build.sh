#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build.sh KVER BTF OUTDIR
# build.sh --prepare KVER
#
# Build the static sched_ext programs (Makefile: scx_hints and the
# scx_uls test) for kernel KVER (whose raw BTF is BTF) into OUTDIR. It is
# built in the sid chroot (tests/matrix), with sid's clang, libbpf and
# bpftool, and the tools/sched_ext headers of Debian's linux-source package
# for KVER's version: the only things taken from the kernel's source.
# Those headers are extracted once and cached. With --prepare, only the
# packages and the headers are made ready (tests/matrix/setup.sh).
set -eu

prepare_only=0
if [ "${1:-}" = --prepare ] && [ $# -eq 2 ]; then
	prepare_only=1
	set -- "$2" - -
fi
if [ $# -ne 3 ]; then
	echo "usage: $0 KVER BTF OUT" >&2
	echo "       $0 --prepare KVER" >&2
	exit 2
fi
kver=$1
btf=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${ULS_CACHE:-$HOME/.cache/uls}
sid() {
	"$top/tests/matrix/chroot.sh" sid "$@"
}
src=linux-source-$(echo "$kver" | cut -d. -f1-2)

sid ensure make clang bpftool libbpf-dev libelf-dev zlib1g-dev \
	libzstd-dev libc6-dev xz-utils "$src"
root=$(sid path)
tarball=$root/usr/src/$src.tar.xz
srcver=$(sid run dpkg-query -W -f='${Version}' "$src")
inc=$cache/scx/$src-$srcver/include
if [ ! -d "$inc" ]; then
	echo "build.sh: extracting tools/sched_ext/include from $src $srcver" >&2
	tmp=$cache/scx/tmp.$$
	rm -rf "$tmp" && mkdir -p "$tmp"
	tar -xJf "$tarball" -C "$tmp" --wildcards "$src/tools/sched_ext/include/*"
	mkdir -p "$(dirname "$inc")"
	# Another kernel's build may have been first: its copy is the same.
	mv -T "$tmp/$src/tools/sched_ext/include" "$inc" 2>/dev/null || [ -d "$inc" ]
	rm -rf "$tmp"
fi
# setup.sh's --prepare: what apt installs is in place before make check
# runs kernels at once, none of which then changes the chroot under
# another one's compiler.
[ $prepare_only = 0 ] || exit 0

work=/tmp/uls-scx.$$
rm -rf "$root$work" && mkdir -p "$root$work/scx"
trap 'rm -rf "$root$work"' EXIT
(cd "$top" && tar -c tests/sched_ext bpf kfuncs include user/lib user/scx_hints) |
	tar -x -C "$root$work"
cp -r "$inc" "$root$work/scx/include"
cp "$btf" "$root$work/vmlinux.btf"
sid run make -s -C "$work/tests/sched_ext" SCX_INC="$work/scx/include" \
	VMLINUX_BTF="$work/vmlinux.btf" O="$work/out"
mkdir -p "$out"
find "$root$work/out" -maxdepth 1 -type f -perm -u+x -exec cp {} "$out/" \;
