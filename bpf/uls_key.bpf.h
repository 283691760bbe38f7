/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Keys for BPF programs: a task's storage for a key, found by the key's
 * name. uls.bpf.h includes this file; include that one.
 *
 *	SEC("tp_btf/sched_switch")
 *	int BPF_PROG(on_switch, bool preempt, struct task_struct *prev,
 *		     struct task_struct *next, unsigned int prev_state)
 *	{
 *		u64 *n = uls_key_get_type(prev, "myrt.switches", u64);
 *
 *		if (n)
 *			(*n)++;
 *		return 0;
 *	}
 *
 * The user side creates the key with uls_key_create() or ULS_DEFINE_KEY()
 * (uls.h), under the same name and at least the size the program asks for.
 *
 * Cost: a key's offset is the same in every thread of a process, so each
 * call site caches it, per process, in a small array in .bss: a hit is one
 * bpf_uls_get_at() that covers the descriptor and the data, and a compare
 * of the descriptor with a constant. The cache is only a hint: the check
 * of the descriptor (its name hash, its size) is what makes the result
 * right, so processes that share a row, or a pid reused, only cost a walk.
 * A miss walks the task's descriptors, one bpf_uls_get_at() of 16 bytes
 * each, in a bpf_loop() (5.17+; bpf_for() is 6.4+), so the verifier sees
 * the walk once per call site whatever ULS_KEYS_MAX is.
 *
 * A thread without the key costs that one bpf_uls_get_at() too, in the
 * common cases: the row names the process image its offset was found in,
 * and in that image a thread whose region ends before the key, or holds
 * no descriptor where the key's would be, has not got the key, and no walk
 * would find it; and with nothing cached, a task without a region long
 * enough to hold the key has not got it either. Other misses walk: a row
 * of another process, or nothing cached and a keyed region.
 *
 * Program types: those the kfuncs are registered for (tracing: tp_btf,
 * fentry, fexit, LSM; syscall; struct_ops, sched_ext on 7.2). The task's
 * tgid, and on a miss its leader's start time and its exec count, are
 * read directly through the task pointer, which those types allow. A
 * sleepable program passes a walked task pointer only inside
 * uls_rcu_read_lock(), as for bpf_uls_get().
 */
#ifndef __ULS_KEY_BPF_H
#define __ULS_KEY_BPF_H

#include <uls/key_layout.h>

/*
 * Rows of each call site's cache, a power of two: 8 bytes each, per call
 * site. Processes whose tgids hash to one row take turns (each miss costs
 * a walk); a program may define it before including uls.bpf.h.
 */
#ifndef ULS_KEY_CACHE_ROWS
#define ULS_KEY_CACHE_ROWS 64
#endif
_Static_assert(ULS_KEY_CACHE_ROWS > 0 &&
	       (ULS_KEY_CACHE_ROWS & (ULS_KEY_CACHE_ROWS - 1)) == 0,
	       "ULS_KEY_CACHE_ROWS must be a power of two");

/*
 * The cache row of @task's process. Not an API. Pids are handed out in
 * order, so their low bits spread processes well enough; a hash would
 * cost every lookup a multiply.
 */
static __always_inline __u32 uls__key_row(struct task_struct *task)
{
	return (__u32)task->tgid & (ULS_KEY_CACHE_ROWS - 1);
}

/*
 * A cache row is one __u64, so that one load or store moves all of it and
 * processes that share a row never see half of another's: the offset of
 * the key's descriptor in its low ULS__KEY_OFF_BITS, and above them the
 * process image the offset was found in (uls__key_image()); 0 when empty.
 * Not an API.
 */
#define ULS__KEY_OFF_BITS	24
#define ULS__KEY_OFF_MASK	((1u << ULS__KEY_OFF_BITS) - 1)
_Static_assert(ULS_KEYS_CAPACITY_MAX <= (1ull << ULS__KEY_OFF_BITS),
	       "a descriptor's offset must fit in a cache row");

/*
 * Which process image @task runs, in 64 - ULS__KEY_OFF_BITS bits, never 0.
 * Not an API. Exec keeps the tgid, and the leader's start_time (de_thread()
 * gives the exec'ing thread the old leader's), but increments the exec'ing
 * thread's self_exec_id, which the threads it creates then inherit: the
 * three together tell apart a process and what it execs later, and a pid
 * reused. Plain loads through the task pointer, as for the tgid: the
 * miss path's only, so the hit path pays nothing for them.
 */
static __always_inline __u64 uls__key_image(struct task_struct *task)
{
	__u64 h;

	h = (task->group_leader->start_time ^ (__u32)task->tgid) *
	    0x9e3779b97f4a7c15ULL;
	h = (h ^ (h >> 32) ^ task->self_exec_id) * 0xbf58476d1ce4e5b9ULL;
	h >>= ULS__KEY_OFF_BITS;
	return h ? h : 1;
}

struct uls__key_walk {
	struct task_struct *task;
	__u64 hash;
	__u32 size;
	__u32 off;	/* the descriptor to read next */
	__u32 found;	/* the matching descriptor's offset, or 0 */
};

