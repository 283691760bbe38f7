// SPDX-License-Identifier: GPL-2.0
/*
 * Readers and writers for the stress test: on every context switch (both
 * tasks), on every syscall entry and in a sleepable LSM program, on every
 * CPU, store into whatever region the task has registered, while the test
 * registers, replaces, unregisters, exits and execs as fast as it can.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "stress.h"

char LICENSE[] SEC("license") = "GPL";

__u64 switch_hits, sys_hits, lsm_hits;
/*
 * bpf_uls_len() of every task leaving a CPU, as its registration may be
 * ending: it must never exceed the module's max_len (the test sets the
 * limit), whatever the timing of an exit.
 */
__u64 len_limit = ~0ULL, len_over_limit, len_seen;

static __always_inline int stress_touch(struct task_struct *t)
{
	u64 *p = bpf_uls_get(t, STRESS_HEAD);

	if (!p)
		return 0;
	p[0] = STRESS_MARK;
	__sync_fetch_and_add(&p[1], 1);
	return 1;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(stress_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	int n = stress_touch(prev) + stress_touch(next);
	u64 len = bpf_uls_len(prev);

	if (len)
		__sync_fetch_and_add(&len_seen, 1);
	if (len > len_limit)
		__sync_fetch_and_add(&len_over_limit, 1);
	if (n)
		__sync_fetch_and_add(&switch_hits, n);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(stress_sys_enter, struct pt_regs *regs, long id)
{
	if (stress_touch(bpf_get_current_task_btf()))
		__sync_fetch_and_add(&sys_hits, 1);
	return 0;
}

SEC("lsm.s/file_ioctl")
int BPF_PROG(stress_sleepable, struct file *file, unsigned int cmd,
	     unsigned long arg)
{
	struct task_struct *t = bpf_get_current_task_btf();
	u64 *p, v;

	if (cmd != STRESS_IOCTL_CMD)
		return 0;
	p = bpf_uls_get(t, STRESS_HEAD);
	if (!p)
		return 0;
	p[0] = STRESS_MARK;
	/* Sleep (fault) with the pointer held: RCU-tasks-trace keeps it. */
	bpf_copy_from_user(&v, sizeof(v), (void *)arg);
	__sync_fetch_and_add(&p[1], 1);
	__sync_fetch_and_add(&lsm_hits, 1);
	return 0;
}
