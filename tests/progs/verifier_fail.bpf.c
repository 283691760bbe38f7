// SPDX-License-Identifier: GPL-2.0
/*
 * Programs the verifier must refuse, each tagged with the verifier's
 * reason (test_tags.h): test_verifier.c loads each on its own and checks
 * its log. The messages are the kernel's own.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "probe.h"
#include "test_tags.h"

char LICENSE[] SEC("license") = "GPL";

/* The kfunc may return NULL: dereferencing unchecked is refused. */
SEC("syscall")
__failure __msg("invalid mem access '{{(rdwr_)?}}mem_or_null'")
int missing_null_check(struct probe_ctx *c)
{
	u64 *p = bpf_uls_get(bpf_get_current_task_btf(), 8);

	c->value = *p;
	return 0;
}

/* Only the requested 8 bytes may be touched. */
SEC("syscall")
__failure __msg("invalid access to memory, mem_size=8 off=8 size=8")
int access_past_size(struct probe_ctx *c)
{
	u64 *p = bpf_uls_get(bpf_get_current_task_btf(), 8);

	if (p)
		c->value = p[1];
	return 0;
}

/* The size must be known to the verifier. */
SEC("syscall")
__failure __msg("{{R2 is not a const|must be a known constant}}")
int nonconst_size(struct probe_ctx *c)
{
	u64 *p = bpf_uls_get(bpf_get_current_task_btf(), c->len);

	if (p)
		c->value = *p;
	return 0;
}

/* kprobe programs are not among the program types the kfuncs serve. */
SEC("kprobe/do_nanosleep")
__failure __msg("calling kernel function bpf_uls_get is not allowed")
int kprobe_refused(struct pt_regs *ctx)
{
	u64 *p = bpf_uls_get(bpf_get_current_task_btf(), 8);

	return p ? 1 : 0;
}

/* The size is also checked against the access at a runtime offset. */
SEC("syscall")
__failure __msg("invalid access to memory, mem_size=4 off=0 size=8")
int get_at_past_size(struct probe_ctx *c)
{
	u64 *p = bpf_uls_get_at(bpf_get_current_task_btf(), c->offset, 4);

	if (p)
		c->value = *p;
	return 0;
}

/* A keyed lookup gives exactly the key's size, as bpf_uls_get() does. */
SEC("syscall")
__failure __msg("invalid access to memory, mem_size=8 off=8 size=8")
int key_get_past_size(struct probe_ctx *c)
{
	u64 *p = uls_key_get(bpf_get_current_task_btf(), "verifier.k", 8);

	if (p)
		c->value = p[1];
	return 0;
}

/* The module writes the cache: a read-only one is refused. */
const volatile __u64 ro_cache[4];

SEC("syscall")
__failure __msg("write into map forbidden")
int key_get_readonly_cache(struct probe_ctx *c)
{
	u64 *p = bpf_uls_key_get(bpf_get_current_task_btf(), (void *)ro_cache,
				 sizeof(ro_cache), uls_key_hash("verifier.k"),
				 8);

	if (p)
		c->value = *p;
	return 0;
}

/* A user address made a kernel pointer may be NULL, as any other. */
SEC("syscall")
__failure __msg("invalid mem access '{{(rdwr_)?}}mem_or_null'")
int from_user_missing_null_check(struct probe_ctx *c)
{
	u64 *p = bpf_uls_from_user(bpf_get_current_task_btf(), c->offset, 8);

	c->value = *p;
	return 0;
}

/* It gives exactly the requested bytes, whatever the region holds. */
SEC("syscall")
__failure __msg("invalid access to memory, mem_size=16 off=16 size=8")
int from_user_past_size(struct probe_ctx *c)
{
	u64 *p = bpf_uls_from_user(bpf_get_current_task_btf(), c->offset, 16);

	if (p)
		c->value = p[2];
	return 0;
}

/* Nor before them. */
SEC("syscall")
__failure __msg("invalid access to memory, mem_size=8 off=-8 size=8")
int from_user_before_start(struct probe_ctx *c)
{
	u64 *p = bpf_uls_from_user(bpf_get_current_task_btf(), c->offset, 8);

	if (p)
		c->value = p[-1];
	return 0;
}

/* The size must be known to the verifier. */
SEC("syscall")
__failure __msg("{{R3 is not a const|must be a known constant}}")
int from_user_nonconst_size(struct probe_ctx *c)
{
	u64 *p = bpf_uls_from_user(bpf_get_current_task_btf(), c->offset,
				   c->len);

	if (p)
		c->value = *p;
	return 0;
}

/* The user base is a number: a program cannot load through it. */
SEC("syscall")
__failure __msg("R{{[0-9]}} invalid mem access 'scalar'")
int user_base_not_a_pointer(struct probe_ctx *c)
{
	c->value = *(u64 *)bpf_uls_user_base(bpf_get_current_task_btf());
	return 0;
}
