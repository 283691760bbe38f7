#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh OUT_DIR --root DIR [--kdir DIR] [--mem MB] [--timeout SEC]
#          [--icount SHIFT] [--append ARG]... KVER BUILD_DIR
#
# make bench on one kernel: boot KVER with the benchmarks as the guest
# (tests/vm/boot.sh, whose options these are, with tests/guest/run-bench),
# then boot it again for the mutex benchmark (tests/guest/run-bench-mutex,
# uls_mutex_bench) under multi-threaded TCG, then write their results and
# plots to OUT_DIR/KVER/ (report.py), and the guests' raw lines there as
# bench.results, the two runs one after the other (make bench-publish
# copies that directory to bench/results/). Exit status 0 iff the run
# completed: both guests finished their benchmark, and nothing failed on
# the host or in the guests.
#
# Why a VM of its own: uls_bench's figures are single-threaded TCG's (all
# vCPUs on one host thread, tests/vm/run.sh says why), where a vCPU that
# spins takes the time of the others; a mutex that spins must be
# measured with a host thread per vCPU, as on hardware. The guest turns
# the scheduler-event feed on only once it is booted and quiet, and a
# quiet guest patches little kernel text, what made multi-threaded TCG
# hang before. Should its VM not finish all the same, it is booted once
# more. ULS_MUTEX_TCG=single in the environment: single-threaded all the
# same (to compare).
#
# Where the kernel has sched_ext, a third VM measures scx_hints's wake-up
# latencies (tests/guest/run-bench-scx, uls_scx_bench), in both modes on
# the instruction clock (one vCPU).
#
# --append ULS_BENCH_PHASES=LIST: uls_bench's phases (bench.c), "mutex"
# for the mutex VM and "scx" for scx_hints's; without "mutex" or "scx"
# that VM is not booted, and with only those, uls_bench's is not. The VMs' directories stay for a look:
# BUILD_DIR/vm-KVER.uls_bench/ and BUILD_DIR/vm-KVER/ (the mutex's).
#
# --icount SHIFT: deterministic mode (make bench DETERMINISTIC=1): the
# guest's clock counts executed instructions (tests/vm/run.sh), so that
# its figures are work done and the same from run to run, whatever the
# host does (on one vCPU: tests/vm/boot.sh says why). QEMU counts
# instructions only under single-threaded TCG, and the mutex's figures
# need a host thread per vCPU: this mode has none (an INFO line says
# so), and "mutex" alone in the phases is an error.
set -eu

# shellcheck source=tests/bench/args.sh
. "$(dirname "$0")/args.sh"
mutex_tcg=${ULS_MUTEX_TCG:-multi}
case $mutex_tcg in
single|multi) ;;
*) echo "bench.sh: ULS_MUTEX_TCG=$mutex_tcg: single or multi" >&2; exit 2 ;;
esac

phases= icount= root= kdir=
prev=
for a in "${@:1:$#-2}"; do
	case $prev,$a in
	--icount,*) icount=$a ;;
	--root,*) root=$a ;;
	--kdir,*) kdir=$a ;;
	*,ULS_BENCH_PHASES=*) phases=${a#ULS_BENCH_PHASES=} ;;
	esac
	prev=$a
done
main=1 mutex=1 scx=1
if [ -n "$phases" ]; then
	case ,$phases, in
	*,mutex,*) ;;
	*) mutex=0 ;;
	esac
	case ,$phases, in
	*,scx,*) ;;
	*) scx=0 ;;
	esac
	[ -n "$(echo "$phases" | tr , '\n' | grep -vx 'mutex\|scx' || true)" ] || main=0
fi
# scx_hints's VM: where the kernel has sched_ext (its config, as boot.sh
# finds it).
config=$root/boot/config-$kver
[ -e "$config" ] || config=$root/usr/lib/modules/$kver/config
[ -z "$kdir" ] || config=$kdir/.config
if [ $scx = 1 ] && ! grep -q '^CONFIG_SCHED_CLASS_EXT=y' "$config" 2>/dev/null; then
	scx=0
	echo "bench.sh: $kver has no sched_ext: no scx_hints figures" >&2
