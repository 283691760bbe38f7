// SPDX-License-Identifier: GPL-2.0
/*
 * SYSCALL programs that let a test see a thread's region exactly as a BPF
 * program does, on demand, in the thread's own context. They are sleepable,
 * so the leader, a walked pointer, is only passed under uls_rcu_read_lock().
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "uls.bpf.h"
#include "probe.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline struct task_struct *probe_task(struct probe_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return c->leader ? t->group_leader : t;
}

SEC("syscall")
int probe_len(struct probe_ctx *c)
{
	uls_rcu_read_lock();
	c->len = bpf_uls_len(probe_task(c));
	uls_rcu_read_unlock();
	return 0;
}

/* Load the u64 at @p into .value; store the old .value there if asked. */
static __always_inline int probe_access(struct probe_ctx *c, u64 *p)
{
	u64 old;

	c->found = !!p;
	if (!p)
		return 0;
	old = *p;
	if (c->store)
		*p = c->value;
	c->value = old;
	return 0;
}

/* The u64 at byte 0, through bpf_uls_get(). */
SEC("syscall")
int probe_get(struct probe_ctx *c)
{
	u64 *p;

	uls_rcu_read_lock();
	p = bpf_uls_get(probe_task(c), sizeof(u64));
	uls_rcu_read_unlock();
	return probe_access(c, p);
}

/* The u64 at byte .offset, through bpf_uls_get_at(). */
SEC("syscall")
int probe_get_at(struct probe_ctx *c)
{
	u64 *p;

	uls_rcu_read_lock();
	p = bpf_uls_get_at(probe_task(c), c->offset, sizeof(u64));
	uls_rcu_read_unlock();
	return probe_access(c, p);
}

/* Which constant sizes bpf_uls_get() grants for this thread's region. */
SEC("syscall")
int probe_sizes(struct probe_ctx *c)
{
	struct task_struct *t;
	u64 mask = 0;
	int i = 0;

	uls_rcu_read_lock();
	t = probe_task(c);

#define PROBE_ONE(sz)							\
	if (bpf_uls_get(t, sz))						\
		mask |= 1ULL << i;					\
	i++;
	PROBE_SIZES(PROBE_ONE)
#undef PROBE_ONE
	uls_rcu_read_unlock();
	c->sizes_ok = mask;
	return 0;
}
