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
 *		     struct task_struct *next)
 *	{
 *		struct hints *h = uls_get(prev, struct hints);
 *
 *		if (h && preempt)
 *			h->preempted++;
 *		return 0;
 *	}
 *
 * The kfuncs live in the uls module. They are declared weak, so a program
 * that uses them opens even where the module is absent; see uls_loaded().
 * Programs must be GPL-compatible to call kfuncs.
 */
#ifndef __ULS_BPF_H
#define __ULS_BPF_H

#include "uls_kfuncs.h"

/* From libbpf 1.2's bpf_helpers.h, for older libbpf. */
#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym) ({						\
	_Static_assert(!__builtin_constant_p(!!sym),			\
		       #sym " should be marked as __weak");		\
	!!sym;								\
})
#endif

/*
 * True when the uls module is loaded (its kfuncs were found in the
 * kernel's BTF when the program was loaded). Guard calls with it where a
 * program must also load without uls; kernels from 6.3 drop the dead
 * calls. On older kernels a program that calls an absent kfunc is refused
 * whatever the guard, so check on the user side instead: libuls's
 * uls_module_loaded().
 */
#define uls_loaded() bpf_ksym_exists(bpf_uls_get)

/*
 * Typed access: a pointer to a struct @type at the start of @task's region,
 * or NULL when @task registered nothing or fewer than sizeof(@type) bytes.
 */
#define uls_get(task, type) ((type *)bpf_uls_get((task), sizeof(type)))

/* The same, @offset bytes into the region; @offset may be a runtime value. */
#define uls_get_at(task, offset, type)					\
	((type *)bpf_uls_get_at((task), (offset), sizeof(type)))

#endif /* __ULS_BPF_H */
