#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# summarize.sh RESULTS DMESG
#
# Summarize one VM run (run.sh).  RESULTS holds the guest's TAP-like lines
#   ok NAME | not ok NAME # reason | skip NAME # reason | # comment
# and the init's "ULS-VM-DONE rc=N".  Prints every "not ok" line and, as the
# last line, "N passed, N failed".  Besides the guest's own tests it counts:
#   - a failure if ULS-VM-DONE is missing (the guest crashed or hung);
#   - a failure if /guest/run exited non-zero without any "not ok" line;
#   - the check "kernel log clean" on DMESG (fails if DMESG is empty).
# Exit status 0 iff nothing failed.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 RESULTS DMESG" >&2
	exit 2
fi
results=$1
dmesg=$2

# Kernel log lines that fail the run. Reports, not banners: a debug kernel
# (tests/debug) says at boot "RCU lockdep checking is enabled", "kasan:
# KernelAddressSanitizer initialized", "kmemleak: ... initialized".
# KASAN, lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_LIST and DEBUG_OBJECTS reports
# start with "BUG:" or "WARNING:"; the others below are lockdep or kmemleak
# giving up (nothing is checked from then on) and kmemleak's leak reports.
bad='WARNING:|BUG:|Oops|Call Trace|rcu_sched self-detected stall|rcu: INFO:'
bad="$bad|INFO: .*detected stall|INFO: task .* blocked for more than"
bad="$bad|possible circular locking|inconsistent lock state|suspicious RCU usage"
bad="$bad|lockdep is turned off|turning off the locking correctness validator"
bad="$bad|kernel BUG|general protection fault|KASAN:|UBSAN"
bad="$bad|kmemleak: [0-9]+ new suspected memory leak|unreferenced object"
bad="$bad|kmemleak: .*(disabled|Cannot|empty|exceeded|Failed)"

res=$(mktemp)
trap 'rm -f "$res"' EXIT
# Serial output may carry "\r".
if [ -r "$results" ]; then
	tr -d '\r' < "$results" > "$res"
fi

grep '^not ok ' "$res" || true
passed=$(grep -c '^ok ' "$res" || true)
failed=$(grep -c '^not ok ' "$res" || true)
skipped=$(grep -c '^skip ' "$res" || true)

done_line=$(grep -E '^ULS-VM-DONE rc=[0-9]+$' "$res" | tail -n 1 || true)
if [ -z "$done_line" ]; then
	echo "not ok vm finished # no ULS-VM-DONE line: the guest crashed or hung (see the console log)"
	failed=$((failed + 1))
else
	rc=${done_line#ULS-VM-DONE rc=}
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		echo "not ok guest run status # /guest/run exited with status $rc"
		failed=$((failed + 1))
	fi
fi

if [ ! -s "$dmesg" ]; then
	echo "not ok kernel log clean # $dmesg is empty or missing"
	failed=$((failed + 1))
elif lines=$(tr -d '\r' < "$dmesg" | grep -E "$bad"); then
	echo "not ok kernel log clean # offending lines:"
	printf '%s\n' "$lines" | sed 's/^/#   /'
	failed=$((failed + 1))
else
	echo "ok kernel log clean"
	passed=$((passed + 1))
fi

[ "$skipped" -eq 0 ] || echo "# $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
