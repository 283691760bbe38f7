#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh --guest ENTRY --root DIR [--scx] [--kdir DIR] [--mem MB]
#         [--timeout SEC] [--multi-thread | --icount SHIFT] [--append ARG]...
#         KVER BUILD_DIR
#
# Build the payload for KVER and boot Debian's KVER kernel in QEMU with it,
# ENTRY (a script of tests/guest/: run-check, run-bench, run-demo) being
# the guest's /guest/run. The payload: the module, built and installed
# through DKMS as a user would, its BTF checked on the host, the static
# test programs and busybox. Everything goes to BUILD_DIR/vm-KVER/, in
# place of an earlier run's: host.results (the host's checks: "ok NAME",
# "not ok NAME # why"), vm.results (what ENTRY wrote, and the init's last
# line "ULS-VM-DONE rc=N"), dmesg.log, console.log, and the build logs.
# What the run means is the caller's to say (tests/check.sh, demo.sh,
# bench/bench.sh): this only builds and boots.
#
# KVER's packages are in the chroot that --root names (tests/matrix/
# chroot.sh), and DKMS runs there: never on the host.
# --scx: where KVER has sched_ext, the payload gets the sched_ext programs
# too (tests/sched_ext/build.sh: scx_hints and its tests, scx_uls).
# With --kdir, KVER is a kernel built from source in DIR (no package, so
# no DKMS: tests/debug/kernel.sh): the module is built by Kbuild from a
# copy of the sources, in the --root chroot the tree was built in (with
# its compiler), as a debug build (ULS_DEBUG=y: it runs its self-tests at
# load, and run-check reports them), and DIR's bzImage is booted.
# --mem, --timeout: the VM's memory and time limit (run.sh); each --append
# adds to the kernel command line, where NAME=value reaches the guest's
# environment. Where an option is given twice, the last one counts.
# --multi-thread: QEMU's multi-threaded TCG, one host thread per vCPU
# (run.sh: single-threaded by default, and why); the guest finds the mode
# in ULS_TCG (single or multi). --icount SHIFT: the guest's clocks count
# executed instructions (run.sh), on one vCPU; the guest finds SHIFT in
# ULS_ICOUNT. One: under QEMU 7.2's -icount, Debian 12's 6.1 never brings
# up a second vCPU (it hangs at "Booting SMP configuration"), and with
# one the guest's order of events, and so its clock, is the same in
# every run.
#
# Exit status 0 once the VM has run, whatever became of it: vm.results
# says (no ULS-VM-DONE line: it crashed or hung). Non-zero if it could
# not boot: no uls.ko (host.results and the messages say why), or a step
# of the build failed.
set -eu

usage() {
	sed -n '4,6s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

entry='' scx=0 root='' kdir='' mem=2048 timeout=600 append='' thread=single icount=''
while [ $# -gt 2 ]; do
	case $1 in
	--guest) entry=$2; shift ;;
	--scx) scx=1 ;;
	--root) root=$2; shift ;;
	--kdir) kdir=$2; shift ;;
	--mem) mem=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--append) append="$append $2"; shift ;;
	--multi-thread) thread=multi ;;
	--icount) icount=$2; shift ;;
	*) usage ;;
	esac
	shift
