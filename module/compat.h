/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels uls supports lives here, and only
 * here. Kbuild force-includes this file into each object and feeds it with
 * ULS_HAVE_* flags from feature probes on the target's headers (see the
 * Kbuild file), so the rest of the module is written against the newest
 * kernel API and never tests LINUX_VERSION_CODE.
 *
 * Macros only: this file is seen before any kernel header.
 */
#ifndef _ULS_COMPAT_H
#define _ULS_COMPAT_H

/*
 * __bpf_kfunc appeared in 6.3 (before it, kfuncs were plain global
 * functions), __bpf_kfunc_start_defs() in 6.7.
 */
#ifndef ULS_HAVE_BPF_KFUNC
#define __bpf_kfunc __used noinline
#endif
#ifndef ULS_HAVE_BPF_KFUNC_START_DEFS
#define __bpf_kfunc_start_defs()					\
	__diag_push();							\
	__diag_ignore_all("-Wmissing-prototypes",			\
			  "Global kfuncs as their definitions will be in BTF")
#define __bpf_kfunc_end_defs() __diag_pop()
#endif

/*
 * From 6.9, register_btf_kfunc_id_set() refuses a set that was not declared
 * with BTF_KFUNCS_START (it flags the set as kfuncs); older kernels only
 * have BTF_SET8_START with the same layout.
 */
#ifndef ULS_HAVE_BTF_KFUNCS_START
#define BTF_KFUNCS_START(name) BTF_SET8_START(name)
#define BTF_KFUNCS_END(name) BTF_SET8_END(name)
#endif

/*
 * The task argument of the kfuncs.
 *
 * Where KF_RCU exists (6.2+), the verifier only lets a program pass a task
 * pointer that is trusted or RCU-protected.
 *
 * 6.1 has no KF_RCU, and its KF_TRUSTED_ARGS means "referenced": it would
 * refuse bpf_get_current_task_btf() and tracepoint arguments, the very
 * pointers uls is for. Without flags, 6.1 accepts any task pointer the
 * program holds, including one walked through memory (t->group_leader),
 * which may be NULL or stale. The kfuncs never dereference the task, only
 * compare it with their entries' own, so that is safe.
 */
#ifdef ULS_HAVE_KF_RCU
#define ULS_KF_TASK_ARG KF_RCU
#else
#define ULS_KF_TASK_ARG 0
#endif

/*
 * Whether a pointer argument of the kfuncs may be NULL, besides the task
 * (which they never dereference): bpf_uls_key_get()'s cache.
 *
 * From 6.4 ("bpf: Introduce kptr_rcu", which also gave KF_RCU the comment
 * that the probe looks for), check_kfunc_args() refuses any pointer
 * argument of a KF_RCU kfunc that is NULL or may be ("Possibly NULL
 * pointer passed to trusted arg") unless its name says it may be
 * (__nullable); 7.2 does so for every kfunc. Before, KF_RCU (6.2) did
 * not, and in 6.1, whose kfuncs have no flags here, the check of a
 * memory and size pair (check_kfunc_mem_size_reg()) clears PTR_MAYBE_NULL
 * for its own checks: a map value that may be NULL passes with any size.
 * Where the probe fails, the kfunc keeps testing for NULL.
 */
#ifdef ULS_HAVE_KF_RCU_NONNULL
#define ULS_KFUNC_MEM_MAY_BE_NULL 0
#else
#define ULS_KFUNC_MEM_MAY_BE_NULL 1
#endif

/*
 * The sched_process_exit tracepoint gained a group_dead argument in 6.16.
 * A probe attached with tracepoint_probe_register() receives its data
 * pointer and then the tracepoint's arguments, and under kCFI its prototype
 * must match the tracepoint's exactly, so declare probes with this.
 */
#ifdef ULS_HAVE_TP_EXIT_GROUP_DEAD
#define ULS_TP_EXIT_PROBE(name)						\
	void name(void *data, struct task_struct *task, bool group_dead)
#else
#define ULS_TP_EXIT_PROBE(name)						\
	void name(void *data, struct task_struct *task)
#endif

/*
 * pin_user_pages() lost its vmas argument in 6.5. uls checks the VMAs
 * itself, before pinning, under the same mmap lock.
 */
#ifdef ULS_HAVE_PIN_USER_PAGES_VMAS
#define uls_pin_user_pages(start, nr, flags, pages)			\
	pin_user_pages(start, nr, flags, pages, NULL)
#else
#define uls_pin_user_pages(start, nr, flags, pages)			\
	pin_user_pages(start, nr, flags, pages)
#endif

/*
 * vm_area_struct's flags became read-only in 6.3 (the per-VMA lock must
 * see every change): they are changed with vm_flags_set() and
 * vm_flags_clear() since, directly before.
 */
#ifndef ULS_HAVE_VM_FLAGS_SET
#define vm_flags_set(vma, flags)	((vma)->vm_flags |= (flags))
#define vm_flags_clear(vma, flags)	((vma)->vm_flags &= ~(flags))
#endif

/*
 * sched_ext schedulers are STRUCT_OPS programs; register the kfuncs for
 * them where the kernel has sched_ext.
 */
#define ULS_KFUNCS_FOR_STRUCT_OPS IS_ENABLED(CONFIG_SCHED_CLASS_EXT)

#endif /* _ULS_COMPAT_H */
