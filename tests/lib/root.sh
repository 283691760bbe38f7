# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# root.sh: sourced by bash scripts (tests/fresh/run.sh,
# tests/packages/run.sh) that need a new Debian 12 root, as a machine that
# has nothing installed would be, and a way to run commands in it as root.
#
# The pristine base is `debootstrap --variant=minbase bookworm`, made once
# and kept as a tarball, ROOT_BASE (made again after 30 days); each root
# is unpacked from it anew. A root gets this machine's apt sources and the
# apt configuration that lets it read them (the archive served here is a
# snapshot whose Release files are past their Valid-Until date), which is
# what a new machine here has. Nothing here touches the host's apt, kernels
# or DKMS: commands run chrooted, in a mount namespace of their own.

ROOT_BASE=${ULS_CACHE:-$HOME/.cache/uls}/fresh/bookworm-minbase.tar.gz
ROOT_MIRROR=${ULS_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# root_base LOG: make ROOT_BASE if it is missing or stale; debootstrap's
# output goes to LOG. Two runs at once make it once.
root_base() {
	local log=$1 dir
	dir=$(dirname "$ROOT_BASE")
	mkdir -p "$dir"
	(
		flock 9
		if [ -s "$ROOT_BASE" ] && [ -z "$(find "$ROOT_BASE" -mtime +30)" ]; then
			exit 0
		fi
		echo "root: debootstrap --variant=minbase bookworm (kept in $ROOT_BASE)"
		rm -rf "$dir/base"
		if ! debootstrap --variant=minbase bookworm "$dir/base" "$ROOT_MIRROR" \
			> "$log" 2>&1; then
			tail -n 20 "$log"
			rm -rf "$dir/base"
			exit 1
		fi
		tar -C "$dir/base" -czf "$ROOT_BASE.tmp" . && mv "$ROOT_BASE.tmp" "$ROOT_BASE"
		rm -rf "$dir/base"
	) 9> "$ROOT_BASE.lock"
}

# root_mounted DIR: something is mounted at or under DIR.
root_mounted() {
	awk -v r="$1" '$2 == r || index($2, r "/") == 1' /proc/self/mounts | grep -q .
}

# root_new DIR: a new root in DIR, unpacked from ROOT_BASE (root_base
# first), with this machine's apt sources. Fails if anything is still
# mounted under DIR (a run that was killed), rather than delete through it.
root_new() {
	local dir=$1 f
	if root_mounted "$dir"; then
		echo "root: something is still mounted under $dir" >&2
		return 1
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -C "$dir" -xzf "$ROOT_BASE" || return 1
	cp /etc/resolv.conf "$dir/etc/resolv.conf"
	if [ -e /etc/apt/sources.list.d/debian.sources ]; then
		cp /etc/apt/sources.list.d/debian.sources "$dir/etc/apt/sources.list.d/"
		rm -f "$dir/etc/apt/sources.list"
	fi
	for f in /etc/apt/apt.conf.d/*; do
		grep -qs 'Check-Valid-Until' "$f" && cp "$f" "$dir/etc/apt/apt.conf.d/"
	done
	return 0
}

# root_run DIR [--bind HOSTDIR:PATH]... CMD: run CMD with bash in the root
# DIR, as root, in /root, with a login's environment and nothing of ours;
# each --bind shows HOSTDIR at PATH inside (an apt cache, say) for the
# command's time only. The root's /proc, /sys and /dev are mounted for it,
# in a private mount namespace, so nothing stays mounted afterwards.
root_run() {
	local dir=$1 binds=()
	shift
	while [ "$1" = --bind ]; do
		binds+=("$2")
		shift 2
	done
	# shellcheck disable=SC2016 # expanded by the inner bash
	unshare --mount --propagation private bash -c '
		set -e
		r=$0 cmd=$1
		shift
		# A machine'"'"'s / is a mount point: so is the root'"'"'s.
		mount --bind "$r" "$r"
		mount -t proc proc "$r/proc"
		mount -t sysfs sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mount --make-rslave "$r/dev"
		for b in "$@"; do
			mkdir -p "$r${b#*:}"
			mount --bind "${b%%:*}" "$r${b#*:}"
		done
		exec chroot "$r" env -i HOME=/root USER=root LOGNAME=root \
			TERM=dumb LANG=C.UTF-8 SHELL=/bin/bash \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			bash -c "cd /root && $cmd"' "$dir" "$1" "${binds[@]}"
}
