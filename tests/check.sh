#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh --root DIR [--kdir DIR] [--mem MB] [--timeout SEC]
#          [--append ARG]... KVER BUILD_DIR
#
# make check on one kernel: boot KVER with the test suite as the guest
# (tests/vm/boot.sh, whose options these are, with tests/guest/run-check),
# then add up the host's checks and what the guest reported
# (tests/vm/summarize.sh). Writes BUILD_DIR/vm-KVER/all.tap, prints the
# failures, and as the last line "N passed, N failed". Where KVER has
# sched_ext, the sched_ext programs (scx_hints, scx_uls) are built too,
# for their tests. Exit status 0 iff nothing failed.
# $ULS_TESTS (make check TESTS=NAME,NAME...): the guest runs only those
# tests; an unknown name ends the check before anything is built for the
# kernel.
set -eu

usage() {
	sed -n '4,5s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

[ $# -ge 2 ] || usage
kver=${*: -2:1}
build=${*: -1}
opts=("${@:1:$#-2}")
top=$(cd "$(dirname "$0")/.." && pwd)
work=$build/vm-$kver

# The names the guest will take, asked before anything is built.
tests=${ULS_TESTS:-}
scx=(--scx)
if [ -n "$tests" ]; then
	known=$(ULS_TEST_BIN=$build/tests/uls_test \
		ULS_DSO_TEST_BIN=$build/tests/dso/uls_dso_test \
		LD_LIBRARY_PATH=$build/user "$top/tests/guest/run-check" --list)
	for name in $(echo "$tests" | tr ',' ' '); do
		if ! echo "$known" | grep -qx "$name"; then
			echo "check: TESTS: no test is named '$name'; the tests are:" >&2
			echo "$known" | sed 's/^/  /' >&2
			echo "0 passed, 1 failed"
			exit 2
		fi
	done
	echo "check: only $tests"
	# NAME=value on the command line reaches the guest's environment.
	opts+=(--append "ULS_TESTS=$tests")
	if ! echo ",$tests," | grep -q ',scx_'; then
		echo "check: not building the sched_ext programs: TESTS names none (scx_*)"
		scx=()
	fi
fi

if ! "$top/tests/vm/boot.sh" --guest run-check "${scx[@]}" "${opts[@]}" "$kver" "$build"; then
	# Nothing booted: what the host found is all there is to show.
	cat "$work/host.results" 2>/dev/null || true
	echo "0 passed, 1 failed"
	exit 1
fi
cat "$work/host.results" "$work/vm.results" > "$work/all.results"
exec "$top/tests/vm/summarize.sh" "$work/all.results" "$work/dmesg.log"
