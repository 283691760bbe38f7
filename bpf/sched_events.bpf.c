// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler-event feed: for every thread that has the key
 * ULS_SCHED_EVENTS_KEY, keep its struct uls_sched_events
 * (include/uls/sched_events.h) in its own memory. `ulsctl events enable`
 * loads this, attaches and pins the two programs on the tracepoints;
 * `ulsctl events disable` takes them away and runs the iterator below.
 *
 * Cost: one keyed lookup per event and per side. Threads without the key
 * (kernel threads, threads of other programs) cost that lookup, failed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include <uls/sched_events.h>

char LICENSE[] SEC("license") = "GPL";

/* Set by ulsctl before load: this feed's generation, never 0. */
const volatile __u32 feed_gen = 1;

/* Threads the iterator found with the key (ulsctl prints it). */
__u64 cleared;

/*
 * One call site, one lookup cache, for all the programs here: a
 * process's offset of the key found on one side serves the others.
 */
#ifndef WRITE_ONCE
#define WRITE_ONCE(x, val) ((*(volatile typeof(x) *)&(x)) = (val))
#endif

static __always_inline struct uls_sched_events *events_of(struct task_struct *t)
{
	return uls_key_get_type(t, ULS_SCHED_EVENTS_KEY, struct uls_sched_events);
}

/*
 * The seq protocol of sched_events.h. Forced odd first: the thread may
 * have written anything into its own memory, and an even seq would tell
 * readers the struct is complete while it is not. The compiler barriers
 * keep the stores in order; x86 keeps them so for other CPUs (TSO).
 */
static __always_inline __u32 events_begin(struct uls_sched_events *ev)
{
	__u32 seq = ev->seq | 1;

	WRITE_ONCE(ev->seq, seq);
	barrier();
	return seq;
}

static __always_inline void events_end(struct uls_sched_events *ev, __u32 seq)
{
	ev->feed = feed_gen;
	barrier();
	WRITE_ONCE(ev->seq, seq + 1);
}

/*
 * The kernel counts a switch as voluntary (nvcsw) when the task leaves to
 * wait: not preempted, and its state not TASK_RUNNING; as involuntary
 * (nivcsw) otherwise. @preempt alone says less: it is false for a thread
 * preempted on its way back to user space, which calls schedule() with
 * TASK_RUNNING.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(uls_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct uls_sched_events *ev;
	__u64 now = bpf_ktime_get_ns();
	__u32 seq;

	ev = events_of(prev);
	if (ev) {
		seq = events_begin(ev);
		ev->on_cpu = 0;
		ev->switches_out++;
		if (preempt || prev_state == 0)
			ev->preemptions++;
		else
			ev->blocks++;
		ev->last_out_ns = now;
		events_end(ev, seq);
	}
	ev = events_of(next);
	if (ev) {
		seq = events_begin(ev);
		ev->on_cpu = 1;
		ev->cpu = bpf_get_smp_processor_id();
		ev->switches_in++;
		ev->last_in_ns = now;
		events_end(ev, seq);
	}
	return 0;
}

/*
 * The kernel fires this for every CPU a task is set to, changed or not,
 * and counts se.nr_migrations only when it changes: so does this.
 */
SEC("tp_btf/sched_migrate_task")
int BPF_PROG(uls_sched_migrate, struct task_struct *p, int dest_cpu)
{
	struct uls_sched_events *ev;
	__u32 seq;

	if (p->thread_info.cpu == (__u32)dest_cpu)
		return 0;
	ev = events_of(p);
	if (ev) {
		seq = events_begin(ev);
		ev->migrations++;
		events_end(ev, seq);
	}
	return 0;
}

/*
 * Run by `ulsctl events disable` once the programs above are detached and
 * a grace period has passed, so that nothing writes the structs any more:
 * mark every thread's struct as the feed's no longer.
 */
SEC("iter/task")
int uls_sched_events_off(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct uls_sched_events *ev;

	if (!task)
		return 0;
	ev = events_of(task);
	if (ev) {
		WRITE_ONCE(ev->feed, 0);
		cleared++;
	}
	return 0;
}
