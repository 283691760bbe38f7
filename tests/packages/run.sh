#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh: make check-packages. The Debian packages, tested as a user who
# installs them would use them:
#
#  1. build: a new bookworm root (tests/lib/root.sh), a clean copy of HEAD
#     in it (git archive), its build dependencies (apt-get build-dep), and
#     dpkg-buildpackage -us -uc -b;
#  2. lintian on the .changes: no error (E:), the warnings shown;
#  3. install: another new root, with linux-image-amd64 and
#     linux-headers-amd64 first, as a machine has them, then apt-get
#     install ./*.deb; DKMS must have built and installed uls.ko for that
#     kernel;
#  4. consumers: in that root, against the installed files only, through
#     pkg-config: a C and a C++ program of libuls, and a BPF program with
#     its libbpf loader (tests/packages/consumer), whose vmlinux.h comes
#     from that kernel's BTF;
#  5. vm: that root's kernel booted in QEMU with the root itself as the
#     guest's file system (9p), so that it runs what the packages
#     installed, with their libraries and python3: the module as DKMS
#     built it, ulsctl, uls-schedwatch, the consumers, the Python tests
#     (guest.sh).
# Steps 1 and the first half of 3 run at once. The host's apt sources,
# kernels and DKMS are never touched: everything happens in the roots,
# under ${ULS_CACHE:-~/.cache/uls}/packages, where the apt archives of
# each root are kept from one run to the next (no download twice) and the
# logs of the last run stay (logs/: each step's, the VM's transcript).
#
# Prints one line per step and per test of the guest, "ok NAME" or "not ok
# NAME # why", the time each phase took, and last "N passed, N failed";
# exits non-zero if anything failed. The roots are removed when
# everything passed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/lib/root.sh
. "$top/tests/lib/root.sh"
cache=${ULS_CACHE:-$HOME/.cache/uls}/packages
logs=$cache/logs
broot=$cache/build-root
iroot=$cache/install-root
debs=$cache/debs
results=$logs/results
t_start=$(date +%s)

# res ok|"not ok" NAME [WHY]
res() {
	echo "$1 $2${3:+ # $3}" | tee -a "$results"
}

finish() {
	local p f
	p=$(grep -c '^ok ' "$results")
	f=$(grep -c '^not ok ' "$results")
	echo "packages: $(( $(date +%s) - t_start )) s in all; logs in $logs"
	if [ "$f" -eq 0 ]; then
		rm -rf "$broot" "$iroot"
	else
		echo "packages: the roots are kept in $broot and $iroot"
	fi
	echo "$p passed, $f failed"
	[ "$f" -eq 0 ]
	exit
}

# phase NAME SECONDS-SINCE: how long a phase took, in the output and in
# logs/times.
phase() {
	echo "packages: phase $1 took $(( $(date +%s) - $2 )) s" | tee -a "$logs/times"
}

# step ROOT NAME [--bind HOST:PATH]... CMD: run CMD in ROOT (root_run),
# its output in logs/NAME.log; ok when it exits 0, else its last lines and
# "not ok" with the first error.
step() {
	local root=$1 name=$2 rc t0 first
	shift 2
	t0=$(date +%s)
	root_run "$root" "$@" < /dev/null > "$logs/$name.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		res ok "$name" "$(( $(date +%s) - t0 )) s"
		return 0
	fi
	tail -n 25 "$logs/$name.log" | sed "s/^/$name| /"
	first=$(grep -n -m 1 -E '^E: |[Ee]rror: |\*\*\*' "$logs/$name.log" | cut -c1-160)
	res "not ok" "$name" "exit $rc; first error: ${first:-none}; see $logs/$name.log"
	return 1
}

# One run at a time (two checkouts would share the roots and the logs).
mkdir -p "$cache"
exec 9> "$cache/lock"
if ! flock -n 9; then
	echo "packages: another run holds $cache/lock; waiting for it"
	flock 9
fi
for r in "$broot" "$iroot"; do
	if root_mounted "$r"; then
		echo "packages: something is still mounted under $r" >&2
		exit 1
	fi
done
rm -rf "$logs" "$debs"
mkdir -p "$logs" "$debs" "$cache/apt-build/partial" "$cache/apt-install/partial"
: > "$results"
: > "$logs/times"

t0=$(date +%s)
root_base "$logs/debootstrap.log" || { res "not ok" packages_base "debootstrap failed"; finish; }
phase base "$t0"

# Apt installs what a user would, but with no initramfs: the VM boots
# the kernel with one of its own (tests/vm/mkinitramfs.sh).
APT="env DEBIAN_FRONTEND=noninteractive INITRD=No apt-get -y -q"