done
if [ $# -ne 2 ] || [ -z "$entry" ]; then
	usage
fi
root=${root%/}
if [ -z "$root" ]; then
	echo "boot.sh: --root is needed: the tests never use the host's kernels, compilers for them or DKMS" >&2
	exit 2
fi
kver=$1
build=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
guest=$top/tests/guest/$entry
if [ ! -x "$guest" ]; then
	echo "boot.sh: --guest $entry: no such script in tests/guest" >&2
	exit 2
fi
# The release (include/uls/version.h), as DKMS names the module.
version=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$top" version)
work=$build/vm-$kver
rm -rf "$work"
mkdir -p "$work/payload/bin" "$work/payload/guest"
host_results=$work/host.results
: > "$host_results"
res() { echo "$*" >> "$host_results"; }

# 1. The module, through DKMS; or by Kbuild for a kernel built from source.
if [ -n "$kdir" ]; then
	how=kbuild
	# A copy: the build drops its objects next to the sources, and the
	# checkout may be in use (and DKMS's copy is DKMS's).
	kdir=$(cd "$kdir" && pwd)
	src=$(cd "$build" && pwd)/src-$kver
	echo "boot: Kbuild build of uls $version against $kdir, in $root"
	rm -rf "$src"
	mkdir -p "$src"
	tar -c -C "$top" --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod' --exclude='*.mod.c' \
		Kbuild module kfuncs include | tar -x -C "$src"
	# In the chroot, whose gcc built the tree: both directories appear
	# there at their paths, the tree read-only (other runs share it).
	# The chroot's clean environment keeps our make's flags out.
	# A debug build, for a debug kernel: the guest's run-check expects
	# its self-tests' lines in the kernel log when it finds the marker.
	if "$top/tests/matrix/chroot-run.sh" --ro-bind "$kdir" --bind "$src" "$root" \
		make -C "$kdir" M="$src" ULS_DEBUG=y -j"$(nproc)" modules \
		> "$work/kbuild.log" 2>&1; then
		res "ok kbuild_module"
	else
		tail -n 40 "$work/kbuild.log" >&2
		res "not ok kbuild_module # see $work/kbuild.log"
	fi
	ko=$(ls "$src/uls.ko" 2>/dev/null || true)
	: > "$work/payload/guest/debug-build"
else
	how=dkms
	# One DKMS tree per chroot, and another check (a second worktree,
	# make bench) may want it for another kernel: hold it from the
	# install until the module is copied out and uninstalled again.
	exec 8> "$root.dkms.lock"
	flock 8
	echo "boot: dkms build and install uls/$version for $kver"
	if make -s -C "$top" dkms-install KVER="$kver" KROOT="$root" > "$work/dkms.log" 2>&1; then
		res "ok dkms_build_install"
	else
		tail -n 40 "$work/dkms.log" >&2
		res "not ok dkms_build_install # see $work/dkms.log"
	fi
	ko=$(find "$root/var/lib/dkms/uls/$version/$kver" -name 'uls.ko*' -path '*module*' 2>/dev/null | head -n 1)
fi
if [ -n "$ko" ]; then
	case $ko in
	*.xz) xz -dc "$ko" > "$work/payload/uls.ko" ;;
	*.zst) zstd -dc "$ko" > "$work/payload/uls.ko" ;;
	*) cp "$ko" "$work/payload/uls.ko" ;;
	esac
fi
# Leave nothing registered in the chroot's DKMS, whether the build worked
# or not: a kernel installed there later would have its postinst build uls.
if [ "$how" = dkms ]; then
	make -s -C "$top" dkms-uninstall KROOT="$root" >> "$work/dkms.log" 2>&1
	exec 8>&-
fi
if [ -z "$ko" ]; then
	echo "boot: $how produced no uls.ko" >&2
	exit 1
fi

# 2. Its BTF, on the host: without it the kfuncs silently do not exist.
base=$build/btf/vmlinux-$kver.btf
btfids=$build/scripts/uls-btfids
if [ -n "$kdir" ]; then
	# Always from the tree: another config keeps the same KVER.
	mkdir -p "$build/btf"
	"$btfids" extract-btf "$kdir/vmlinux" "$base"
elif [ ! -s "$base" ]; then
	mkdir -p "$build/btf"
	ULS_BTFIDS=$btfids ULS_KROOT=$root "$top/scripts/base-btf.sh" "$kver" "$base"
fi
if readelf -S "$work/payload/uls.ko" | grep -q ' \.BTF ' &&
   readelf -S "$work/payload/uls.ko" | grep -q ' \.BTF_ids '; then
	res "ok ${how}_module_has_btf"
else
	res "not ok ${how}_module_has_btf # no .BTF or .BTF_ids in $ko"
fi
# ULS_CHECK_FUNCS: the kfunc names, from the Makefile (kfuncs/kfuncs.c).
# shellcheck disable=SC2046
if "$btfids" check --base "$base" "$work/payload/uls.ko" \
	$(for f in ${ULS_CHECK_FUNCS:?run through make}; do echo --func "$f"; done) \
	> "$work/btf-check.log" 2>&1; then
	res "ok ${how}_module_btf_ids_resolved"
