#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh: make check-packages's tests in the VM, in the root the
# packages were installed in (vm-run chroots here). One line per test on
# $ULS_RESULTS, "ok NAME" or "not ok NAME # why", and before it what the
# test ran and printed, each line as "# ..." (the transcript).
set -u
cd /root/pkgtest || exit 1

out=/tmp/out
# t NAME CMD...: run CMD; ok when it exits 0.
t() {
	local name=$1 rc
	shift
	# The command on one line, however it was written.
	echo "# \$ $*" | tr -s '\n\t' '  ' >> "$ULS_RESULTS"
	echo >> "$ULS_RESULTS"
	"$@" > $out 2>&1
	rc=$?
	sed 's/^/# /' $out >> "$ULS_RESULTS"
	cat $out
	if [ $rc -eq 0 ]; then
		echo "ok $name" >> "$ULS_RESULTS"
	else
		echo "not ok $name # exit $rc" >> "$ULS_RESULTS"
	fi
	return $rc
}

# check NAME WHY CONDITION...: ok when the condition (a command) holds.
check() {
	local name=$1 why=$2
	shift 2
	if "$@" > /dev/null 2>&1; then
		echo "ok $name" >> "$ULS_RESULTS"
	else
		echo "not ok $name # $why" >> "$ULS_RESULTS"
	fi
}

kver=$(uname -r)
# As at boot, from modules-load.d: modprobe finds the module DKMS put in
# the root's /lib/modules/KVER/updates/dkms.
t modprobe_uls modprobe "$(grep -v '^#' /usr/lib/modules-load.d/uls.conf)"
t modinfo_uls_from_dkms sh -c "modinfo -n uls | grep -x '/lib/modules/$kver/updates/dkms/uls.ko.*'"
check dev_uls "no /dev/uls" test -c /dev/uls

t ulsctl_version ulsctl -V
t ulsctl_json_stats sh -c 'ulsctl -j stats > /tmp/stats.json && cat /tmp/stats.json &&
	python3 -c "import json, sys; json.load(open(\"/tmp/stats.json\"))"'
t ulsctl_status ulsctl status

t consumer_c consumer/consumer-c
t consumer_cxx consumer/consumer-cxx

# start NAME CMD...: CMD in the background, once it has printed "NAME:
# ready"; its pid in $bg.
start() {
	local name=$1 _
	shift
	"$@" > "/tmp/$name.out" 2>&1 &
	bg=$!
	for _ in $(seq 100); do
		grep -q "ready" "/tmp/$name.out" && return 0
		sleep 0.1
	done
	cat "/tmp/$name.out"
	return 1
}

if start consumer-c consumer/consumer-c 8; then
	c=$bg
	if start consumer-cxx consumer/consumer-cxx 8; then
		cxx=$bg
		t keyread_c_key sh -c "consumer/keyread $c pkgtest.c 16 | tee /tmp/kr &&
			grep -q '\"hello from C\"' /tmp/kr"
		t keyread_cxx_key sh -c "consumer/keyread $cxx pkgtest.cxx 32 | tee /tmp/kr &&
			grep -q '\"hello from C++\"' /tmp/kr"
		t ulsctl_list sh -c "ulsctl list | tee /tmp/list && grep -qw $c /tmp/list &&
			grep -qw $cxx /tmp/list"
		# The keys by name, read from the owners' memory (key_layout.h).
		check ulsctl_list_key_names "ulsctl list does not name pkgtest.c and pkgtest.cxx" \
			sh -c "grep -qw 'pkgtest[.]c' /tmp/list && grep -qw 'pkgtest[.]cxx' /tmp/list"
		t ulsctl_json_list ulsctl -j list
		wait "$cxx"
		check consumer_cxx_held "consumer-cxx with 8 s failed" grep -q "consumer-cxx: ok" /tmp/consumer-cxx.out
	else
		echo "not ok keyread_cxx_key # consumer-cxx did not start" >> "$ULS_RESULTS"
	fi
	wait "$c"
	check consumer_c_held "consumer-c with 8 s failed" grep -q "consumer-c: ok" /tmp/consumer-c.out
else
	echo "not ok keyread_c_key # consumer-c did not start" >> "$ULS_RESULTS"
fi

# The scheduler-event feed, through ulsctl's BPF program, and
# uls-schedwatch watching it.
t ulsctl_events_enable ulsctl events enable
t uls_schedwatch uls-schedwatch 100
t ulsctl_events_disable ulsctl events disable

# The Python binding's tests, with the installed package.
# keyread lets them check that BPF sees what Python stores.
if [ -d python-tests ]; then
	t python_tests env ULS_KEYREAD=/root/pkgtest/consumer/keyread \
		python3 -m unittest discover -s python-tests -v
fi
exit 0
