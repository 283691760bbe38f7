/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uls for BPF programs. Include after vmlinux.h and <bpf/bpf_helpers.h>:
 *
 *	#include "vmlinux.h"
 *	#include <bpf/bpf_helpers.h>
 *	#include "uls.bpf.h"
 *
 *	struct hints { u64 flags; u64 preempted; };
 *
 *	SEC("tp_btf/sched_switch")
 *	int BPF_PROG(on_switch, bool preempt, struct task_struct *prev,
 *		     struct task_struct *next, unsigned int prev_state)
 *	{
 *		struct hints *h = uls_get(prev, struct hints);
 *
 *		if (h && prev_state == 0)	// still runnable: preempted
 *			h->preempted++;
 *		return 0;
 *	}
 *
 * The kfuncs live in the uls module. They are declared weak, so a program
 * that uses them opens even where the module is absent; see uls_loaded().
 * Programs must be GPL-compatible to call kfuncs, and include
 * <bpf/bpf_core_read.h> (this header does).
 *
 * Installed, this header is in uls.pc's bpfincludedir, and includes
 * <uls/key_layout.h> from its Cflags' directory:
 *
 *	clang -target bpf -O2 -g $(pkg-config --cflags uls) \
 *	      -I$(pkg-config --variable=bpfincludedir uls) -c prog.bpf.c
 */
#ifndef __ULS_BPF_H
#define __ULS_BPF_H

#include "uls_kfuncs.h"

#include <bpf/bpf_core_read.h>

/*
 * True when the uls module, with kfunc API level @level or later, was
 * loaded when the program was: a CO-RE test of the module's BTF that
 * libbpf resolves to a constant. The verifier then drops the calls a false
 * test guards, so a program that must also run without uls loads anyway:
 *
 *	if (uls_loaded()) {
 *		u64 *p = bpf_uls_get(task, 8);
 *		...
 *	}
 *
 * It needs only CO-RE (libbpf 0.4 and later); bpf_ksym_exists() is not in
 * Debian 12's libbpf 1.1.
 */
#define uls_api_at_least(level)						\
	bpf_core_enum_value_exists(enum uls_kfunc_api, level)
#define uls_loaded() uls_api_at_least(ULS_KFUNC_API_V1)

/*
 * Typed access: a pointer to a struct @type at the start of @task's region,
 * or NULL when @task registered nothing or fewer than sizeof(@type) bytes.
 */
#define uls_get(task, type) ((type *)bpf_uls_get((task), sizeof(type)))

/*
 * The same, @offset bytes into the region; @offset may be a runtime value.
 *
 * Alignment: a region starts on a multiple of 8 bytes (ULS_REGION_ALIGN),
 * and the verifier checks an atomic's alignment (__sync_fetch_and_add() and
 * friends) only relative to the pointer a kfunc returned, which it takes to
 * be aligned. bpf_uls_get() returns the region's start, so a constant
 * offset that the verifier accepts is aligned for real. bpf_uls_get_at()
 * returns start + @offset, which the verifier cannot see: use atomics
 * through it only with an @offset that is a multiple of the access's size
 * (of 8 for any access up to 8 bytes), or an atomic may straddle a cache
 * line, a "split lock" that x86 kernels with split-lock detection treat as
 * fatal, and that faults on arm64. Plain loads and stores may be anywhere.
 */
#define uls_get_at(task, offset, type)					\
	((type *)bpf_uls_get_at((task), (offset), sizeof(type)))

/*
 * Sleepable programs (lsm.s, fentry.s, syscall) on 6.2 and later may pass a
 * task reached through memory (t->group_leader) only inside
 * bpf_rcu_read_lock(). 6.1 has no such kfunc, and needs none: its kfuncs
 * take any task pointer and check it themselves. These wrap the pair so one
 * program loads on both. The test is CO-RE, a constant: MEM_RCU came with
 * bpf_rcu_read_lock() in 6.2. The program must not sleep between the two.
 *
 *	uls_rcu_read_lock();
 *	p = bpf_uls_get(t->group_leader, 8);
 *	uls_rcu_read_unlock();
 *	(p stays valid after the unlock: uls frees regions only after an
 *	 RCU-tasks-trace grace period too.)
 */
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;

enum bpf_type_flag___uls { MEM_RCU___uls };

#define uls_have_rcu_lock()						\
	bpf_core_enum_value_exists(enum bpf_type_flag___uls, MEM_RCU___uls)

static __always_inline void uls_rcu_read_lock(void)
{
	if (uls_have_rcu_lock())
		bpf_rcu_read_lock();
}

