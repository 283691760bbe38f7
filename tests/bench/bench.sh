#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh OUT_DIR --root DIR [--kdir DIR] [--mem MB] [--timeout SEC]
#          [--append ARG]... KVER BUILD_DIR
#
# make bench on one kernel: boot KVER with the benchmarks as the guest
# (tests/vm/boot.sh, whose options these are, with tests/guest/run-bench),
# then write their results and plots to OUT_DIR/KVER/ (report.py), and
# the guest's raw lines there as bench.results (make bench-publish copies
# that directory to bench/results/). Exit status 0 iff the run completed:
# the guest finished the benchmark, and nothing failed on the host or in
# the guest.
set -eu

usage() {
	sed -n '4,5s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

[ $# -ge 3 ] || usage
out=$1
shift
kver=${*: -2:1}
build=${*: -1}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/vm-$kver

# 10,000 threads want their kernel stacks; TCG wants time. After the
# kernel's own options, so that these count.
"$top/tests/vm/boot.sh" --guest run-bench "${@:1:$#-2}" --mem 3072 \
	--timeout 1800 "$kver" "$build" || exit 1
grep -h '^not ok' "$work/host.results" "$work/vm.results" >&2 || true
"$top/tests/bench/report.py" "$work/vm.results" "$out/$kver" "$kver" || exit 1
cp "$work/vm.results" "$out/$kver/bench.results"
! grep -q '^not ok' "$work/host.results" "$work/vm.results" &&
	grep -q '^ULS-VM-DONE rc=0' "$work/vm.results"
