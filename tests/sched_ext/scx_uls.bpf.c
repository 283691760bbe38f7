// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal sched_ext scheduler that uses uls: one global FIFO queue, as in
 * the kernel's scx_simple, and in ops.running it writes into the region of
 * the task being scheduled, when that task registered one (an area, or
 * a key, found by name). This is what a
 * scheduler that tells threads "you were scheduled / moved" does.
 *
 * Built against the tools/sched_ext headers of Debian's linux-source-7.2.
 */
#include <scx/common.bpf.h>
#include "uls.bpf.h"
#include "scx_uls.h"

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 0

const volatile u32 watch_tgid;

/* Runs of watch_tgid's threads, with and without a region. */
u64 hinted_runs;
u64 unhinted_runs;

UEI_DEFINE(uei);

void BPF_STRUCT_OPS(uls_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(uls_dispatch, s32 cpu, struct task_struct *prev)
{
	scx_bpf_dsq_move_to_local(SHARED_DSQ, 0);
}

void BPF_STRUCT_OPS(uls_running, struct task_struct *p)
{
	struct scx_uls_hint *h;

	if (p->tgid != watch_tgid)
		return;
	/*
	 * A thread with keys has its hint under a key; the others at the
	 * start of their area. The key first: a keyed region starts with
	 * its header, which uls_get() would overwrite.
	 */
	h = uls_key_get_type(p, SCX_ULS_KEY, struct scx_uls_hint);
	if (!h)
		h = uls_get(p, struct scx_uls_hint);
	if (!h) {
		__sync_fetch_and_add(&unhinted_runs, 1);
		return;
	}
	h->cpu = scx_bpf_task_cpu(p);
	h->magic = SCX_ULS_MAGIC;
	h->runs++;
	__sync_fetch_and_add(&hinted_runs, 1);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(uls_init)
{
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

void BPF_STRUCT_OPS(uls_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SCX_OPS_DEFINE(uls_ops,
	       .enqueue		= (void *)uls_enqueue,
	       .dispatch	= (void *)uls_dispatch,
	       .running		= (void *)uls_running,
	       .init		= (void *)uls_init,
	       .exit		= (void *)uls_exit,
	       .name		= "uls");
