/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TLD benchmark's program, for key_get_vs_tld: included by
 * bench_tld_uls.bpf.c after uls's tld.bpf.h, and by
 * bench_tld_upstream.bpf.c after upstream's task_local_data.bpf.h, so
 * that the two are one program, compiled alike, in two objects (their
 * headers define the same names). As in bench.bpf.c, it runs `iters`
 * times in a bpf_loop() inside one tp_btf/sys_enter program when the
 * benchmark thread calls getppid(), and times the whole loop. Each
 * iteration does what a scheduler does per event: tld_object_init() for
 * the task, then tld_get_data() of one TLD by name, its key cached in
 * struct tld_keys.
 */
#include <bpf/bpf_tracing.h>
#include "bench.h"

char LICENSE[] SEC("license") = "GPL";

#define NR_getppid 110	/* x86_64 */

struct tld_keys {
	tld_key_t val;
};

int bench_tid;
__u32 mode;
__u32 iters;
__u64 user_addr;	/* unused: bench.c's harness sets it */

__u64 elapsed_ns;
__u64 sum;
__u64 runs;
__u64 misses;		/* lookups that found nothing: a broken setup */

struct loop_ctx {
	__u64 sum;
	__u64 misses;
};

static int cb_empty(__u32 i, struct loop_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();

	barrier_var(t);
	c->sum++;
	return 0;
}

static int cb_tld(__u32 i, struct loop_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct tld_object obj;
	__u64 *p;

	if (tld_object_init(t, &obj)) {
		c->misses++;
		return 0;
	}
	p = tld_get_data(&obj, val, BENCH_TLD_NAME, sizeof(__u64));
	if (p)
		c->sum += *p;
	else
		c->misses++;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(bench_tld, struct pt_regs *regs, long id)
{
	struct loop_ctx c = {};
	__u32 n = iters;
	__u64 t0;

	if (id != NR_getppid || (__u32)bpf_get_current_pid_tgid() != bench_tid)
		return 0;
	t0 = bpf_ktime_get_ns();
	switch (mode) {
	case BENCH_EMPTY:
		bpf_loop(n, cb_empty, &c, 0);
		break;
	case BENCH_TLD:
		bpf_loop(n, cb_tld, &c, 0);
		break;
	default:
		return 0;
	}
	elapsed_ns = bpf_ktime_get_ns() - t0;
	sum += c.sum;
	misses += c.misses;
	runs++;
	return 0;
}
