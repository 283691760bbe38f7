#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# publish.sh RUN_DIR RESULTS_DIR
#
# make bench-publish: copy each kernel's results of the last make bench
# (RUN_DIR/KVER/, as bench.sh writes them) to RESULTS_DIR/KVER/, the files
# the README shows, in place of that kernel's earlier ones. A kernel the
# run did not measure keeps what it has. make bench itself never writes
# there, so that a run leaves the tree clean and only a run chosen on
# purpose replaces the published figures.
# Only complete runs are published: if any kernel's VM did not finish the
# benchmark ("ULS-VM-DONE rc=0" missing from its bench.results, another
# rc there, or a "not ok" line), nothing is copied. bench.results holds
# the lines of both VMs, uls_bench's and the mutex's (bench.sh), and
# their plots (ratios.png, mutex.png, ...) are in the same directory.
set -eu

usage() {
	sed -n '4s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

[ $# -eq 2 ] || usage
run=$1 results=$2

kvers=
for dir in "$run"/*/; do
	[ -d "$dir" ] || continue
	kver=$(basename "$dir")
	r=$run/$kver/bench.results
	if [ ! -f "$r" ]; then
		echo "publish: $kver: no $r: its report did not finish" >&2
		exit 1
	fi
	if grep -q '^not ok' "$r" || ! grep -q '^ULS-VM-DONE rc=0' "$r" ||
	   grep -q '^ULS-VM-DONE rc=[^0]' "$r" || grep -q '^ULS-VM-DONE rc=0.' "$r"; then
		echo "publish: $kver: the run in $run/$kver did not finish cleanly:" >&2
		grep -e '^not ok' -e '^ULS-VM-DONE' "$r" >&2 || true
		exit 1
	fi
	kvers="$kvers $kver"
done
if [ -z "$kvers" ]; then
	echo "publish: no results in $run: run make bench first" >&2
	exit 1
fi

for kver in $kvers; do
	rm -rf "${results:?}/$kver"
	mkdir -p "$results"
	cp -R "$run/$kver" "$results/$kver"
	echo "publish: $run/$kver -> $results/$kver"
done
echo "publish: now update the README's table of figures from them, and commit"
