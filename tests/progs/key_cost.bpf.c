// SPDX-License-Identifier: GPL-2.0
/*
 * What a keyed lookup costs, in kfunc calls: fentry programs on the
 * module's kfuncs count the calls made by the threads of one process,
 * and a SYSCALL program looks up one key in the thread that runs it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "key_cost.h"

char LICENSE[] SEC("license") = "GPL";

int target_tgid;
__u64 calls;

static __always_inline void count_call(void)
{
	if (bpf_get_current_pid_tgid() >> 32 == target_tgid)
		__sync_fetch_and_add(&calls, 1);
}

SEC("fentry/bpf_uls_get")
int BPF_PROG(count_get)
{
	count_call();
	return 0;
}

SEC("fentry/bpf_uls_get_at")
int BPF_PROG(count_get_at)
{
	count_call();
	return 0;
}

SEC("fentry/bpf_uls_key_get")
int BPF_PROG(count_key_get)
{
	count_call();
	return 0;
}

SEC("syscall")
int cost_lookup(struct cost_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 *v = uls_key_get_type(t, COST_KEY, __u64);

	c->found = !!v;
	c->val = v ? *v : 0;
	return 0;
}
