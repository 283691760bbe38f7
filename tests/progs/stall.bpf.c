// SPDX-License-Identifier: GPL-2.0
/*
 * A sleepable program that sleeps as long as the test wants: it faults on
 * a user page that a userfaultfd leaves unanswered. Until it returns, no
 * RCU Tasks Trace grace period ends, and so uls frees nothing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "stall.h"

char LICENSE[] SEC("license") = "GPL";

__u64 stalls, stores, no_region;

SEC("lsm.s/file_ioctl")
int BPF_PROG(stall_in_fault, struct file *file, unsigned int cmd,
	     unsigned long arg)
{
	u64 v;

	if (cmd != STALL_IOCTL_CMD)
		return 0;
	bpf_copy_from_user(&v, sizeof(v), (void *)arg);
	__sync_fetch_and_add(&stalls, 1);
	return 0;
}

/*
 * A program that fetched a region's pointer, then slept: by the time it
 * stores, the region may have ended and its memory have been reused.
 */
SEC("lsm.s/file_ioctl")
int BPF_PROG(stall_then_store, struct file *file, unsigned int cmd,
	     unsigned long arg)
{
	struct task_struct *leader;
	u64 *p, v;

	if (cmd != STALL_STORE_CMD)
		return 0;
	uls_rcu_read_lock();
	leader = bpf_get_current_task_btf()->group_leader;
	p = bpf_uls_get(leader, 8);
	uls_rcu_read_unlock();
	if (!p) {
		__sync_fetch_and_add(&no_region, 1);
		return 0;
	}
	bpf_copy_from_user(&v, sizeof(v), (void *)arg);
	*p = STALL_MARK;
	__sync_fetch_and_add(&stores, 1);
	return 0;
}
