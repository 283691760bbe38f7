#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sid-chroot.sh path
# sid-chroot.sh ensure [PKG...]
# sid-chroot.sh run CMD [ARG...]
#
# A Debian sid chroot for the kernels whose headers need sid's compiler.
# It is made once with debootstrap in ${ULS_CACHE:-~/.cache/uls}/sid and
# reused; "ensure" creates it if needed and installs the packages it lacks.
# "run" runs a command in it (chroot-run.sh).
set -eu

cache=${ULS_CACHE:-$HOME/.cache/uls}
root=$cache/sid
mirror=${ULS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
me=${0##*/}

here=$(cd "$(dirname "$0")" && pwd)

run() {
	"$here/chroot-run.sh" "$root" "$@"
}

create() {
	echo "$me: debootstrap sid into $root" >&2
	command -v debootstrap >/dev/null ||
		{ echo "$me: debootstrap is not installed" >&2; exit 1; }
	rm -rf "$root.tmp"
	debootstrap --variant=minbase sid "$root.tmp" "$mirror" > "$cache/sid-debootstrap.log" 2>&1 ||
		{ tail -n 20 "$cache/sid-debootstrap.log" >&2; exit 1; }
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
	run dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null |
		grep -q '^install ok installed$'
}

case ${1:-} in
path)
	echo "$root"
	;;
ensure)
	shift
	mkdir -p "$cache"
	[ -e "$root/.uls-ready" ] || create
	missing=
	for p in "$@"; do
		installed "$p" || missing="$missing $p"
	done
	if [ -n "$missing" ] || ! ls "$root"/var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
		run apt-get update -q > "$cache/sid-apt.log" 2>&1 ||
			{ tail -n 20 "$cache/sid-apt.log" >&2; exit 1; }
	fi
	if [ -n "$missing" ]; then
		echo "$me: installing in sid:$missing" >&2
		# shellcheck disable=SC2086
		run apt-get install -y -q $missing >> "$cache/sid-apt.log" 2>&1 ||
			{ tail -n 20 "$cache/sid-apt.log" >&2; exit 1; }
	fi
	;;
run)
	shift
	[ -e "$root/.uls-ready" ] || { echo "$me: no chroot; run '$me ensure'" >&2; exit 1; }
	run "$@"
	;;
*)
	sed -n '4,6s/^# //p' "$0" >&2
	exit 2
	;;
esac
