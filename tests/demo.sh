#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh --root DIR [--kdir DIR] [--mem MB] [--timeout SEC]
#         [--append ARG]... KVER BUILD_DIR
#
# make demo on one kernel: boot KVER with the switch-count demo as the
# guest (tests/vm/boot.sh, whose options these are, with
# tests/guest/run-demo) and print the transcript it wrote. Exit status 0
# iff the demo ran to its end.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
# boot.sh checks the arguments, and says how to call it.
"$top/tests/vm/boot.sh" --guest run-demo "$@" || exit 1
results=${*: -1}/vm-${*: -2:1}/vm.results
grep -v '^ULS-VM-DONE' "$results" || true
grep -q '^ULS-VM-DONE rc=0' "$results"