# 1. The build root, and the packages. In the background, while the
# install root is made ready.
build() {
	local t0
	t0=$(date +%s)
	root_new "$broot" || { res "not ok" build_root "cannot unpack $ROOT_BASE"; return 1; }
	git -C "$top" archive --format=tar --prefix=uls/ HEAD | tar -x -C "$broot/root"
	echo "packages: build root $broot, HEAD $(git -C "$top" rev-parse --short HEAD) in /root/uls"
	step "$broot" build_deps --bind "$cache/apt-build:/var/cache/apt/archives" \
		"apt-get update -q && $APT build-dep --no-install-recommends ./uls" || return 1
	phase build-deps "$t0"
	t0=$(date +%s)
	step "$broot" build_debs "cd uls && dpkg-buildpackage -us -uc -b" || return 1
	cp "$broot"/root/*.deb "$broot"/root/*.changes "$broot"/root/*.buildinfo "$debs/"
	phase build "$t0"
}

# 3a. The install root: a machine with Debian's kernel and its headers,
# and what building the consumers takes (C, C++, clang, bpftool, libbpf,
# pkg-config), and lintian.
install_ready() {
	local t0
	t0=$(date +%s)
	root_new "$iroot" || { res "not ok" install_root "cannot unpack $ROOT_BASE"; return 1; }
	step "$iroot" install_kernel --bind "$cache/apt-install:/var/cache/apt/archives" \
		"apt-get update -q && $APT install linux-image-amd64 linux-headers-amd64 \
		 && $APT install --no-install-recommends build-essential g++ clang llvm bpftool \
		 libbpf-dev pkg-config lintian" || return 1
	phase install-root "$t0"
}

build > "$logs/build.out" 2>&1 &
build_pid=$!
install_ready > "$logs/install.out" 2>&1 &
install_pid=$!
wait $build_pid
build_ok=$?
cat "$logs/build.out"
wait $install_pid
install_ok=$?
cat "$logs/install.out"
if [ $build_ok -ne 0 ] || [ $install_ok -ne 0 ]; then
	finish
fi

# 2 and 3b. lintian, while apt installs the packages and DKMS builds.
mkdir -p "$iroot/root/debs"
cp "$debs"/* "$iroot/root/debs/"
t0=$(date +%s)
(
	# lintian exits 2 when it found errors (told below), 1 when it could
	# not check.
	step "$iroot" lintian "lintian --tag-display-limit 0 debs/*.changes; [ \$? -ne 1 ]"
	grep -E '^[EWIP]: ' "$logs/lintian.log" | sed 's/^/lintian| /'
	if grep -q '^E: ' "$logs/lintian.log"; then
		res "not ok" lintian_no_errors "$(grep -c '^E: ' "$logs/lintian.log") errors"
	else
		res ok lintian_no_errors "$(grep -c '^W: ' "$logs/lintian.log") warnings"
	fi
) > "$logs/lintian.out" 2>&1 &
lintian_pid=$!
installed=0
if step "$iroot" install_debs --bind "$cache/apt-install:/var/cache/apt/archives" \
	"$APT install ./debs/*.deb"; then
	installed=1
fi
phase install-debs "$t0"
# The one kernel installed there.
kver=$(find "$iroot/lib/modules/" -mindepth 1 -maxdepth 1 -printf '%f\n' | head -n 1)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$iroot"/usr/src/uls-*/dkms.conf 2>/dev/null)
if [ $installed = 1 ]; then
	step "$iroot" dkms_built_for_kernel \
		"dkms status uls; dkms status -k $kver uls/$version | grep -q ': installed' &&
		 test -e /lib/modules/$kver/updates/dkms/uls.ko"
fi
wait $lintian_pid
cat "$logs/lintian.out"
[ $installed = 1 ] || finish

# 4. The consumers, built in the root against the installed packages; the
# BPF program's vmlinux.h from the BTF of the kernel the VM boots, which
# the module's own scripts take from /boot/vmlinuz (Debian 12's 6.1 ships
# no vmlinux with its headers).
t0=$(date +%s)
rm -rf "$iroot/root/consumer"
cp -r "$here/consumer" "$iroot/root/consumer"
step "$iroot" consumers_build \
	"/usr/src/uls-$version/scripts/base-btf.sh $kver consumer/vmlinux.btf &&
	 make -C consumer BTF=vmlinux.btf"
phase consumers "$t0"

# 5. The VM: the root's kernel, the root as its file system.
t0=$(date +%s)
vm=$logs/vm
mkdir -p "$vm/payload/guest" "$iroot/root/pkgtest"
cp "$here/guest.sh" "$iroot/root/pkgtest/"
ln -sfn ../consumer "$iroot/root/pkgtest/consumer"
if [ -d "$top/python/tests" ]; then
	cp -r "$top/python/tests" "$iroot/root/pkgtest/python-tests"
fi
cp "$here/vm-run" "$vm/payload/guest/run"
if ! "$top/tests/vm/guest-modules.sh" "$iroot" "$kver" "$vm/payload/lib/uls-modules" \
	virtio_pci 9pnet_virtio 9p > "$vm/modules.log" 2>&1 ||
   ! "$top/tests/vm/mkinitramfs.sh" "$vm/initramfs.cpio" "$vm/payload" ||
   ! vmlinux=$("$top/tests/vm/kernel.sh" "$kver" "$iroot"); then
	res "not ok" vm_boot "no initramfs or kernel, see $vm"
	finish
fi
echo "packages: booting $kver with $iroot as its root; console in $vm/console.log"
# The VM lock is shared with every other VM run on this host: the time
# spent waiting for it is told apart.
vm_rc=0
t_lock=$(date +%s)
# shellcheck disable=SC2016 # for the inner sh
flock /tmp/uls-vm.lock sh -c 'date +%s > "$0/locked" && exec "$@"' "$vm" \
	"$top/tests/vm/run.sh" --kernel "$vmlinux" \
	--initrd "$vm/initramfs.cpio" --virtfs "$iroot" --timeout 600 \
	--results "$vm/results" --dmesg "$vm/dmesg.log" --console "$vm/console.log" \
	--append "secretmem.enable=1" || vm_rc=$?
locked=$(cat "$vm/locked" 2>/dev/null || date +%s)
echo "packages: waited $((locked - t_lock)) s for /tmp/uls-vm.lock" | tee -a "$logs/times"
phase vm "$((t0 + locked - t_lock))"
grep -v '^ULS-VM-DONE' "$vm/results" | grep -v '^# ' | tee -a "$results"
if [ $vm_rc -eq 0 ]; then
	res ok vm_boot
else
	tail -n 30 "$vm/console.log" | sed 's/^/console| /'
	res "not ok" vm_boot "exit $vm_rc, see $vm/console.log"
fi
finish