static __attribute__((unused)) long uls__key_step(__u32 i, void *ctx)
{
	struct uls__key_walk *w = ctx;
	struct uls_key_desc *d;
	__u32 off = w->off;

	d = (void *)bpf_uls_get_at(w->task, off, sizeof(*d));
	if (!d)
		return 1;
	if (d->hash == w->hash) {
		/* Names are unique in a process: a smaller key ends it. */
		if (d->size >= w->size)
			w->found = off;
		return 1;
	}
	/*
	 * Only forward, and only to multiples of 8: the data pointer's
	 * alignment is what lets programs use atomics on it, and must not
	 * depend on the bytes a thread wrote. Only within the bytes the
	 * layout gives keys: a cache row has no room for an offset beyond.
	 */
	if (d->next <= off || (d->next & 7) ||
	    d->next >= ULS_KEYS_CAPACITY_MAX)
		return 1;
	w->off = d->next;
	return 0;
}

/*
 * The offset of @task's descriptor for @hash, if its key has at least
 * @size bytes and the task's region holds the descriptor; 0 otherwise.
 * Not inlined: each call site's code stays one call. Not an API.
 */
static __attribute__((unused)) __noinline __u32
uls__key_find(struct task_struct *task, __u64 hash, __u32 size)
{
	struct uls__key_walk w = { .task = task, .hash = hash, .size = size };
	struct uls_keys_header *h;

	h = (void *)bpf_uls_get(task, sizeof(*h));
	/* A region from uls_area() or uls_register() has no keys. */
	if (!h || h->magic != ULS_KEYS_MAGIC || !h->first || (h->first & 7) ||
	    h->first >= ULS_KEYS_CAPACITY_MAX)
		return 0;
	w.off = h->first;
	bpf_loop(ULS_KEYS_MAX, uls__key_step, &w, 0);
	return w.found;
}

/*
 * A lookup that missed: @row is what its cache held, @d what @task's
 * region holds at the row's offset, NULL if the region ends before the
 * descriptor and the data. The row to cache, whose offset is @task's
 * descriptor for @hash if its key has at least @size bytes; 0 if there is
 * none. Not inlined: each call site's code stays one call, and @d is read
 * here, not on the hit path. Not an API.
 */
static __attribute__((unused)) __noinline __u64
uls__key_miss(struct task_struct *task, __u64 hash, __u32 size, __u64 row,
	      struct uls_key_desc *d)
{
	__u64 seen = d ? d->hash : 0, id;
	__u32 off;

	/*
	 * Nothing cached, so the header was read as a descriptor: a region
	 * too short for that, or without the header's magic, has no keys.
	 */
	if (!row && !seen)
		return 0;
	id = uls__key_image(task);
	/*
	 * Found in this image, where every thread has the key at that
	 * offset if it has it at all. A hash that is the key's means a key
	 * too small (names are unique in a process); any other is some key
	 * of a layout that is not the process's (the cache of tld_get_data()
	 * given another name), so it walks.
	 */
	if ((row >> ULS__KEY_OFF_BITS) == id && (!seen || seen == hash))
		return 0;
	off = uls__key_find(task, hash, size);
	return off ? id << ULS__KEY_OFF_BITS | off : 0;
}

/*
 * The lookup behind uls_key_get() and tld_get_data(): @cachep points to a
 * __u64 cache row in a map value (.bss or an array map). Not an API.
 */
#define __uls_key_lookup(_task, _hash, _size, _cachep)			\
({									\
	struct task_struct *___t = (_task);				\
	const __u64 ___h = (_hash);					\
	__u64 *___c = (_cachep);					\
	__u64 ___row = *___c;						\
	struct uls_key_desc *___d;					\
									\
	/* Offset 0, nothing cached, is the header: it fails the test. */\
	___d = (void *)bpf_uls_get_at(___t, ___row & ULS__KEY_OFF_MASK,	\
				      sizeof(*___d) + (_size));		\
	/* One test for both: each branch ends a block of the JIT's code. */\
	if (!___d || ((___d->hash ^ ___h) |				\
		      (__u64)(((__s64)___d->size - (__s64)(_size)) >> 63))) {\
		___row = uls__key_miss(___t, ___h, (_size), ___row, ___d);\
		___d = NULL;						\
		if (___row)						\
			___d = (void *)bpf_uls_get_at(___t,		\
					___row & ULS__KEY_OFF_MASK,	\
					sizeof(*___d) + (_size));	\
		if (___d)						\
			*___c = ___row;					\
	}								\
	___d ? (void *)(___d + 1) : NULL;				\
})

/*
 * uls_key_get - @size bytes of @task's storage for the key named @name
 *
 * @name: a string literal (its hash is computed at compile time)
 * @size: a constant: the verifier lets the program access that many bytes
 *
 * NULL when @task has no storage for the key: no region, or a region of
 * uls_area() or uls_register(), or no such key in the region yet (the
 * thread has not used the key, or it was created after the thread's
 * last use of keys), or a key smaller than @size.
 *
 * The pointer is 8-byte aligned, and aligned to the key's size (rounded
 * up to a power of two, up to 64) as libuls places it: descriptors sit at
 * multiples of 8, checked here, and the region starts at one. Atomics on
 * it are safe.
 *
 * A thread may write its keyed region as it likes, descriptors too, so a
 * program gets at worst some other bytes of that same region, never
 * another thread's or anything else.
 */
#define uls_key_get(_task, _name, _size)				\
({									\
	static __u64 __uls_key_cache[ULS_KEY_CACHE_ROWS];		\
	struct task_struct *___kt = (_task);				\
									\
	__uls_key_lookup(___kt, uls_key_hash(_name), (_size),		\
			 &__uls_key_cache[uls__key_row(___kt)]);		\
})

/* The same, typed: a pointer to a @type, or NULL. */
#define uls_key_get_type(_task, _name, _type)				\
	((_type *)uls_key_get((_task), (_name), sizeof(_type)))

#endif /* __ULS_KEY_BPF_H */