else
	cat "$work/btf-check.log" >&2
	res "not ok ${how}_module_btf_ids_resolved # see $work/btf-check.log"
fi

# 3. The sched_ext test, where the kernel has sched_ext.
config=$root/boot/config-$kver
[ -e "$config" ] || config=$root/usr/lib/modules/$kver/config
[ -z "$kdir" ] || config=$kdir/.config
if [ $scx = 1 ] && grep -q '^CONFIG_SCHED_CLASS_EXT=y' "$config" 2>/dev/null; then
	echo "boot: $kver has sched_ext: building scx_hints and the scx tests"
	if "$top/tests/sched_ext/build.sh" "$kver" "$base" \
		"$work/payload/bin" > "$work/scx-build.log" 2>&1; then
		res "ok scx_build"
	else
		tail -n 20 "$work/scx-build.log" >&2
		res "not ok scx_build # see $work/scx-build.log"
	fi
fi

# 4. The guest. Kernel modules some tests need, where KVER does not build
# them in: a loop device and ext4, for a file on a disk file system. The
# guest loads them in the order listed.
"$top/tests/vm/guest-modules.sh" "$root" "$kver" "$work/payload/lib/uls-modules" loop ext4 \
	2>/dev/null
cp "$build/tests/uls_test" "$build/tests/uls_tld_test" "$build/tests/uls_bench" \
	"$build/tests/uls_mutex_bench" "$build/tests/uls_thread_trace" \
	"$build/tests/uls_scx_bench" \
	"$build/user/switchcount" "$build/user/schedwatch" "$build/user/ulsctl" \
	"$build/user/hintlat" "$top/tests/vm/tap-join" "$work/payload/bin/"
cp "$guest" "$work/payload/guest/run"
# The dynamically linked key tests (tests/dso): the program and the
# libraries it loads, libuls.so.0 where a distribution puts it, and the
# C library they need, from the host, at the paths ldd gives.
dso=$build/tests/dso
if [ -x "$dso/uls_dso_test" ]; then
	mkdir -p "$work/payload/usr/lib/uls-tests" "$work/payload/usr/lib/x86_64-linux-gnu"
	cp "$dso/uls_dso_test" "$dso"/*.so "$work/payload/usr/lib/uls-tests/"
	cp "$build/user/libuls.so.0" "$work/payload/usr/lib/x86_64-linux-gnu/"
	for f in "$dso/uls_dso_test" "$dso"/*.so; do
		LD_LIBRARY_PATH=$build/user ldd "$f"
	done | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' |
		grep -v "^$build/" | sort -u | while read -r lib; do
		mkdir -p "$work/payload$(dirname "$lib")"
		cp -L "$lib" "$work/payload$lib"
	done
fi
if [ -n "$kdir" ]; then
	# The bzImage, not vmlinux: booting the ELF through PVH runs code
	# before KASAN is set up that KASAN instruments.
	vmlinux=$kdir/arch/x86/boot/bzImage
else
	vmlinux=$("$top/tests/vm/kernel.sh" "$kver" "$root")
fi
"$top/tests/vm/mkinitramfs.sh" "$work/initramfs.cpio" "$work/payload"

# 6.1 has memfd_secret() off by default.
append="$append secretmem.enable=1 ULS_TCG=$thread"
clock=
if [ -n "$icount" ]; then
	append="$append ULS_ICOUNT=$icount"
	clock=", one vCPU, clock: instructions, 2^$icount ns each"
fi
echo "boot: starting $kver in QEMU ($thread-threaded TCG$clock); console in $work/console.log"
start=$(date +%s)
vm_rc=0
"$top/tests/vm/run.sh" --kernel "$vmlinux" --initrd "$work/initramfs.cpio" \
	--results "$work/vm.results" --dmesg "$work/dmesg.log" \
	--console "$work/console.log" --timeout "$timeout" --mem "$mem" \
	--append "${append# }" --$thread-thread \
	${icount:+--icount "$icount" --smp 1} ||
	vm_rc=$?
echo "boot: VM finished in $(( $(date +%s) - start )) s (exit $vm_rc)"

