/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The scheduler-event feed: what bpf/sched_events.bpf.c keeps, for every
 * thread that has the key ULS_SCHED_EVENTS_KEY, in that thread's own
 * memory. Both sides include this file.
 *
 * The feed is turned on system-wide by `ulsctl events enable`. A thread
 * gets its struct from libuls (uls_sched_events() in uls.h), which creates
 * the key and registers it: no privilege, no bpf(). From then on the
 * thread reads it with plain loads.
 *
 * Writers: only the feed's programs, on sched_switch (for the task
 * switched out and the one switched in) and sched_migrate_task. For one
 * task these never run at once: the task is switched out on one CPU
 * before it can be switched in on another, and it is migrated only while
 * it runs nowhere, under the runqueue locks the switch also holds.
 *
 * Readers: @seq is odd while an event is being written, and grows by two
 * with each event. A reader that wants several fields that agree reads
 * @seq, the fields, then @seq again, and retries if it changed or was odd
 * (uls_sched_events_read() does that). A reader that wants one field, as
 * an adaptive mutex wants @on_cpu, loads it alone.
 *
 * Liveness: @feed is the generation of the feed that wrote the struct
 * last, never 0. `ulsctl events disable` writes 0 into every thread's
 * @feed after the programs are gone, and a struct that no feed has
 * written yet is 0 too, so @feed == 0 means: the feed is off, the other
 * fields are history and @on_cpu means nothing. When the feed is turned
 * on, a thread's struct comes alive at the thread's next switch.
 *
 * The counts agree with the kernel's own (see the fields); they count
 * from the thread's first use of the key, or from the first event after
 * the feed was turned on, whichever is later.
 */
#ifndef _ULS_SCHED_EVENTS_H
#define _ULS_SCHED_EVENTS_H

#if !defined(__bpf__) && !defined(__KERNEL__)
#include <linux/types.h>
#endif

/* The key's name and size: a library asking with another size gets EEXIST. */
#define ULS_SCHED_EVENTS_KEY	"uls.sched_events"

struct uls_sched_events {
	/* What an adaptive mutex reads, in the first cache line. */
	__u32 seq;		/* odd while written; +2 per event */
	__u32 feed;		/* generation of the feed; 0: the feed is off */
	__u32 on_cpu;		/* 1 from switch-in to switch-out */
	__u32 cpu;		/* the CPU it runs on, or ran on last */

	__u64 switches_in;	/* times it got a CPU */
	__u64 switches_out;	/* times it left one: preemptions + blocks */
	/*
	 * Switched out still runnable: the kernel's nonvoluntary count
	 * (nivcsw, /proc/.../status nonvoluntary_ctxt_switches).
	 */
	__u64 preemptions;
	/* Switched out to wait: the kernel's voluntary count (nvcsw). */
	__u64 blocks;
	/* Moved to another CPU: the kernel's se.nr_migrations. */
	__u64 migrations;
	__u64 last_in_ns;	/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u64 last_out_ns;	/* at the last switch-in, and switch-out */

	__u64 __reserved[7];	/* zero: room for fields to come */
};

#endif /* _ULS_SCHED_EVENTS_H */
