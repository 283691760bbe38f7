// SPDX-License-Identifier: GPL-2.0
/*
 * Round trips between a thread and BPF programs on three kinds of hooks:
 * each program loads what the thread stored and stores a value derived
 * from it, which the thread then loads.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "roundtrip.h"

char LICENSE[] SEC("license") = "GPL";

#define NR_getppid 110	/* x86_64 */

int target_tid;
__u64 seen_from_user;
__u64 null_lookups;

static __always_inline int rt_touch(struct task_struct *t, u64 hook)
{
	struct rt_area *a;

	if (t->pid != target_tid)
		return 0;
	a = uls_get(t, struct rt_area);
	if (!a) {
		__sync_fetch_and_add(&null_lookups, 1);
		return 0;
	}
	seen_from_user = a->from_user;
	a->from_bpf = a->from_user * 3 + 1;
	a->hook = hook;
	a->bpf_runs++;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(rt_sys_enter, struct pt_regs *regs, long id)
{
	if (id != NR_getppid)
		return 0;
	return rt_touch(bpf_get_current_task_btf(), RT_HOOK_SYS_ENTER);
}

/* getppid's wrapper is not in every kernel's BTF; getpgid's is. */
SEC("fentry/__x64_sys_getpgid")
int BPF_PROG(rt_fentry, const struct pt_regs *regs)
{
	return rt_touch(bpf_get_current_task_btf(), RT_HOOK_FENTRY);
}

SEC("lsm/file_ioctl")
int BPF_PROG(rt_lsm, struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd == RT_LSM_IOCTL_CMD)
		rt_touch(bpf_get_current_task_btf(), RT_HOOK_LSM);
	return 0;
}
