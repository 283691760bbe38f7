#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# summarize.sh RESULTS DMESG
#
# Summarize one VM run (tests/check.sh).  RESULTS holds the host's result
# lines (boot.sh: "ok NAME", "not ok NAME # why"), then the guest's TAP stream
# (tests/guest/run-check) and the init's "ULS-VM-DONE rc=N".  Besides them
# it counts:
#   - a failure if ULS-VM-DONE is missing (the guest crashed or hung);
#   - a failure if /guest/run exited non-zero without any "not ok" line;
#   - the check "kernel log clean" on DMESG (fails if DMESG is empty).
# It joins all of them into one TAP stream (tap-join), written next to
# RESULTS with the ending .tap (all.results: all.tap), and prints its
# "not ok" lines with their diagnostics, then as the last line
# "N passed, N failed" (skipped tests count in neither).
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

here=$(cd "$(dirname "$0")" && pwd)
tap=${results%.results}.tap
[ "$tap" != "$results" ] || tap=$results.tap
checks=$(mktemp)
trap 'rm -f "$checks"' EXIT

# Serial output may carry "\r".
done_line=$(tr -d '\r' < "$results" 2>/dev/null |
	    grep -E '^ULS-VM-DONE rc=[0-9]+$' | tail -n 1 || true)
if [ -z "$done_line" ]; then
	echo "not ok vm finished # no ULS-VM-DONE line: the guest crashed or hung (see the console log)" >> "$checks"
else
	rc=${done_line#ULS-VM-DONE rc=}
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$results"; then
		echo "not ok guest run status # /guest/run exited with status $rc" >> "$checks"
	fi
fi

if [ ! -s "$dmesg" ]; then
	echo "not ok kernel log clean # $dmesg is empty or missing" >> "$checks"
elif lines=$(tr -d '\r' < "$dmesg" | grep -E "$bad"); then
	echo "not ok kernel log clean # offending lines:" >> "$checks"
	printf '%s\n' "$lines" | sed 's/^/#   /' >> "$checks"
else
	echo "ok kernel log clean" >> "$checks"
fi

{ [ -r "$results" ] && grep -v '^ULS-VM-DONE' "$results"; cat "$checks"; } |
	"$here/tap-join" > "$tap"

# The failures, each with the diagnostics below it.
awk '/^not ok / { shown = 1; print; next }
     shown && /^#/ { print; next }
     { shown = 0 }' "$tap"
passed=$(grep -c '^ok ' "$tap" || true)
skipped=$(grep -c '^ok .* # [Ss][Kk][Ii][Pp]' "$tap" || true)
failed=$(grep -c '^not ok ' "$tap" || true)
passed=$((passed - skipped))

[ "$skipped" -eq 0 ] || echo "# $skipped skipped"
echo "# TAP: $tap"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
