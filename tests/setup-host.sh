#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# setup-host.sh [bench]
#
# Install on this Debian 12 host the build tools that building and testing
# uls needs, and nothing else: no kernel image or headers, no apt source,
# no DKMS registration. The kernels the tests boot, their headers and the
# DKMS builds for them live in the chroots of tests/matrix, in the cache.
# "bench" adds what make bench and make demo-scx report and plot with
# (python3 and gnuplot, tests/bench/report.py).
# The debug kernels are built in their chroots (tests/debug/kernel.sh),
# which get their build tools from tests/matrix/setup.sh.
# Idempotent: when everything is there already it returns at once.
set -eu

# clang 19 builds the benchmark's BPF programs, also run in make check's
# bench_smoke: its BTF carries the __uptr type tag that UPTR needs (clang
# 14's does not). debootstrap makes the chroots.
pkgs="make gcc g++ pkg-config libc6-dev binutils clang llvm clang-19 bpftool libbpf-dev
libelf-dev zlib1g-dev libzstd-dev dwarves kmod xz-utils zstd cpio
busybox-static qemu-system-x86 debootstrap"
for profile in "$@"; do
	case $profile in
	bench) pkgs="$pkgs python3 gnuplot-nox" ;;
	*) echo "usage: $0 [bench]" >&2; exit 2 ;;
	esac
done

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "setup-host: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "setup-host: need root to install packages" >&2
	exit 1
fi
# A package's maintainer scripts must not inherit our make's flags.
unset MAKEFLAGS MFLAGS MAKELEVEL
export DEBIAN_FRONTEND=noninteractive
# An install of ours that was interrupted is finished first, as apt would
# ask: dpkg refuses to go on otherwise.
if [ -n "$(dpkg --audit 2>/dev/null)" ]; then
	echo "setup-host: dpkg --configure -a (an earlier install was interrupted)"
	dpkg --configure -a
fi
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
