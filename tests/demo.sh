#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh [--guest ENTRY] [--multi-thread] --root DIR [--kdir DIR]
#         [--mem MB] [--timeout SEC] [--append ARG]... KVER BUILD_DIR
#
# make demo on one kernel: boot KVER with the switch-count demo as the
# guest (tests/vm/boot.sh, whose options these are, with
# tests/guest/run-demo) and print the transcript it wrote. Exit status 0
# iff the demo ran to its end. make demo-mutex: the same with --guest
# run-demo-mutex --multi-thread (the scheduler-event feed, schedwatch and
# the mutex benchmark's table, under multi-threaded TCG). make demo-scx:
# --guest run-demo-scx --scx (scx_hints); the guest's "CDF LABEL US
# FRACTION" lines become BUILD_DIR/demo-scx/KVER/LABEL.dat and cdf.png
# there (gnuplot, tests/scx_cdf.gp), instead of being printed; a plot
# that gnuplot cannot draw fails the demo.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
# boot.sh checks the arguments, and says how to call it; a --guest in
# them comes after this one, and counts.
"$top/tests/vm/boot.sh" --guest run-demo "$@" || exit 1
results=${*: -1}/vm-${*: -2:1}/vm.results
grep -v -e '^ULS-VM-DONE' -e '^CDF ' "$results" || true
if grep -q '^CDF ' "$results"; then
	cdf=${*: -1}/demo-scx/${*: -2:1}
	rm -rf "$cdf" && mkdir -p "$cdf"
	awk -v dir="$cdf" '$1 == "CDF" { print $3, $4 > (dir "/" $2 ".dat") }' "$results"
	# The plot is what the demo is for: without it, it failed.
	if ! gnuplot -e "dir='$cdf'" "$top/tests/scx_cdf.gp"; then
		echo "demo: gnuplot failed; the samples are in $cdf" >&2
		exit 1
	fi
	echo "demo: the plot is $cdf/cdf.png"
fi
grep -q '^ULS-VM-DONE rc=0' "$results"
