// SPDX-License-Identifier: GPL-2.0
/*
 * Lookups from sched_switch, on both tasks: whichever thread is switched
 * in or out, BPF finds that thread's own region and no other.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "switch_count.h"

char LICENSE[] SEC("license") = "GPL";

int watch_tgid;			/* only threads of this process count */
__u64 unregistered_null;		/* lookups on its unregistered threads */
__u64 unregistered_found;		/* ... that wrongly found something */

static __always_inline void sw_count(struct task_struct *t, bool out)
{
	struct sw_area *a;

	if (t->tgid != watch_tgid)
		return;
	a = uls_get(t, struct sw_area);
	if (!a) {
		__sync_fetch_and_add(&unregistered_null, 1);
		return;
	}
	if (a->magic != SW_MAGIC) {
		__sync_fetch_and_add(&unregistered_found, 1);
		return;
	}
	if (out) {
		__sync_fetch_and_add(&a->switched_out, 1);
		a->last_pid_out = t->pid;
	} else {
		__sync_fetch_and_add(&a->switched_in, 1);
		a->last_pid_in = t->pid;
	}
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sw_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	sw_count(prev, true);
	sw_count(next, false);
	return 0;
}
