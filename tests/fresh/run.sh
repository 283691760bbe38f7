#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [KVER]
#
# The README's path on a machine that has nothing installed: a new root
# from `debootstrap --variant=minbase bookworm`, a clean copy of HEAD in
# it (git archive, never the work tree), and there, as root, what the
# README says a new user runs: install make, then `make demo`, then
# `make check KVER=6.1` (or KVER). Afterwards the root's kernel packages,
# apt sources, /boot, /lib/modules and DKMS tree must be as they were
# (state.sh), and dpkg must have nothing half-configured.
#
# The pristine base is debootstrapped once and kept as a tarball in
# ${ULS_CACHE:-~/.cache/uls}/fresh (made again after 30 days); each run
# unpacks a new root from it, and removes it when everything passed. The
# root gets this machine's apt sources and apt configuration, which is
# what a new machine here has. Every line the root prints is shown with
# "fresh| " before it; then one line per step and check, "ok NAME" or
# "not ok NAME" with the first error, and last "N passed, N failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kver=${1:-6.1}
cache=${ULS_CACHE:-$HOME/.cache/uls}/fresh
mirror=${ULS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=$cache/bookworm-minbase.tar.gz
root=$cache/root
logs=$cache/logs
pass=0 fail=0

res() {
	if [ "$1" = ok ]; then
		pass=$((pass + 1))
		echo "ok $2${3:+ # $3}"
	else
		fail=$((fail + 1))
		echo "not ok $2${3:+ # $3}"
	fi
}

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

mounted_under() {
	awk -v r="$1" '$2 == r || index($2, r "/") == 1' /proc/self/mounts | grep -q .
}

mkdir -p "$cache"
if mounted_under "$root"; then
	res "not ok" fresh_root "something is still mounted under $root"
	finish
fi
rm -rf "$root" "$logs"
mkdir -p "$logs"

# 1. The pristine base, then a new root from it.
if [ ! -s "$base" ] || [ -n "$(find "$base" -mtime +30)" ]; then
	echo "fresh: debootstrap --variant=minbase bookworm (kept in $base)"
	rm -rf "$cache/base"
	if ! debootstrap --variant=minbase bookworm "$cache/base" "$mirror" \
		> "$logs/debootstrap.log" 2>&1; then
		tail -n 20 "$logs/debootstrap.log"
		res "not ok" fresh_root "debootstrap failed"
		finish
	fi
	tar -C "$cache/base" -czf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf "$cache/base"
fi
mkdir -p "$root"
tar -C "$root" -xzf "$base"
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [ -e /etc/apt/sources.list.d/debian.sources ]; then
	cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
	rm -f "$root/etc/apt/sources.list"
fi
for f in /etc/apt/apt.conf.d/*; do
	grep -qs 'Check-Valid-Until' "$f" && cp "$f" "$root/etc/apt/apt.conf.d/"
done
git -C "$top" archive --format=tar --prefix=uls/ HEAD | tar -x -C "$root/root"
cp "$here/state.sh" "$root/state.sh"
echo "fresh: new root $root from $base, HEAD $(git -C "$top" rev-parse --short HEAD) in /root/uls"

# inroot NAME COMMAND: run COMMAND with bash in the root, as root, with a
# login's environment and nothing of ours; its output is shown and kept.
inroot() {
	local name=$1 cmd=$2 rc t0=$(date +%s)
	echo "fresh: # $cmd"
	: > "$logs/$name.log"
	unshare --mount --propagation private bash -c '
		set -e
		r=$0
		# A machine'"'"'s / is a mount point: so is the root'"'"'s.
		mount --bind "$r" "$r"
		mount -t proc proc "$r/proc"
		mount -t sysfs sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mount --make-rslave "$r/dev"
		exec chroot "$r" env -i HOME=/root USER=root LOGNAME=root \
			TERM=dumb LANG=C.UTF-8 SHELL=/bin/bash \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			bash -c "cd /root/uls && $1"' "$root" "$cmd" \
		< /dev/null > "$logs/$name.log" 2>&1 &
	local pid=$!
	tail -n +1 --pid=$pid -f "$logs/$name.log" | sed -u 's/^/fresh| /'
	wait $pid
	rc=$?
	if [ $rc -eq 0 ]; then
		res ok "$name" "$(( $(date +%s) - t0 )) s"
		return 0
	fi
	# The first error, not the last: what failed later may follow from it.
	first=$(grep -n -m 1 -E '^not ok|[Ee]rror|^E: |\*\*\*' "$logs/$name.log")
	res "not ok" "$name" "exit $rc; first error at line ${first:-none}"
	return 1
}

inroot fresh_state_before "/state.sh > /state.before" || finish
# A minimal Debian 12 has no make: the README's first line installs it.
inroot fresh_install_make "apt-get update && apt-get install -y make" &&
	inroot fresh_make_demo "make demo" &&
	inroot "fresh_make_check_$kver" "make check KVER=$kver"
inroot fresh_state_after "/state.sh > /state.after" || finish

# 3. What the commands may not touch, inside the root.
section() {
	awk -v h="# $1" '$0 == h { on = 1; next } /^# / { on = 0 } on' "$root/$2"
}
while read -r name s; do
	if [ "$(section "$s" state.before)" = "$(section "$s" state.after)" ]; then
		res ok "$name"
	else
		echo "fresh: $s before:"; section "$s" state.before | sed 's/^/  /'
		echo "fresh: $s after:"; section "$s" state.after | sed 's/^/  /'
		res "not ok" "$name" "changed"
	fi
done <<'CHECKS'
fresh_no_kernel_packages kernel packages
fresh_same_apt_sources apt sources
fresh_same_boot /boot
fresh_same_lib_modules /lib/modules
fresh_no_uls_in_dkms dkms
fresh_dpkg_audit_clean dpkg --audit
CHECKS

if [ "$fail" -eq 0 ]; then
	rm -rf "$root"
else
	echo "fresh: the root is kept in $root, its logs in $logs"
fi
finish
