#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing uls needs on Debian 12. Idempotent:
# when everything is there already it returns at once, without apt.
set -eu

# The line before the last: what building the debug kernel
# (tests/debug/kernel.sh) needs besides the rest; tests/matrix/setup.sh
# installs its source. The last: make bench plots with gnuplot
# (tests/bench/report.sh), and builds its BPF programs with clang 19, whose
# BTF carries the __uptr type tag that UPTR needs (clang 14's does not).
pkgs="make gcc libc6-dev binutils clang llvm bpftool libbpf-dev libelf-dev
zlib1g-dev libzstd-dev dwarves dkms kmod xz-utils cpio busybox-static
qemu-system-x86 linux-image-amd64 linux-headers-amd64 debootstrap
bc flex bison lz4
gnuplot-nox clang-19"

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
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
