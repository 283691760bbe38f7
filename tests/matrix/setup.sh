#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# setup.sh [-o LIST] [KVER...]
#
# Install every kernel of kernels.list, or only those named, with what
# testing on it needs: image and headers on the host, or headers, image
# and the sched_ext toolchain in the sid chroot, or the source package a
# kernel is built from (tests/debug/kernel.sh, cached). Idempotent: what is
# there is not fetched or built again. Writes one line per kernel to LIST
# (default stdout): "KVER ROOT NAME [OPTION...]", ROOT being / or the
# chroot, the options those of tests/check.sh.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
me=${0##*/}
out=
if [ "${1:-}" = -o ]; then
	out=$2
	shift 2
fi
want=" $* "

# What the sid chroot needs besides a kernel's own packages: DKMS and the
# toolchain the sched_ext test is built with.
sid_tools="make dkms kmod xz-utils libc6-dev clang bpftool libbpf-dev
libelf-dev zlib1g-dev libzstd-dev"

apt_host() {
	DEBIAN_FRONTEND=noninteractive apt-get "$@"
}

# kver_of APT-CACHE-CMD PACKAGE SUITE: the kernel release PACKAGE in SUITE
# depends on. "bookworm" means the candidate (security updates included).
kver_of() {
	cmd=$1 pkg=$2 suite=$3
	case $suite in
	bookworm|sid)
		ver=$($cmd policy "$pkg" | sed -n 's/^ *Candidate: //p') ;;
	*)
		ver=$($cmd madison "$pkg" | awk -F' *[|] *' -v s=" $suite/" \
			'index($3, s) { print $2; exit }') ;;
	esac
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		{ echo "$me: no $pkg in $suite" >&2; return 1; }
	$cmd show "$pkg=$ver" |
		sed -n 's/^Depends:.*linux-image-\([^ ,]*\).*/\1/p' | head -n 1
}

host_installed() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || return 1
	done
}

ensure_suite() {
	[ "$1" != bookworm ] || return 0
	f=/etc/apt/sources.list.d/uls-$1.sources
	[ -e "$f" ] && return 0
	echo "$me: adding $1 to apt's sources" >&2
	cat > "$f" <<SRC
Types: deb
URIs: ${ULS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
Suites: $1
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt_host update -q >/dev/null
}

# Kernels built from source are asked for by name only.
built=$(awk '$1 !~ /^#/ && $2 == "build" { printf " %s ", $1 }' "$here/kernels.list")

# all_found: every kernel asked for is resolved already, or is one built
# from source (none asked: no).
all_found() {
	[ "$want" != "  " ] || return 1
	for k in $want; do
		case $found$built in *" $k "*) ;; *) return 1 ;; esac
	done
}

sid_ready=0
lines= found=
# shellcheck disable=SC2034
while read -r name where suite pkg opts; do
	case $name in ''|'#'*) continue ;; esac
	case $where in
	host)
		ensure_suite "$suite"
		kver=$(kver_of apt-cache "$pkg" "$suite")
		root=/
		;;
	sid)
		# Only make the chroot for a kernel that may be in it.
		! all_found || continue
		if [ $sid_ready = 0 ]; then
			"$here/sid-chroot.sh" ensure
			sid_ready=1
		fi
		kver=$(kver_of "$here/sid-chroot.sh run apt-cache" "$pkg" "$suite")
		root=$("$here/sid-chroot.sh" path)
		;;
	build)
		# Minutes to build the first time: only when asked for.
		case $want in "  "|*" $name "*) ;; *) continue ;; esac
		if ! host_installed "$suite"; then
			echo "$me: installing $suite for $name" >&2
			apt_host install -y -q --no-install-recommends "$suite" >/dev/null
		fi
		kdir=$("$top/tests/debug/kernel.sh" "$suite" "$top/$pkg" </dev/null)
		kver=$(cat "$kdir/include/config/kernel.release")
		root=/
		opts="--kdir $kdir${opts:+ $opts}"
		;;
	*)
		echo "$me: $name: unknown place '$where'" >&2
		exit 1
		;;
	esac
	[ -n "$kver" ] || { echo "$me: $name: no kernel version" >&2; exit 1; }
	case $want in
	"  ") ;;
	*" $kver "*|*" $name "*) ;;
	*) continue ;;
	esac

	case $where in
	host)
		if ! host_installed "linux-image-$kver" "linux-headers-$kver"; then
			echo "$me: installing $name ($kver) from $suite" >&2
			apt_host install -y -q --no-install-recommends \
				"linux-image-$kver" "linux-headers-$kver" >/dev/null
		fi
		;;
	sid)
		# sid packages the image in parts: linux-binary holds vmlinuz,
		# linux-base the config, linux-modules the modules (the guest
		# loads loop and ext4 from it); the headers pull in their gcc.
		src=linux-source-$(echo "$kver" | cut -d. -f1-2)
		# shellcheck disable=SC2086
		"$here/sid-chroot.sh" ensure $sid_tools "$src" \
			"linux-headers-$kver" "linux-binary-$kver" \
			"linux-base-$kver" "linux-modules-$kver"
		;;
	esac
	lines="$lines$kver $root $name${opts:+ $opts}
"
	found="$found $kver $name "
done < "$here/kernels.list"

# A kernel asked for by version that is not in the matrix: any kernel whose
# headers and image are installed on the host will do.
for k in $want; do
	case $found in *" $k "*) continue ;; esac
	if [ -d "/lib/modules/$k/build" ] && [ -e "/boot/vmlinuz-$k" ]; then
		lines="$lines$k / $k
"
	else
		echo "$me: $k: not in kernels.list, and not installed here" >&2
		exit 1
	fi
done
[ -n "$lines" ] || { echo "$me: no kernel to test" >&2; exit 1; }
if [ -n "$out" ]; then
	mkdir -p "$(dirname "$out")"
	printf '%s' "$lines" > "$out"
else
	printf '%s' "$lines"
fi
