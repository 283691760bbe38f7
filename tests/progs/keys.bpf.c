// SPDX-License-Identifier: GPL-2.0
/*
 * Keys looked up by name (uls_key_get()), from a SYSCALL program that a
 * test runs in its thread, and from three hooks that count into the
 * calling thread's keys: a tracepoint, an fentry and an LSM program.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "keys.h"

char LICENSE[] SEC("license") = "GPL";

#define NR_getppid 110	/* x86_64 */

int target_tgid;

struct keys_big {
	__u64 first;
	__u64 rest[7];
};

SEC("syscall")
int keys_rw(struct keys_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct keys_big *b;
	__u64 *a, *k;

	c->found = 0;
	a = uls_key_get_type(t, "keys.a", __u64);
	if (a) {
		c->found |= KEYS_A;
		c->a = *a;
		if (c->store)
			*a += c->value;
	}
	b = uls_key_get_type(t, "keys.b", struct keys_big);
	if (b) {
		c->found |= KEYS_B;
		c->b = b->first;
		if (c->store)
			b->first += c->value;
	}
	k = uls_key_get_type(t, "keys.c", __u64);
	if (k) {
		c->found |= KEYS_C;
		c->c = *k;
		if (c->store)
			__sync_fetch_and_add(k, c->value);
	}
	if (uls_key_get(t, "keys.a", 16))
		c->found |= KEYS_A_16;
	if (uls_key_get(t, "keys.absent", 8))
		c->found |= KEYS_ABSENT;
	return 0;
}

/* Atomics: the data is 8-byte aligned. */
static __always_inline void count(struct task_struct *t, __u64 *n)
{
	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(keys_tp, struct pt_regs *regs, long id)
{
	struct task_struct *t = bpf_get_current_task_btf();

	if (id != NR_getppid || t->tgid != target_tgid)
		return 0;
	count(t, uls_key_get_type(t, "keys.tp", __u64));
	return 0;
}

SEC("fentry/__x64_sys_getpgid")
int BPF_PROG(keys_fentry, const struct pt_regs *regs)
{
	struct task_struct *t = bpf_get_current_task_btf();

	if (t->tgid == target_tgid)
		count(t, uls_key_get_type(t, "keys.fentry", __u64));
	return 0;
}

SEC("lsm/file_ioctl")
int BPF_PROG(keys_lsm, struct file *file, unsigned int cmd, unsigned long arg)
{
	struct task_struct *t = bpf_get_current_task_btf();

	if (cmd == KEYS_LSM_IOCTL_CMD && t->tgid == target_tgid)
		count(t, uls_key_get_type(t, "keys.lsm", __u64));
	return 0;
}
