#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# trace.sh OUT_DIR --root DIR [--kdir DIR] [--icount SHIFT] [--append ARG]...
#          KVER BUILD_DIR
#
# make bench-trace on one kernel: boot KVER with uls_thread_trace as the
# guest (tests/vm/boot.sh, whose options these are, with
# tests/guest/run-trace-threads), then write its lines to
# OUT_DIR/KVER/trace.results and the tables trace_report.py makes of them
# to OUT_DIR/KVER/trace.txt. --icount: deterministic mode, as make bench's
# (tests/bench/bench.sh). --append ULS_TRACE_...=N: uls_thread_trace's
# parameters (tests/bench/thread_trace.c). Exit status 0 iff the guest
# finished and nothing failed.
set -eu

# shellcheck source=tests/bench/args.sh
. "$(dirname "$0")/args.sh"

mkdir -p "$out/$kver"
results=$out/$kver/trace.results
# 3 GB: the ring buffer takes 128 MB a CPU; TCG under the tracer is slow.
"$top/tests/vm/boot.sh" --guest run-trace-threads "${@:1:$#-2}" --mem 3072 \
	--timeout 3600 "$kver" "$build" >&2 || exit 1
cp "$work/vm.results" "$results"
cp "$work/console.log" "$out/$kver/console.log"
"$top/tests/bench/trace_report.py" "$results" > "$out/$kver/trace.txt"
cat "$out/$kver/trace.txt"
! grep -h '^not ok' "$work/host.results" "$results" &&
	grep -q '^ULS-VM-DONE rc=0' "$results"
