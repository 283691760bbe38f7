// SPDX-License-Identifier: GPL-2.0
/*
 * Pointers valid on both sides: a thread links requests in its region with
 * plain pointers (ptr_list.h); this program follows them with uls_ptr(),
 * answers each, and appends one of its own, linked with a user address
 * from uls_uptr(), which the thread then follows as it follows its own.
 * The walk is a bpf_loop(), which 6.1 has; bpf_for() it has not.
 *
 * ptr_probe and ptr_on_exit look at the kfuncs underneath, for the tests
 * of their bounds (test_ptr.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uls.bpf.h"
#include "ptr_list.h"

char LICENSE[] SEC("license") = "GPL";

#define PTR_WALK_MAX	1024
#define PTR_WALK_FOR_MAX	16

struct ptr_walk {
	struct task_struct *t;
	__u64 next;		/* the request to answer next, 0: none */
	__u64 last;		/* the one answered last, 0: none yet */
	__u64 sum;
	__u64 bad;
	__u32 walked;
	__s32 status;
};

/* One request: 1 stops the walk. */
static long walk_step(__u32 i, void *ctx)
{
	struct ptr_walk *w = ctx;
	struct ptr_req *r;

	if (!w->next)
		return 1;
	r = uls_ptr(w->t, w->next, struct ptr_req);
	if (!r) {
		/* Outside the region, straddling its end, or unaligned. */
		w->status = PTR_WALK_BAD_LINK;
		w->bad = w->next;
		return 1;
	}
	r->result = r->arg * 2 + r->id;
	w->sum += r->arg;
	w->walked++;
	w->last = w->next;
	w->next = r->next;
	return 0;
}

/*
 * A request of the program's own, at the spare room's start, linked after
 * the last one walked. The kernel pointer comes from the user address
 * that the links will hold: the program has that number, and the
 * verifier gives it none for a kernel pointer.
 */
static __always_inline int append(struct task_struct *t, struct ptr_req_list *l,
				  const struct ptr_walk *w,
				  struct ptr_walk_ctx *c)
{
	__u32 free = l->free, end = l->end;
	struct ptr_req *r;
	__u64 u;

	if (free > end || end - free < sizeof(*r))
		return PTR_WALK_FULL;
	u = uls_uptr(t, free);
	r = uls_ptr(t, u, struct ptr_req);
	if (!r) {
		/* The thread's offsets run past the region, or unaligned. */
		c->bad = u;
		return PTR_WALK_BAD_LINK;
	}
	r->next = 0;
	r->id = c->append;
	r->from_bpf = 1;
	r->arg = w->walked;
	r->result = w->sum;
	/*
	 * Whole before it is linked, for a thread that reads the list
	 * meanwhile (x86 keeps the order of stores; this, the compiler's).
	 */
	asm volatile("" ::: "memory");
	l->free = free + sizeof(*r);
	if (w->last) {
		r = uls_ptr(t, w->last, struct ptr_req);
		if (!r) {
			c->bad = w->last;
			return PTR_WALK_BAD_LINK;
		}
		r->next = u;
	} else {
		l->head = u;
	}
	c->appended = u;
	return PTR_WALK_OK;
}

/*
 * Walk the calling thread's list, at most .max requests, with bpf_loop()
 * (@loop) or a bounded loop; then append a request if asked.
 */
static __always_inline int walk_list(struct ptr_walk_ctx *c, bool loop)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct ptr_walk w = { .t = t };
	struct ptr_req_list *l = uls_get(t, struct ptr_req_list);
	__u32 max = c->max, i;

	c->walked = 0;
	c->sum = 0;
	c->appended = 0;
	c->bad = 0;
	if (!l) {
		c->status = PTR_WALK_NO_LIST;
		return 0;
	}
	w.next = l->head;
	if (loop) {
		bpf_loop(max < PTR_WALK_MAX ? max : PTR_WALK_MAX, walk_step,
			 &w, 0);
	} else {
		for (i = 0; i < PTR_WALK_FOR_MAX && i < max; i++)
			if (walk_step(i, &w))
				break;
	}
	c->walked = w.walked;
	c->sum = w.sum;
	c->bad = w.bad;
	if (w.status)
		c->status = w.status;
	else if (w.next)
		c->status = PTR_WALK_TOO_LONG;
	else
		c->status = c->append ? append(t, l, &w, c) : PTR_WALK_OK;
	return 0;
}

