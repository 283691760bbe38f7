#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh BUILD_DIR LIST ENDING [ARG...]
#
# Run ENDING on each kernel of LIST, one after the other: tests/check.sh
# (make check), tests/bench/bench.sh (make bench) or tests/demo.sh (make
# demo). LIST has lines "KVER ROOT NAME [OPTION...]", as setup.sh writes
# them; for each, after a line "=== NAME: KVER", this runs
#   ENDING [ARG...] --root ROOT [OPTION...] KVER BUILD_DIR
# and keeps what it prints in BUILD_DIR/<ENDING without .sh>-KVER.log.
# A kernel's count is the last line "N passed, N failed" its ending
# printed; an ending that counts nothing counts as one check, passed iff
# it exited with status 0. Then a summary: each kernel's line "KVER: N
# passed, N failed", the time each took, and the total "N passed, N
# failed" as the last line. Exit status 0 iff nothing failed.
set -eu -o pipefail

usage() {
	sed -n '4s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

[ $# -ge 3 ] || usage
build=$1
list=$2
shift 2
ending=$(basename "$1" .sh)
total_pass=0 total_fail=0 lines='' times=''
mkdir -p "$build"

while read -r kver root name opts; do
	[ -n "$kver" ] || continue
	log=$build/$ending-$kver.log
	echo "=== $name: $kver"
	start=$(date +%s)
	rc=0
	# One kernel's failure is its line's: the others still run.
	# shellcheck disable=SC2086 # opts: words without blanks of their own
	"$@" --root "$root" $opts "$kver" "$build" < /dev/null 2>&1 |
		tee "$log" || rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1) || line=
	if [ -z "$line" ] && [ "$rc" -eq 0 ]; then
		line="1 passed, 0 failed"
	elif [ -z "$line" ]; then
		line="0 passed, 1 failed"
	fi
	pass=${line%% passed*}
	fail=${line#*passed, }
	fail=${fail%% failed}
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	lines="$lines$kver: $line
"
	times="$times# $kver took $(( $(date +%s) - start )) s
"
done < "$list"

echo "=== summary"
printf '%s%s' "$lines" "$times"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
