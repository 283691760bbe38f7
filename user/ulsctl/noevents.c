// SPDX-License-Identifier: GPL-2.0
/*
 * ulsctl events, in a ulsctl built without the feed's BPF skeleton (no
 * clang or bpftool where it was built): the Makefile takes this file
 * instead of events.c, and says so when it does.
 */
#include "ulsctl.h"

int cmd_events(int argc, char **argv)
{
	return p_err("events: this ulsctl was built without the event feed (no clang/bpftool at build time)");
}
