// SPDX-License-Identifier: GPL-2.0
/*
 * Programs the verifier must refuse. Each is loaded on its own by
 * test_verifier.c, which checks the verifier's message.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "probe.h"

char LICENSE[] SEC("license") = "GPL";

/* The kfunc may return NULL: dereferencing unchecked is refused. */
SEC("syscall")
int no_null_check(struct probe_ctx *c)
{
	u64 *p = bpf_uls_get(bpf_get_current_task_btf(), 8);

	c->value = *p;
	return 0;
}

/* Only the requested 8 bytes may be touched. */
SEC("syscall")
int past_size(struct probe_ctx *c)
{
	u64 *p = bpf_uls_get(bpf_get_current_task_btf(), 8);

	if (p)
		c->value = p[1];
	return 0;
}

/* The size must be known to the verifier. */
SEC("syscall")
int nonconst_size(struct probe_ctx *c)
{
	u64 *p = bpf_uls_get(bpf_get_current_task_btf(), c->len);

	if (p)
		c->value = *p;
	return 0;
}

/* kprobe programs are not among the program types the kfuncs serve. */
SEC("kprobe/do_nanosleep")
int kprobe_prog(struct pt_regs *ctx)
{
	u64 *p = bpf_uls_get(bpf_get_current_task_btf(), 8);

	return p ? 1 : 0;
}

/* The size is also checked against the access at a runtime offset. */
SEC("syscall")
int get_at_past_size(struct probe_ctx *c)
{
	u64 *p = bpf_uls_get_at(bpf_get_current_task_btf(), c->offset, 4);

	if (p)
		c->value = *p;
	return 0;
}
