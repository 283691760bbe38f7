// SPDX-License-Identifier: GPL-2.0
/*
 * The lookups compared: each runs `iters` times in a bpf_loop() inside one
 * tp_btf/sys_enter program, when the benchmark thread calls getppid(), and
 * the program times the whole loop. Every callback gets the current task
 * the same way, so the empty loop's cost covers that too.
 *
 * bench_uptr.bpf.c is this program plus mainline's UPTR (6.13+), so that
 * where UPTR exists, all are measured in one and the same program.
 * bench_tld.bpf.h is the same harness around TLD's tld_object_init() and
 * tld_get_data(), built twice: on uls's tld.bpf.h and on upstream's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "bench.h"

char LICENSE[] SEC("license") = "GPL";

#define NR_getppid 110	/* x86_64 */

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bench_val);
} ts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct bench_val);
} by_pid SEC(".maps");

#ifdef BENCH_WITH_UPTR
#define __uptr __attribute__((btf_type_tag("uptr")))

/*
 * Keeps struct bench_val whole in BTF: the kernel sizes what a __uptr
 * points to from it, and a pointer alone leaves only a forward declaration.
 */
struct bench_val uptr_target_btf;

struct uptr_val {
	struct bench_val __uptr *area;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct uptr_val);
} uptr_map SEC(".maps");
#endif

int bench_tid;
__u32 mode;
__u32 iters;
__u64 user_addr;	/* the registered area, for bpf_probe_read_user() */

__u64 elapsed_ns;
__u64 sum;
__u64 runs;
__u64 misses;		/* lookups that found nothing: a broken setup */

struct loop_ctx {
	__u64 sum;
	__u64 misses;
	__u64 uaddr;
};

static int cb_empty(__u32 i, struct loop_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();

	barrier_var(t);
	c->sum++;
	return 0;
}

static int cb_uls_get(__u32 i, struct loop_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 *p = bpf_uls_get(t, sizeof(struct bench_val));

	if (p)
		c->sum += *p;
	else
		c->misses++;
	return 0;
}

/* A key of libuls found by name: resolved once, then cached. */
static int cb_key_get(__u32 i, struct loop_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 *p = uls_key_get(t, BENCH_KEY_NAME, sizeof(struct bench_val));

	if (p)
		c->sum += *p;
	else
		c->misses++;
	return 0;
}

static int cb_task_storage(__u32 i, struct loop_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct bench_val *v = bpf_task_storage_get(&ts, t, 0, 0);

	if (v)
		c->sum += v->x;
	else
		c->misses++;
	return 0;
}

static int cb_hash(__u32 i, struct loop_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 pid = t->pid;
	struct bench_val *v = bpf_map_lookup_elem(&by_pid, &pid);

	if (v)
		c->sum += v->x;
	else
		c->misses++;
	return 0;
}

static int cb_probe_read(__u32 i, struct loop_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 x;

	barrier_var(t);
	if (!bpf_probe_read_user(&x, sizeof(x), (void *)c->uaddr))
		c->sum += x;
	else
		c->misses++;
	return 0;
}

#ifdef BENCH_WITH_UPTR
/* UPTR: task storage, then load and NULL-check the __uptr. */
static int cb_uptr(__u32 i, struct loop_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct uptr_val *v = bpf_task_storage_get(&uptr_map, t, 0, 0);
	struct bench_val *a;

	if (v && (a = v->area))
		c->sum += a->x;
	else
		c->misses++;
	return 0;
}
#endif

SEC("tp_btf/sys_enter")
int BPF_PROG(bench_lookup, struct pt_regs *regs, long id)
{
	struct loop_ctx c = { .uaddr = user_addr };
	__u32 n = iters;
	__u64 t0;

	if (id != NR_getppid || (__u32)bpf_get_current_pid_tgid() != bench_tid)
		return 0;
	t0 = bpf_ktime_get_ns();
	switch (mode) {
	case BENCH_EMPTY:
		bpf_loop(n, cb_empty, &c, 0);
		break;
	case BENCH_ULS_GET:
		bpf_loop(n, cb_uls_get, &c, 0);
		break;
	case BENCH_KEY_GET:
		bpf_loop(n, cb_key_get, &c, 0);
		break;
	case BENCH_TASK_STORAGE:
		bpf_loop(n, cb_task_storage, &c, 0);
		break;
	case BENCH_HASH:
		bpf_loop(n, cb_hash, &c, 0);
		break;
	case BENCH_PROBE_READ:
		bpf_loop(n, cb_probe_read, &c, 0);
		break;
#ifdef BENCH_WITH_UPTR
	case BENCH_UPTR:
		bpf_loop(n, cb_uptr, &c, 0);
		break;
#endif
	default:
		return 0;
	}
	elapsed_ns = bpf_ktime_get_ns() - t0;
	sum += c.sum;
	misses += c.misses;
	runs++;
	return 0;
}
