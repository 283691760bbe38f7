/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by switchcount.bpf.c and user/examples/switchcount.c. */
#ifndef __SWITCHCOUNT_H
#define __SWITCHCOUNT_H

/*
 * Every registered thread's region is reached by every uls program on the
 * system, so the demo marks its own areas and the program leaves any other
 * layout alone.
 */
#define SWITCHCOUNT_MAGIC 0x5357434e54ULL	/* "SWCNT" */

/* The per-thread area: the thread sets magic, BPF counts. */
struct switchcount_area {
	__u64 magic;
	__u64 switched_in;	/* times the thread got a CPU */
	__u64 switched_out;	/* times it left one */
	__u64 preempted;	/* ... while it still wanted to run */
	__u64 migrated;		/* times it came back on another CPU */
	__u64 last_cpu;
};

#endif
