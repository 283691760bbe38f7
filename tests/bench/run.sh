#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh BUILD_DIR LIST OUT_DIR
#
# make bench: run uls_bench in the VM of each kernel of LIST (lines
# "KVER ROOT NAME [OPTION...]", as tests/matrix/setup.sh writes them), one
# after the other, and write each kernel's results and plots under
# OUT_DIR/KVER/, in place of any earlier run's (make bench-publish copies
# them to bench/results/). Exit status 0 iff every kernel's run completed.
set -eu

if [ $# -ne 3 ]; then
	echo "usage: $0 BUILD_DIR LIST OUT_DIR" >&2
	exit 2
fi
build=$1
list=$2
out=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
rc=0
# OUT_DIR holds this run only: bench-publish publishes all it finds.
rm -rf "${out:?}"

while read -r kver root name opts; do
	[ -n "$kver" ] || continue
	echo "=== bench $name: $kver"
	# 10,000 threads want their kernel stacks; TCG wants time.
	# shellcheck disable=SC2086 # opts: words without blanks of their own
	"$top/tests/check.sh" --root "$root" $opts --mem 3072 --timeout 1800 \
		--bench "$out/$kver" "$kver" "$build" < /dev/null ||
		rc=1
done < "$list"
exit $rc
