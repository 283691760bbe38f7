// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF-facing API: kfuncs that hand a program the memory a thread
 * registered. They take no locks and allocate nothing, so any program on
 * any hook may call them, including from scheduler and NMI context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>

#include "../module/uls.h"
#include "uls_kfuncs.h"

/* Keeps enum uls_kfunc_api in the module's BTF for uls_loaded(). */
const enum uls_kfunc_api uls_kfunc_api_level = ULS_KFUNC_API_V1;

__bpf_kfunc_start_defs();

/*
 * Hot: a sched_ext scheduler may call this on every scheduling event. One
 * signed compare covers both "too small" and "gone" (room is negative
 * then), and selects rather than branches.
 */
__bpf_kfunc u64 *bpf_uls_get(struct task_struct *task, u32 rdwr_buf_size)
{
	struct uls_entry *e = uls_table_find(task);
	void *kaddr = READ_ONCE(e->kaddr);

	return (s64)rdwr_buf_size <= READ_ONCE(e->room) ? kaddr : NULL;
}

__bpf_kfunc u64 *bpf_uls_get_at(struct task_struct *task, u32 offset,
				u32 rdwr_buf_size)
{
	struct uls_entry *e = uls_table_find(task);
	void *kaddr = READ_ONCE(e->kaddr) + offset;

	/* Both are u32, so the sum cannot wrap in s64. */
	return (s64)offset + rdwr_buf_size <= READ_ONCE(e->room) ? kaddr : NULL;
}

__bpf_kfunc u64 bpf_uls_len(struct task_struct *task)
{
	/* Once: room turns negative when the task exits or execs. */
	s32 room = READ_ONCE(uls_table_find(task)->room);

	return room > 0 ? room : 0;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(uls_kfunc_ids)
BTF_ID_FLAGS(func, bpf_uls_get, KF_RET_NULL | ULS_KF_TASK_ARG)
BTF_ID_FLAGS(func, bpf_uls_get_at, KF_RET_NULL | ULS_KF_TASK_ARG)
BTF_ID_FLAGS(func, bpf_uls_len, ULS_KF_TASK_ARG)
BTF_KFUNCS_END(uls_kfunc_ids)

static const struct btf_kfunc_id_set uls_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &uls_kfunc_ids,
};

/*
 * BPF_PROG_TYPE_TRACING covers tp_btf, fentry/fexit and LSM programs: LSM
 * programs use the tracing hook's set, and registering the same module set
 * a second time for one hook makes 6.1 warn and fail.
 */
int uls_kfuncs_init(void)
{
	u32 i;
	int ret;

	/*
	 * Ids left unresolved mean the module was built without BTF. The
	 * registrations below would then all return 0 and the kfuncs would
	 * silently not exist; refuse to load instead.
	 */
	for (i = 0; i < uls_kfunc_ids.cnt; i++)
		if (!uls_kfunc_ids.pairs[i].id)
			break;
	if (!uls_kfunc_ids.cnt || i < uls_kfunc_ids.cnt) {
		pr_err("kfunc BTF ids are unresolved: the module was built without BTF\n");
		return -ENOEXEC;
	}

	ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &uls_kfunc_set);
	ret = ret ?: register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL,
					       &uls_kfunc_set);
	if (ULS_KFUNCS_FOR_STRUCT_OPS)
		ret = ret ?: register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
						       &uls_kfunc_set);
	if (ret)
		pr_err("registering the kfuncs failed: %d\n", ret);
	return ret;
}
