// SPDX-License-Identifier: GPL-2.0
/*
 * Thread exit and exec end a registration. The module learns of them
 * without patching the kernel: the sched_process_exit and sched_process_exec
 * tracepoints are not exported to modules, but every kernel tracepoint can
 * be found by name with for_each_kernel_tracepoint() and probed with
 * tracepoint_probe_register().
 *
 * This file only hooks them: each probe tells the registry that its task
 * is gone (uls_task_gone()), which takes it from there, without sleeping.
 * The probes touch no entry themselves, so what keeps the registry's
 * entries alive for them is the registry's business (registry.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/binfmts.h>
#include <linux/tracepoint.h>
#include <trace/events/sched.h>

#include "uls.h"

static ULS_TP_EXIT_PROBE(uls_probe_exit)
{
	uls_task_gone(task, ULS_ROOM_EXITED);
}

/*
 * The entry is found by its task, so a thread that exec'd from a non-leader
 * and took its leader's pid is found all the same.
 */
static void uls_probe_exec(void *data, struct task_struct *task,
			   pid_t old_pid, struct linux_binprm *bprm)
{
	uls_task_gone(task, ULS_ROOM_EXECED);
}

static struct uls_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool registered;
} uls_tps[] = {
	{ .name = "sched_process_exit", .probe = uls_probe_exit },
	{ .name = "sched_process_exec", .probe = uls_probe_exec },
};

static void uls_find_tp(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(uls_tps); i++)
		if (!strcmp(tp->name, uls_tps[i].name))
			uls_tps[i].tp = tp;
}

void uls_lifecycle_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(uls_tps); i++) {
		if (!uls_tps[i].registered)
			continue;
		WARN_ON(tracepoint_probe_unregister(uls_tps[i].tp,
						    uls_tps[i].probe, NULL));
		uls_tps[i].registered = false;
	}
	/*
	 * No probe runs any more: none is left in this module's code, and
	 * none calls uls_task_gone() again, which uls_registry_exit(), next
	 * in main.c's exit, relies on.
	 */
	tracepoint_synchronize_unregister();
}

int uls_lifecycle_init(void)
{
	unsigned int i;
	int ret;

	/*
	 * The probes' prototypes must be the tracepoints' exactly (kCFI
	 * checks the call); compat.h's choice is checked here, at build time.
	 */
	check_trace_callback_type_sched_process_exit(uls_probe_exit);
	check_trace_callback_type_sched_process_exec(uls_probe_exec);

	for_each_kernel_tracepoint(uls_find_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(uls_tps); i++) {
		if (!uls_tps[i].tp) {
			pr_err("tracepoint %s not found\n", uls_tps[i].name);
			ret = -ENOENT;
			goto err_unregister;
		}
		ret = tracepoint_probe_register(uls_tps[i].tp,
						uls_tps[i].probe, NULL);
		if (ret) {
			pr_err("probing %s failed: %d\n", uls_tps[i].name, ret);
			goto err_unregister;
		}
		uls_tps[i].registered = true;
	}
	return 0;

err_unregister:
	uls_lifecycle_exit();
	return ret;
}
