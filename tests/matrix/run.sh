#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh BUILD_DIR LIST
#
# Run tests/check.sh on each kernel of LIST (lines "KVER ROOT NAME [OPTION...]",
# as setup.sh writes them; the options are check.sh's), one after the other. Prints each kernel's
# failures and its line "KVER: N passed, N failed", then the total
# "N passed, N failed" as the last line. Exit status 0 iff nothing failed.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR LIST" >&2
	exit 2
fi
build=$1
list=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
total_pass=0 total_fail=0 lines= times=

while read -r kver root name opts; do
	[ -n "$kver" ] || continue
	log=$build/check-$kver.log
	mkdir -p "$build"
	echo "=== $name: $kver"
	start=$(date +%s)
	# shellcheck disable=SC2086 # opts: words without blanks of their own
	"$top/tests/check.sh" --root "$root" $opts "$kver" "$build" < /dev/null 2>&1 |
		tee "$log" || true
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	[ -n "$line" ] || line="0 passed, 1 failed"
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