fi
# The mutex VM runs under multi-threaded TCG, which cannot count
# instructions: none in deterministic mode, and "mutex" alone is an error.
if [ -n "$icount" ] && [ $mutex = 1 ]; then
	if [ $main = 0 ] && [ $scx = 0 ]; then
		echo "bench.sh: --icount: the mutex benchmark needs multi-threaded TCG, which cannot count instructions" >&2
		exit 2
	fi
	mutex=0
fi

mkdir -p "$out/$kver"
results=$out/$kver/bench.results
: > "$results"
ok=1
if [ -n "$icount" ]; then
	echo "INFO clock icount $icount" >> "$results"
	echo "INFO mutex_skipped deterministic mode: the mutex benchmark needs multi-threaded TCG, which cannot count instructions" >> "$results"
fi

# Append what a VM wrote (and its host's failures) to bench.results: 1 if
# it did not finish cleanly.
collect() {
	local name=$1
	cat "$work/vm.results" >> "$results"
	grep -h '^not ok' "$work/host.results" | tee -a "$results" >&2 || true
	grep -h '^not ok' "$work/vm.results" >&2 || true
	if ! grep -q '^ULS-VM-DONE rc=' "$work/vm.results"; then
		echo "not ok ${name}_vm_done # no ULS-VM-DONE line: the guest crashed or hung (see $work/console.log)" |
			tee -a "$results" >&2
		return 1
	fi
	! grep -q '^not ok' "$work/host.results" "$work/vm.results" &&
		grep -q '^ULS-VM-DONE rc=0' "$work/vm.results"
}

if [ $main = 1 ]; then
	# 10,000 threads want their kernel stacks; TCG wants time. After the
	# kernel's own options, so that these count.
	"$top/tests/vm/boot.sh" --guest run-bench "${@:1:$#-2}" --mem 3072 \
		--timeout 1800 "$kver" "$build" || exit 1
	collect uls_bench || ok=0
	rm -rf "$work.uls_bench"
	mv "$work" "$work.uls_bench"
fi
if [ $scx = 1 ]; then
	# Always on the instruction clock (one vCPU), whatever the mode: under
	# plain TCG a busy vCPU takes its timer interrupts milliseconds late,
	# whoever schedules (README, scx_hints), which would hide what the
	# scheduler does. A --icount in the arguments comes later, and counts.
	"$top/tests/vm/boot.sh" --guest run-bench-scx --scx --icount 0 \
		"${@:1:$#-2}" --mem 2048 --timeout 900 "$kver" "$build" || exit 1
	collect uls_scx_bench || ok=0
	rm -rf "$work.uls_scx_bench"
	mv "$work" "$work.uls_scx_bench"
fi
if [ $mutex = 1 ]; then
	for try in 1 2; do
		"$top/tests/vm/boot.sh" --guest run-bench-mutex "${@:1:$#-2}" \
			--"$mutex_tcg"-thread --mem 2048 --timeout 900 \
			"$kver" "$build" || exit 1
		# Only a VM that hung or crashed gets a second boot.
		if grep -q '^ULS-VM-DONE rc=' "$work/vm.results" || [ $try = 2 ]; then
			break
		fi
		echo "bench.sh: the mutex VM did not finish ($mutex_tcg-threaded TCG): booting it once more" >&2
		cp "$work/console.log" "$build/console-$kver.mutex-try1.log"
		echo "INFO mutex_vm_retried the first boot did not finish ($mutex_tcg-threaded TCG)" >> "$results"
	done
	collect uls_mutex_bench || ok=0
fi
"$top/tests/bench/report.py" "$results" "$out/$kver" "$kver" || exit 1
[ $ok = 1 ]
