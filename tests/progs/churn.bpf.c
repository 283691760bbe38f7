// SPDX-License-Identifier: GPL-2.0
/*
 * Readers for the replace/unregister race: while the leader thread keeps
 * replacing and dropping its registration, every other thread of the
 * process stores into the leader's region on each syscall it makes, and
 * sched_switch does the same whenever a thread of the process switches.
 * A sleepable LSM program also sleeps between two stores through the same
 * pointer: only the RCU-tasks-trace grace period keeps that memory alive.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "churn.h"

char LICENSE[] SEC("license") = "GPL";

int watch_tgid;
__u64 hits;
__u64 nulls;
__u64 sleepable_hits;

static __always_inline void churn_touch(struct task_struct *t)
{
	u64 *p;

	if (t->tgid != watch_tgid)
		return;
	p = bpf_uls_get(t->group_leader, 16);
	if (!p) {
		__sync_fetch_and_add(&nulls, 1);
		return;
	}
	p[0] = CHURN_MARK;
	__sync_fetch_and_add(&p[1], 1);
	__sync_fetch_and_add(&hits, 1);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(churn_sys_enter, struct pt_regs *regs, long id)
{
	churn_touch(bpf_get_current_task_btf());
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(churn_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	churn_touch(prev);
	churn_touch(next);
	return 0;
}

SEC("lsm.s/file_ioctl")
int BPF_PROG(churn_sleepable, struct file *file, unsigned int cmd,
	     unsigned long arg)
{
	struct task_struct *t = bpf_get_current_task_btf();
	u64 *p, v;

	if (cmd != CHURN_IOCTL_CMD || t->tgid != watch_tgid)
		return 0;
	uls_rcu_read_lock();
	p = bpf_uls_get(t->group_leader, 16);
	uls_rcu_read_unlock();
	if (!p)
		return 0;
	p[0] = CHURN_MARK;
	/* arg points at a page the worker just dropped: this faults. */
	bpf_copy_from_user(&v, sizeof(v), (void *)arg);
	__sync_fetch_and_add(&p[1], 1);
	__sync_fetch_and_add(&sleepable_hits, 1);
	return 0;
}
