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
 * Cost: one kfunc call, bpf_uls_key_get() (uls_kfuncs.h), whatever the
 * outcome. A key's offset is the same in every thread of a process, so
 * each call site keeps a small cache in .bss, a row per process image
 * (rows are shared when images hash alike): a hit is the row's offset
 * and a check of the descriptor there. A miss walks the task's
 * descriptors in the module, and costs one more step per key before it;
 * a thread without the key in an image whose row says where the key is,
 * or a task without a keyed region, costs no walk. The module counts the
 * walks (stats/key_walks).
 *
 * Program types: those the kfuncs are registered for (tracing: tp_btf,
 * fentry, fexit, LSM; syscall; struct_ops, sched_ext on 7.2). A sleepable
 * program passes a walked task pointer only inside uls_rcu_read_lock(),
 * as for bpf_uls_get().
 */
#ifndef __ULS_KEY_BPF_H
#define __ULS_KEY_BPF_H

#include <uls/key_layout.h>

/*
 * Rows of each call site's cache, 8 bytes each: images whose ids agree
 * in their low bits share a row and take turns (each turn costs a walk).
 * A power of two; a program may define it before including uls.bpf.h.
 */
#ifndef ULS_KEY_CACHE_ROWS
#define ULS_KEY_CACHE_ROWS 64
#endif
_Static_assert(ULS_KEY_CACHE_ROWS > 0 &&
	       (ULS_KEY_CACHE_ROWS & (ULS_KEY_CACHE_ROWS - 1)) == 0,
	       "ULS_KEY_CACHE_ROWS must be a power of two");

/*
 * A row of tld_key_map for @task's process (tld.bpf.h). Not an API. Pids
 * are handed out in order, so their low bits spread processes well
 * enough.
 */
static __always_inline __u32 uls__key_row(struct task_struct *task)
{
	return (__u32)task->tgid;
}

/*
 * NULL, from an instruction of its own. Not an API: see uls__key_get().
 */
static __always_inline void *uls__null(void)
{
	void *p;

	asm volatile("%0 = 0" : "=r"(p));
	return p;
}

/*
 * bpf_uls_key_get() where the module has it, else NULL: the test is a
 * constant once libbpf has loaded the program, and the verifier drops
 * the call that a module without it could not resolve. Not an API.
 *
 * The NULL is uls__null()'s so that clang cannot make the two outcomes
 * share code: the verifier then never reaches the branch's target and
 * turns the branch into nothing (opt_hard_wire_dead_code_branches()).
 * Where the target is shared (with the kfunc's NULL), 6.1 keeps the
 * compare and the jump in every call; 7.2 folds the constant itself.
 */
#define uls__key_get(_task, _cache, _cache_sz, _hash, _size)		\
	(uls_api_at_least(ULS_KFUNC_API_V2) ?				\
	 (void *)bpf_uls_key_get((_task), (_cache), (_cache_sz),	\
				 (_hash), (_size)) : uls__null())

/*
 * uls_key_get - @size bytes of @task's storage for the key named @name
 *
 * @name: a string literal (its hash is computed at compile time)
 * @size: a constant: the verifier lets the program access that many bytes
 *
 * NULL when @task has no storage for the key: no region, or a region of
 * uls_area() or uls_register(), or no such key in the region yet (the
 * thread has not used the key, or it was created after the thread's
 * last use of keys), or a key smaller than @size; and where the module
 * is absent or older than bpf_uls_key_get().
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
									\
	uls__key_get((_task), __uls_key_cache, sizeof(__uls_key_cache),\
		     uls_key_hash(_name), (_size));			\
})

/* The same, typed: a pointer to a @type, or NULL. */
#define uls_key_get_type(_task, _name, _type)				\
	((_type *)uls_key_get((_task), (_name), sizeof(_type)))

#endif /* __ULS_KEY_BPF_H */
