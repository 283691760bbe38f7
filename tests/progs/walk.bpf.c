// SPDX-License-Identifier: GPL-2.0
/*
 * Task pointers reached by walking memory. From 6.2 the kfuncs take
 * KF_RCU task arguments, and the verifier refuses pointers like these
 * outright (MEM_RCU, in the kernel's BTF, marks those kernels). A 6.1
 * verifier passes them to the kfuncs as they are: they may be NULL, or
 * point at a task that has exited, and the kfuncs must answer "nothing",
 * not oops; test_kfunc.c runs them there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "uls.bpf.h"
#include "probe.h"
#include "test_tags.h"

char LICENSE[] SEC("license") = "GPL";

/* pi_top_task is NULL unless the task boosts a PI mutex owner. */
SEC("syscall")
__failure_if_btf_enum("bpf_type_flag", "MEM_RCU")
__msg("{{must be a rcu pointer|must be referenced or trusted}}")
int walk_null(struct probe_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf()->pi_top_task;

	c->len = bpf_uls_len(t);
	c->found = !!bpf_uls_get(t, 8) || !!bpf_uls_get_at(t, 0, 8);
	return 0;
}

/* last_wakee holds no reference: it may be any task, alive or gone. */
SEC("syscall")
__failure_if_btf_enum("bpf_type_flag", "MEM_RCU")
__msg("{{must be a rcu pointer|must be referenced or trusted}}")
int walk_last_wakee(struct probe_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf()->last_wakee;

	c->len = bpf_uls_len(t);
	return 0;
}

/* The same NULL task, for the kfuncs of pointers valid on both sides. */
SEC("syscall")
__failure_if_btf_enum("bpf_type_flag", "MEM_RCU")
__msg("{{must be a rcu pointer|must be referenced or trusted}}")
int walk_null_ptr(struct probe_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf()->pi_top_task;

	c->len = bpf_uls_user_base(t);
	c->found = !!bpf_uls_from_user(t, c->offset, 8);
	return 0;
}