/* With bpf_loop(): up to PTR_WALK_MAX requests. */
SEC("syscall")
int ptr_walk(struct ptr_walk_ctx *c)
{
	return walk_list(c, true);
}

/* With a bounded loop, which the verifier goes through step by step. */
SEC("syscall")
int ptr_walk_for(struct ptr_walk_ctx *c)
{
	return walk_list(c, false);
}

/*
 * uls.bpf.h's example (and bpf_uls_get(3)'s), as it stands there: what the
 * documentation shows must load and do what it says (ptr_doc_example).
 */
struct my_req { u64 next; u64 arg, result; };	/* next: a user address */
struct my_list { u64 head; u32 free, end; };	/* at the region's start */

static int answer(struct task_struct *t)
{
	struct my_list *l = uls_get(t, struct my_list);
	u64 u, last = 0, nu;
	struct my_req *r;
	int i;

	if (!l)
		return -1;
	u = l->head;
	for (i = 0; i < 16 && u; i++) {
		r = uls_ptr(t, u, struct my_req);
		if (!r)
			return -1;	/* a link out of the region */
		r->result = r->arg * 2;
		last = u;
		u = r->next;
	}
	nu = uls_uptr(t, l->free);
	r = uls_ptr(t, nu, struct my_req);	/* NULL past the end */
	if (!r || u || l->free + sizeof(*r) > l->end)
		return -1;
	r->next = 0;
	r->arg = i;
	l->free += sizeof(*r);
	if (!last) {
		l->head = nu;
	} else {
		r = uls_ptr(t, last, struct my_req);
		if (r)
			r->next = nu;
	}
	return i;
}

/* answer()'s result in the context's first int. */
SEC("syscall")
int ptr_doc_example(int *ret)
{
	*ret = answer(bpf_get_current_task_btf());
	return 0;
}

/* The kfuncs as they are, at .uaddr, for each size of PTR_PROBE_SIZES(). */
SEC("syscall")
int ptr_probe(struct ptr_probe_ctx *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 uaddr = c->uaddr, *p, old;
	__u32 found = 0;
	int i = 0;

	uls_rcu_read_lock();
	if (c->leader)
		t = t->group_leader;
	c->base = bpf_uls_user_base(t);
#define PTR_PROBE_ONE(sz)						\
	if (bpf_uls_from_user(t, uaddr, sz))				\
		found |= 1 << i;					\
	i++;
	PTR_PROBE_SIZES(PTR_PROBE_ONE)
#undef PTR_PROBE_ONE
	p = bpf_uls_from_user(t, uaddr, sizeof(*p));
	uls_rcu_read_unlock();
	c->found = found;
	if (p) {
		old = *p;
		if (c->store)
			*p = c->value;
		c->value = old;
	}
	return 0;
}

struct ptr_exit_seen exit_seen;

/*
 * After uls's own probe on this tracepoint, which was registered first
 * and so runs first: the exiting thread's entry is gone, though still in
 * the table.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(ptr_on_exit, struct task_struct *p)
{
	if (p->pid != exit_seen.tid)
		return 0;
	exit_seen.len = bpf_uls_len(p);
	exit_seen.base = bpf_uls_user_base(p);
	exit_seen.found = !!bpf_uls_from_user(p, exit_seen.uaddr, 8);
	__sync_fetch_and_add(&exit_seen.hits, 1);
	return 0;
}
