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

#endif /* __ULS_BPF_H */
