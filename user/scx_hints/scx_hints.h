/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by scx_hints.bpf.c and its loader, scx_hints.c: the counters the
 * scheduler keeps, which the loader prints once a second.
 */
#ifndef SCX_HINTS_H
#define SCX_HINTS_H

#include <uls/hint.h>

/* Index of the per-class counters: the hint's own class values. */
#define SCX_HINTS_NR_CLASSES	ULS_HINT_NR_CLASSES

/* The dispatch queues, one per class. */
enum scx_hints_dsq {
	SCX_HINTS_DSQ_LC = 1,		/* FIFO */
	SCX_HINTS_DSQ_NORMAL = 2,	/* vtime */
	SCX_HINTS_DSQ_BG = 3,		/* FIFO, so its head waited longest */
};

/* The most CPUs the scheduler tracks; more than that: it refuses to load. */
#define SCX_HINTS_MAX_CPUS	512

#define SCX_HINTS_WAIT_BUCKETS	6

enum scx_hints_lc_place {
	SCX_HINTS_LC_IDLE,	/* an idle CPU */
	SCX_HINTS_LC_HERE,	/* the CPU that queues it (the waker's): no IPI */
	SCX_HINTS_LC_REMOTE,	/* another CPU, preempted by IPI */
	SCX_HINTS_LC_QUEUED,	/* the latency-critical queue: no CPU to take */
	SCX_HINTS_LC_NR_PLACES,
};

struct scx_hints_stats {
	/* Per class, as the thread was queued (after the cap). */
	__u64 queued[SCX_HINTS_NR_CLASSES];	/* tasks put on a queue */
	__u64 direct[SCX_HINTS_NR_CLASSES];	/* sent straight to an idle CPU */
	__u64 preempts[SCX_HINTS_NR_CLASSES];	/* CPUs kicked for one */
	__u64 max_wait_ns[SCX_HINTS_NR_CLASSES]; /* queued to running; reset by the loader */
	__u64 runs[SCX_HINTS_NR_CLASSES];	/* ops.running */

	/* Per read of a hint (select_cpu, enqueue): */
	__u64 no_hint;		/* none: no key, or no region */
	__u64 garbage;		/* an unknown class or nice: read as normal */
	__u64 capped;		/* latency-critical queued as normal: over the cap */
	__u64 bg_starved;	/* background served ahead, after waiting too long */
	__u64 tld_agree;	/* ops.running: the TLD read gave the native hint */
	__u64 tld_disagree;	/* ...and where it did not */
	/*
	 * Latency-critical threads' waits, queued to running, by bucket:
	 * below 50 us, 200 us, 1 ms, 2 ms, 4 ms (a tick at HZ=250), and above.
	 */
	__u64 lc_wait_hist[SCX_HINTS_WAIT_BUCKETS];
	/*
	 * Where enqueue put a latency-critical thread (enum scx_hints_lc_place):
	 * what the latency depends on, a kick to another CPU costing an IPI.
	 */
	__u64 lc_placed[SCX_HINTS_LC_NR_PLACES];
	/*
	 * A thread that stopped runnable with slice left: a higher class (RT,
	 * deadline, stop) took its CPU, and it waits at the head of the CPU's
	 * local queue.
	 */
	__u64 class_preempted;
};

#endif /* SCX_HINTS_H */
