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
# The root is unpacked anew from the minbase tarball that tests/lib/root.sh
# keeps in ${ULS_CACHE:-~/.cache/uls}/fresh, and removed when everything
# passed. Every line the root prints is shown with
# "fresh| " before it; then one line per step and check, "ok NAME" or
# "not ok NAME" with the first error, and last "N passed, N failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/root.sh
. "$here/../lib/root.sh"
top=$(cd "$here/../.." && pwd)
kver=${1:-6.1}
cache=${ULS_CACHE:-$HOME/.cache/uls}/fresh
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

mkdir -p "$cache"
if root_mounted "$root"; then
	res "not ok" fresh_root "something is still mounted under $root"
	finish
fi
rm -rf "$root" "$logs"
mkdir -p "$logs"

# 1. The pristine base, then a new root from it.
root_base "$logs/debootstrap.log" || { res "not ok" fresh_root "debootstrap failed"; finish; }
root_new "$root" || { res "not ok" fresh_root "cannot unpack $ROOT_BASE"; finish; }
git -C "$top" archive --format=tar --prefix=uls/ HEAD | tar -x -C "$root/root"
cp "$here/state.sh" "$root/state.sh"
echo "fresh: new root $root from $ROOT_BASE, HEAD $(git -C "$top" rev-parse --short HEAD) in /root/uls"

# inroot NAME COMMAND: run COMMAND with bash in the root, as root, with a
# login's environment and nothing of ours; its output is shown and kept.
inroot() {
	local name=$1 cmd=$2 rc t0=$(date +%s)
	echo "fresh: # $cmd"
	: > "$logs/$name.log"
	root_run "$root" "cd uls && $cmd" \
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
