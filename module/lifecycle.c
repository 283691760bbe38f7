// SPDX-License-Identifier: GPL-2.0
/*
 * Thread exit and exec end a registration. The module learns of them
 * without patching the kernel: the sched_process_exit and sched_process_exec
 * tracepoints are not exported to modules, but every kernel tracepoint can
 * be found by name with for_each_kernel_tracepoint() and probed with
 * tracepoint_probe_register().
 *
 * A probe may not sleep, and the registry's writers hold a mutex. So a
 * probe only marks the entry gone, which every lookup honors from then on,
 * and queues it, lock-free; a work item takes it out of the registry and
 * retires it.
 *
 * Tracepoint probes ran with preemption disabled until 7.0. Since commit
 * a46023d5616e ("tracing: Guard __DECLARE_TRACE() use of __DO_TRACE_CALL()
 * with SRCU-fast") they run under SRCU-fast, preemptibly, which is no RCU
 * read-side section: the reap's synchronize_rcu() would not wait for a
 * probe holding an entry, or a slot array it is searching. So a probe takes
 * rcu_read_lock() itself, on every kernel.
 * Entries are found by task, so a thread that gets a dead one's pid
 * meanwhile has nothing to do with its entry; the exec'd image of the
 * task itself can register again, and replaces it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/binfmts.h>
#include <linux/tracepoint.h>
#include <trace/events/sched.h>

#include "uls.h"

static LLIST_HEAD(uls_gone_list);

static void uls_gone_work_fn(struct work_struct *work)
{
	struct llist_node *batch = llist_del_all(&uls_gone_list);
	struct uls_entry *e, *tmp;

	llist_for_each_entry_safe(e, tmp, batch, gone_node)
		uls_drop_gone(e);
}

static DECLARE_WORK(uls_gone_work, uls_gone_work_fn);

/*
 * An entry is freed only after an RCU grace period that began once it left
 * the registry, so one a probe found is alive until the probe returns, and
 * the free of an entry a probe queued waits here for the work to let go.
 */
void uls_lifecycle_sync(struct uls_entry *e)
{
	if (READ_ONCE(e->room) < 0)
		flush_work(&uls_gone_work);
}

static void uls_task_gone(struct task_struct *task, s32 why)
{
	struct uls_entry *e;
	s32 room;

	/* Until the entry is queued: the reap frees it only after RCU. */
	rcu_read_lock();
	e = uls_table_find(task);
	/*
	 * Dead to lookups from here on, and queued once: the first end (exec,
	 * then perhaps exit) is the one that counts. Not registered (the
	 * empty slot's stand-in), or gone already: room is negative.
	 */
	room = READ_ONCE(e->room);
	do {
		if (room < 0)
			goto out;
	} while (!try_cmpxchg(&e->room, &room, why));
	llist_add(&e->gone_node, &uls_gone_list);
	queue_work(uls_wq, &uls_gone_work);
out:
	rcu_read_unlock();
}

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
	/* No probe runs any more, so nothing queues the work again. */
	tracepoint_synchronize_unregister();
	flush_work(&uls_gone_work);
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
