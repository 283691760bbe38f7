#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [-j JOBS] BUILD_DIR LIST ENDING [ARG...]
#
# Run ENDING on each kernel of LIST: tests/check.sh (make check),
# tests/bench/bench.sh (make bench) or tests/demo.sh (make demo). LIST has
# lines "KVER ROOT NAME [OPTION...]", as setup.sh writes them; for each,
# this runs
#   ENDING [ARG...] --root ROOT [OPTION...] KVER BUILD_DIR
# and keeps what it prints in BUILD_DIR/<ENDING without .sh>-KVER.log.
# With -j JOBS (default 1), up to JOBS kernels at once, taken in the
# order of LIST: each VM is one single-threaded TCG process, so a host of
# N cores runs N of them at the speed of one. One kernel at a time (make
# bench, whose figures want the machine alone), its output as it comes,
# after a line "=== NAME: KVER"; several, each kernel's output whole when
# it ends, after that line.
# A kernel's count is the last line "N passed, N failed" its ending
# printed; an ending that counts nothing counts as one check, passed iff
# it exited with status 0. Then a summary, in the order of LIST: each
# kernel's line "KVER: N passed, N failed", the time each took, and the
# total "N passed, N failed" as the last line. Exit status 0 iff nothing
# failed.
set -eu -o pipefail

usage() {
	sed -n '4s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

jobs=1
if [ "${1:-}" = -j ]; then
	if [ $# -lt 2 ] || ! [ "$2" -ge 1 ] 2>/dev/null; then
		usage
	fi
	jobs=$2
	shift 2
fi
[ $# -ge 3 ] || usage
build=$1
list=$2
shift 2
ending=$(basename "$1" .sh)
mkdir -p "$build"
out_lock=$build/.$ending.output.lock

# count LOG RC: the kernel's "N passed, N failed".
count() {
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1) || line=
	if [ -z "$line" ] && [ "$2" -eq 0 ]; then
		line="1 passed, 0 failed"
	elif [ -z "$line" ]; then
		line="0 passed, 1 failed"
	fi
	echo "$line"
}

# one KVER ROOT NAME OPTS CMD...: CMD on that kernel; its count and time
# in BUILD_DIR/<ending>-KVER.result.
one() {
	local kver=$1 root=$2 name=$3 opts=$4 log start rc=0
	shift 4
	log=$build/$ending-$kver.log
	start=$(date +%s)
	# One kernel's failure is its line's: the others still run.
	if [ "$jobs" -eq 1 ]; then
		echo "=== $name: $kver"
		# shellcheck disable=SC2086 # opts: words without blanks of their own
		"$@" --root "$root" $opts "$kver" "$build" < /dev/null 2>&1 |
			tee "$log" || rc=$?
	else
		# shellcheck disable=SC2086
		"$@" --root "$root" $opts "$kver" "$build" < /dev/null > "$log" 2>&1 ||
			rc=$?
		{
			flock 9
			echo "=== $name: $kver"
			cat "$log"
		} 9> "$out_lock"
	fi
	echo "$(count "$log" "$rc") $(( $(date +%s) - start ))" > "$build/$ending-$kver.result"
}

kvers=()
while read -r kver root name opts; do
	[ -n "$kver" ] || continue
	kvers+=("$kver")
	rm -f "$build/$ending-$kver.result"
	if [ "$jobs" -eq 1 ]; then
		one "$kver" "$root" "$name" "$opts" "$@"
		continue
	fi
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	echo "=== $name: $kver: started, $(date +%T)"
	one "$kver" "$root" "$name" "$opts" "$@" &
done < "$list"
wait || true

total_pass=0 total_fail=0 lines='' times=''
for kver in "${kvers[@]}"; do
	result=$(cat "$build/$ending-$kver.result" 2>/dev/null) || result="0 passed, 1 failed 0"
	line=${result% *}
	pass=${line%% passed*}
	fail=${line#*passed, }
	fail=${fail%% failed}
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	lines="$lines$kver: $line
"
	times="$times# $kver took ${result##* } s
"
done
echo "=== summary"
printf '%s%s' "$lines" "$times"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