static __always_inline void uls_rcu_read_unlock(void)
{
	if (uls_have_rcu_lock())
		bpf_rcu_read_unlock();
}

/* Keys: a task's storage found by name, uls_key_get(). */
#include "uls_key.bpf.h"

/*
 * Pointers valid on both sides (kfunc API level 3, ULS_KFUNC_API_V3).
 *
 * A region is one range of its thread's address space, mapped once in the
 * kernel at another address. A pointer that the thread stores in the
 * region is a user address, which BPF cannot load through, and the other
 * way round. The thread can build linked structures inside its region
 * with plain pointers; a program follows them with uls_ptr(), and links
 * in what it adds with uls_uptr():
 *
 *	uls_ptr(task, uaddr, type)
 *		user -> kernel: a @type * to the bytes at user address @uaddr
 *		(a runtime value), or NULL unless @uaddr is a multiple of 8
 *		and all sizeof(@type) bytes lie inside @task's registration.
 *		The thread's NULL (0) gives NULL, as does an address before,
 *		after or straddling either end of the region, a region that
 *		ended, a task without one, or a module older than level 3.
 *		Atomics through the result are safe: the region starts on a
 *		multiple of 8, so the address is aligned for real. For bytes
 *		at an address that is not, use uls_get_at() with the address
 *		less bpf_uls_user_base().
 *
 *	uls_uptr(task, offset)
 *		kernel -> user: the user address of byte @offset of @task's
 *		region, which the thread can follow; 0 (its NULL) when @task
 *		has no region. @offset is not checked here: uls_ptr() of the
 *		result checks it, as it checks any address.
 *
 * The verifier gives a program no number for a kernel pointer (only a
 * program with CAP_PERFMON may subtract two), so a program keeps the user
 * address, or the region offset, of what it will link to, and makes the
 * kernel pointer from that. Both ends of a link are checked against the
 * registration when the program follows it: a thread may write any value
 * there, and the worst it gets is a NULL, or other bytes of its own
 * region. A thread that registers another region between two calls has
 * each call answer for the registration it finds.
 *
 * The thread's side: a list of requests in its region, head first, and
 * spare room [free, end) in the region for the program's.
 *
 *	struct my_req { u64 next; u64 arg, result; };	// next: a user address
 *	struct my_list { u64 head; u32 free, end; };	// at the region's start
 *
 * The program's: answer each request, then append one of its own, which
 * the thread finds by following the list as usual. The number answered,
 * or -1 (tests/progs/ptr_list.bpf.c runs this, and has a longer walk with
 * bpf_loop()):
 *
 *	static int answer(struct task_struct *t)
 *	{
 *		struct my_list *l = uls_get(t, struct my_list);
 *		u64 u, last = 0, nu;
 *		struct my_req *r;
 *		int i;
 *
 *		if (!l)
 *			return -1;
 *		u = l->head;
 *		for (i = 0; i < 16 && u; i++) {
 *			r = uls_ptr(t, u, struct my_req);
 *			if (!r)
 *				return -1;	// a link out of the region
 *			r->result = r->arg * 2;
 *			last = u;
 *			u = r->next;
 *		}
 *		nu = uls_uptr(t, l->free);
 *		r = uls_ptr(t, nu, struct my_req);	// NULL past the end
 *		if (!r || u || l->free + sizeof(*r) > l->end)
 *			return -1;
 *		r->next = 0;
 *		r->arg = i;
 *		l->free += sizeof(*r);
 *		if (!last) {
 *			l->head = nu;
 *		} else {
 *			r = uls_ptr(t, last, struct my_req);
 *			if (r)
 *				r->next = nu;
 *		}
 *		return i;
 *	}
 *
 * Addresses are taken as the thread registered them and stores them: with
 * pointer tags (x86 LAM, arm64 TBI) they must carry the same tag.
 */
#define uls_ptr(_task, _uaddr, _type)					\
	((_type *)(uls_api_at_least(ULS_KFUNC_API_V3) ?			\
		   (void *)bpf_uls_from_user((_task), (__u64)(_uaddr),	\
					     sizeof(_type)) :		\
		   uls__null()))

static __always_inline __u64 uls_uptr(struct task_struct *task, __u64 offset)
{
	__u64 base;

	if (!uls_api_at_least(ULS_KFUNC_API_V3))
		return 0;
	base = bpf_uls_user_base(task);
	return base ? base + offset : 0;
}

#endif /* __ULS_BPF_H */
