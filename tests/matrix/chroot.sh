#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# chroot.sh SUITE path
# chroot.sh SUITE ensure [PKG...]
# chroot.sh SUITE run CMD [ARG...]
#
# A Debian chroot per suite (bookworm, sid), where the kernels the tests
# boot are installed with their headers, and where DKMS builds the module
# for them: nothing of a tested kernel goes on the host. Each is made once
# with debootstrap in ${ULS_CACHE:-~/.cache/uls}/SUITE and reused; "ensure"
# creates it if needed and installs the packages it lacks, "run" runs a
# command in it (chroot-run.sh). bookworm's apt sources include its
# updates, its security updates and bookworm-backports (6.12): the
# chroot's, never the host's.
set -eu

me=${0##*/}
if [ $# -lt 2 ]; then
	sed -n '4,6s/^# //p' "$0" >&2
	exit 2
fi
suite=$1
cmd=$2
shift 2
cache=${ULS_CACHE:-$HOME/.cache/uls}
root=$cache/$suite
mirror=${ULS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${ULS_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
log=$cache/$suite-apt.log

here=$(cd "$(dirname "$0")" && pwd)

run() {
	"$here/chroot-run.sh" "$root" "$@"
}

die_log() {
	tail -n 20 "$1" >&2
	echo "$me: $suite: $2 failed, see $1" >&2
	exit 1
}

create() {
	echo "$me: debootstrap $suite into $root" >&2
	command -v debootstrap >/dev/null ||
		{ echo "$me: debootstrap is not installed" >&2; exit 1; }
	rm -rf "$root.tmp"
	debootstrap --variant=minbase "$suite" "$root.tmp" "$mirror" \
		> "$cache/$suite-debootstrap.log" 2>&1 ||
		die_log "$cache/$suite-debootstrap.log" debootstrap
	case $suite in
	sid) ;;
	*)
		cat >> "$root.tmp/etc/apt/sources.list" <<SRC
deb $mirror $suite-updates main
deb $security $suite-security main
deb $mirror $suite-backports main
SRC
		;;
	esac
	# The archive served here is a fixed snapshot: its Release files are
	# past their Valid-Until date.
	cat > "$root.tmp/etc/apt/apt.conf.d/90uls" <<'CONF'
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
CONF
	rm -rf "$root"
	mv "$root.tmp" "$root"
	touch "$root/.uls-ready"
}

installed() {
	dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}\n' "$1" 2>/dev/null |
		grep -q '^install ok installed$'
}

case $cmd in
path)
	echo "$root"
	;;
ensure)
	mkdir -p "$cache"
	# Two runs at once (two checkouts) must not make one chroot twice.
	exec 9>"$root.lock"
	flock 9
	[ -e "$root/.uls-ready" ] || create
	missing=
	for p in "$@"; do
		installed "$p" || missing="$missing $p"
	done
	if [ -n "$missing" ] || ! ls "$root"/var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
		run apt-get update -q > "$log" 2>&1 || die_log "$log" "apt-get update"
	fi
	if [ -n "$missing" ]; then
		echo "$me: installing in $suite:$missing" >&2
		# No initramfs: the VMs boot the kernel with one of our own
		# (tests/vm/mkinitramfs.sh). A half-configured package of an
		# interrupted run is configured first.
		run dpkg --configure -a >> "$log" 2>&1 || die_log "$log" "dpkg --configure"
		# shellcheck disable=SC2086
		run env INITRD=No apt-get install -y -q $missing >> "$log" 2>&1 ||
			die_log "$log" "apt-get install"
	fi
	;;
run)
	[ -e "$root/.uls-ready" ] || { echo "$me: no $suite chroot; run '$me $suite ensure'" >&2; exit 1; }
	run "$@"
	;;
*)
	sed -n '4,6s/^# //p' "$0" >&2
	exit 2
	;;
esac
