# SPDX-License-Identifier: GPL-2.0
#
# Sourced by tests/bench/bench.sh and trace.sh, whose arguments are
# OUT_DIR [OPTION]... KVER BUILD_DIR: takes OUT_DIR off "$@" (the rest is
# for tests/vm/boot.sh), and sets out, kver, build, top (the tree) and
# work (boot.sh's directory for KVER). Usage: the lines 4-5 of the script.

usage() {
	sed -n '4,5s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

[ $# -ge 3 ] || usage
out=$1
shift
kver=${*: -2:1}
build=${*: -1}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/vm-$kver
