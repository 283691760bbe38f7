// SPDX-License-Identifier: GPL-2.0
/*
 * Task pointers reached by walking memory, which a 6.1 verifier passes to
 * the kfuncs as they are: they may be NULL, or point at a task that has
 * exited. The kfuncs must answer "nothing" for them, not oops.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "uls.bpf.h"
#include "probe.h"

char LICENSE[] SEC("license") = "GPL";

/* pi_top_task is NULL unless the task boosts a PI mutex owner. */
SEC("syscall")
int walk_null(struct probe_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf()->pi_top_task;

	c->len = bpf_uls_len(t);
	c->found = !!bpf_uls_get(t, 8) || !!bpf_uls_get_at(t, 0, 8);
	return 0;
}

/* last_wakee holds no reference: it may be any task, alive or gone. */
SEC("syscall")
int walk_last_wakee(struct probe_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf()->last_wakee;

	c->len = bpf_uls_len(t);
	return 0;
}
