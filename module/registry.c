// SPDX-License-Identifier: GPL-2.0
/*
 * The registry: one entry per registered thread, keyed by the global thread
 * id it had when it registered, read locklessly by the kfuncs.
 *
 * Writers (register, unregister, file release, the exit and exec work and
 * the free work) serialize on uls_registry_lock, which also protects each
 * file's list of entries and the page accounting. Readers only xa_load()
 * under RCU. An entry that leaves the registry is freed only after an
 * RCU-tasks-trace grace period (sleepable BPF programs) and then an RCU
 * grace period (all other BPF programs, and the exit and exec probes), and
 * then from a workqueue, because unmapping and unpinning sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mutex.h>
/* 7.x rcupdate_trace.h uses SRCU without including it. */
#include <linux/srcu.h>
#include <linux/rcupdate_trace.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "uls.h"

DEFINE_XARRAY(uls_registry);
static DEFINE_MUTEX(uls_registry_lock);
static struct workqueue_struct *uls_free_wq;

static void uls_entry_free_work(struct work_struct *work)
{
	struct uls_entry *e = container_of(work, struct uls_entry, free_work);
	unsigned int nr_pages = e->pin.nr_pages;

	/* The exit and exec work may still hold it in its batch. */
	uls_lifecycle_sync(e);

	mutex_lock(&uls_registry_lock);
	if (!list_empty(&e->file_node))
		list_del(&e->file_node);
	uls_account_uncharge(e->um, &e->pin);
	mutex_unlock(&uls_registry_lock);

	uls_unpin(&e->pin);
	put_task_struct(e->task);
	kfree(e);
	/* Last, so that counts at zero mean everything is released. */
	uls_stat_add(ULS_STAT_PINNED_PAGES, -(long)nr_pages);
	uls_stat_add(ULS_STAT_ENTRIES, -1);
}

static void uls_entry_rcu_done(struct rcu_head *rcu)
{
	struct uls_entry *e = container_of(rcu, struct uls_entry, rcu);

	INIT_WORK(&e->free_work, uls_entry_free_work);
	queue_work(uls_free_wq, &e->free_work);
}

static void uls_entry_rcu_tasks_trace_done(struct rcu_head *rcu)
{
	call_rcu(rcu, uls_entry_rcu_done);
}

/*
 * Free @e once no BPF program can hold its address any more. Callable from
 * any context; @e must already be out of the registry.
 */
static void uls_entry_retire(struct uls_entry *e, enum uls_stat why)
{
	/* It ended when its task exited or exec'd, whoever came to free it. */
	if (test_bit(ULS_ENTRY_GONE, &e->flags))
		why = test_bit(ULS_ENTRY_EXEC, &e->flags) ? ULS_STAT_EXECED :
							   ULS_STAT_EXITED;
	uls_stat_add(why, 1);
	call_rcu_tasks_trace(&e->rcu, uls_entry_rcu_tasks_trace_done);
}

/* Take @e out of the registry; false if someone else did already. */
static bool uls_entry_claim(struct uls_entry *e)
{
	lockdep_assert_held(&uls_registry_lock);
	return xa_cmpxchg(&uls_registry, e->pid, e, NULL, 0) == e;
}

int uls_register_current(struct uls_file *uf, unsigned long uaddr, u64 len)
{
	struct uls_entry *e, *old;
	int ret;

	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;

	ret = uls_pin_range(uaddr, len, &e->pin, &e->kaddr);
	if (ret)
		goto err_free;
	e->len = len;
	e->uaddr = uaddr;
	e->pid = current->pid;
	e->task = get_task_struct(current);
	INIT_LIST_HEAD(&e->file_node);

	mutex_lock(&uls_registry_lock);
	ret = uls_account_charge(&e->pin, &e->um);
	if (ret)
		goto err_unlock;
	old = xa_store(&uls_registry, e->pid, e, GFP_KERNEL_ACCOUNT);
	if (xa_is_err(old)) {
		ret = xa_err(old);
		goto err_uncharge;
	}
	list_add(&e->file_node, &uf->entries);
	uls_stat_add(ULS_STAT_ENTRIES, 1);
	uls_stat_add(ULS_STAT_PINNED_PAGES, e->pin.nr_pages);
	uls_stat_add(ULS_STAT_REGISTERED, 1);
	/*
	 * An old entry of this pid belongs either to this thread (a
	 * replacement) or to a dead thread whose pid came back before the
	 * exit work ran. Either way it is now unreachable; readers that
	 * already hold it keep it alive until the grace periods end.
	 */
	if (old)
		uls_entry_retire(old, ULS_STAT_REPLACED);
	mutex_unlock(&uls_registry_lock);
	return 0;

err_uncharge:
	uls_account_uncharge(e->um, &e->pin);
err_unlock:
	mutex_unlock(&uls_registry_lock);
	put_task_struct(e->task);
	uls_unpin(&e->pin);
err_free:
	kfree(e);
	return ret;
}

int uls_unregister_current(void)
{
	struct uls_entry *e;
	int ret = -ENOENT;

	mutex_lock(&uls_registry_lock);
	e = uls_entry_of(current);
	if (e && uls_entry_claim(e)) {
		uls_entry_retire(e, ULS_STAT_UNREGISTERED);
		ret = 0;
	}
	mutex_unlock(&uls_registry_lock);
	return ret;
}

int uls_query_current(unsigned long *uaddr, u64 *len)
{
	struct uls_entry *e;
	int ret = -ENOENT;

	rcu_read_lock();
	e = uls_entry_of(current);
	if (e) {
		*uaddr = e->uaddr;
		*len = e->len;
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

/*
 * The file is going away: so do the entries registered through it. Those
 * already retired by someone else only leave the list, which the file
 * takes with it.
 */
void uls_release_file(struct uls_file *uf)
{
	struct uls_entry *e, *tmp;

	mutex_lock(&uls_registry_lock);
	list_for_each_entry_safe(e, tmp, &uf->entries, file_node) {
		list_del_init(&e->file_node);
		if (uls_entry_claim(e))
			uls_entry_retire(e, ULS_STAT_RELEASED);
	}
	mutex_unlock(&uls_registry_lock);
}

/* Process context: the task of @e exited or exec'd (lifecycle.c). */
void uls_drop_gone(struct uls_entry *e)
{
	mutex_lock(&uls_registry_lock);
	if (uls_entry_claim(e))
		uls_entry_retire(e, ULS_STAT_EXITED);
	mutex_unlock(&uls_registry_lock);
}

int uls_registry_init(void)
{
	uls_free_wq = alloc_workqueue("uls_free", WQ_UNBOUND, 0);
	if (!uls_free_wq)
		return -ENOMEM;
	uls_account_init();
	return 0;
}

/*
 * Every file is closed by now (each holds a module reference), so every
 * entry is retired, and the exit and exec probes are gone; wait for the
 * callbacks of both grace periods, then for the work they queued.
 */
void uls_registry_exit(void)
{
	WARN_ON(!xa_empty(&uls_registry));
	rcu_barrier_tasks_trace();
	rcu_barrier();
	destroy_workqueue(uls_free_wq);
	uls_account_exit();
}
