#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh --kernel VMLINUX --initrd CPIO --results FILE --dmesg FILE
#        --console FILE [--timeout SEC] [--smp N] [--mem MB]
#        [--append "extra cmdline"] [--single-thread | --multi-thread]
#        [--icount SHIFT] [--virtfs DIR]
#
# Boot VMLINUX (an ELF vmlinux, see kernel.sh) with CPIO (see
# mkinitramfs.sh) in QEMU under TCG, no disk, no network.  The guest's
# serial ports go to files: ttyS0 -> --console, ttyS1 -> --results,
# ttyS2 -> --dmesg.  Exit status: 0 if QEMU ended and the results file has
# the ULS-VM-DONE line (whatever the tests said: see summarize.sh), 124 if
# QEMU was killed after --timeout seconds (default 900), else non-zero.
#
# TCG runs single-threaded by default (all vCPUs on one host thread):
# QEMU 7.2's multi-threaded TCG misses code modified by another vCPU, so
# kernel text patching (ftrace, static keys, BPF trampolines) while the
# other vCPU runs that code leaves it looping on a stale int3 (soft
# lockup) or gives a spurious "Oops: int3".  --multi-thread boots faster.
#
# --icount SHIFT: the guest's clocks count instructions executed, 2^SHIFT
# ns each, and not host time (QEMU's -icount, with sleep=off: an idle
# guest jumps to its next timer at once). Whatever the host does, the
# guest then reads the same times for the same work: make bench's
# deterministic mode. Single-threaded TCG only (QEMU's rule).
#
# --virtfs DIR: the guest sees the host's directory DIR, read-only, as the
# 9p file system tagged "uls-root" (virtio), a whole Debian root that it
# may chroot to (tests/packages: programs as the packages installed them).
set -eu

usage() {
	sed -n '4,7s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

kernel='' initrd='' results='' dmesg='' console='' append=''
timeout=900 smp=2 mem=2048 thread=single icount='' virtfs=''
while [ $# -gt 0 ]; do
	case $1 in
	--single-thread) thread=single ;;
	--multi-thread) thread=multi ;;
	-h|--help) usage ;;
	*)
		[ $# -ge 2 ] || usage
		case $1 in
		--kernel) kernel=$2 ;;
		--initrd) initrd=$2 ;;
		--results) results=$2 ;;
		--dmesg) dmesg=$2 ;;
		--console) console=$2 ;;
		--timeout) timeout=$2 ;;
		--smp) smp=$2 ;;
		--mem) mem=$2 ;;
		--append) append=$2 ;;
		--icount) icount=$2 ;;
		--virtfs) virtfs=$2 ;;
		*) echo "$0: unknown argument: $1" >&2; usage ;;
		esac
		shift
		;;
	esac
	shift
done
for v in "$kernel" "$initrd" "$results" "$dmesg" "$console"; do
	[ -n "$v" ] || usage
done

# A comma in a QEMU option value is written as two.
esc() { printf '%s' "$1" | sed 's/,/,,/g'; }

set --
if [ -n "$icount" ]; then
	case $icount in
	[0-9]|10) ;;
	*) echo "$0: --icount $icount: a shift of 0 to 10" >&2; exit 2 ;;
	esac
	if [ "$thread" = multi ]; then
		echo "$0: --icount needs single-threaded TCG" >&2
		exit 2
	fi
	set -- -icount shift="$icount",sleep=off
fi

if [ -n "$virtfs" ]; then
	[ -d "$virtfs" ] || { echo "$0: --virtfs $virtfs: not a directory" >&2; exit 2; }
	set -- "$@" -virtfs "local,path=$(esc "$virtfs"),mount_tag=uls-root,security_model=none,readonly=on"
fi

for f in "$kernel" "$initrd"; do
	if [ ! -r "$f" ]; then
		echo "$0: $f: not readable" >&2
		exit 2
	fi
done
: > "$results"
: > "$dmesg"
: > "$console"

# panic=-1: reboot at once on panic, and -no-reboot turns that into QEMU's
# exit.  oops=panic: an Oops/BUG leaves the kernel in an unknown state, so
# end the run at once (the trace is on the console) instead of hanging until
# the timeout; a WARN only gets logged and is caught by summarize.sh.
# loglevel=5: warnings and worse (WARN traces too) reach the console, so a
# run that hangs still shows them; the full log goes to the dmesg port.
# Measured: printing everything (--append loglevel=7) costs no boot time.
cmdline="console=ttyS0 panic=-1 oops=panic loglevel=5 $append"

status=0
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
	-nodefaults -no-user-config -nographic -no-reboot \
	-machine q35 -cpu max -accel tcg,thread="$thread" \
	-smp "$smp" -m "$mem" "$@" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-chardev file,id=console,path="$(esc "$console")" \
	-chardev file,id=results,path="$(esc "$results")" \
	-chardev file,id=dmesg,path="$(esc "$dmesg")" \
	-serial chardev:console -serial chardev:results -serial chardev:dmesg \
	</dev/null || status=$?

if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "$0: timeout: QEMU killed after ${timeout}s" >&2
	exit 124
fi
if [ "$status" -ne 0 ]; then
	echo "$0: QEMU failed with status $status" >&2
	exit "$status"
fi
if ! grep -q '^ULS-VM-DONE rc=' "$results"; then
	echo "$0: no ULS-VM-DONE line in $results: the guest crashed (see $console)" >&2
	exit 1
fi
