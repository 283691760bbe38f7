// SPDX-License-Identifier: GPL-2.0
/*
 * The registry: one entry per registered thread, keyed by the global thread
 * id (task->pid), read locklessly by the kfuncs.
 *
 * Writers (register, unregister, file release) serialize on
 * uls_registry_lock, which also protects each file's list of entries.
 * Readers only xa_load() under RCU. An entry that leaves the registry is
 * freed only after an RCU-tasks-trace grace period (sleepable BPF programs)
 * and then an RCU grace period (all other BPF programs), and then from a
 * workqueue, because unmapping and unpinning sleep.
 *
 * Thread exit and exec do not remove entries yet: an exited thread's entry
 * keeps its task_struct and its pinned pages until the pid is registered
 * again or the file it was registered through is released. No lookup on
 * another task can match it. uls_drop_task() is where exit and exec
 * handling will plug in.
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

static atomic_long_t uls_nr_entries = ATOMIC_LONG_INIT(0);
static atomic_long_t uls_nr_pinned_pages = ATOMIC_LONG_INIT(0);

static void uls_entry_free_work(struct work_struct *work)
{
	struct uls_entry *e = container_of(work, struct uls_entry, free_work);
	unsigned int nr_pages = e->pin.nr_pages;

	uls_unpin(&e->pin);
	put_task_struct(e->task);
	kfree(e);
	/* Last, so that counts at zero mean everything is released. */
	atomic_long_sub(nr_pages, &uls_nr_pinned_pages);
	atomic_long_dec(&uls_nr_entries);
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
static void uls_entry_retire(struct uls_entry *e)
{
	call_rcu_tasks_trace(&e->rcu, uls_entry_rcu_tasks_trace_done);
}

/* Take @e out of the registry and its file's list. */
static void uls_entry_unlink(struct uls_entry *e)
{
	lockdep_assert_held(&uls_registry_lock);
	xa_cmpxchg(&uls_registry, e->task->pid, e, NULL, 0);
	list_del(&e->file_node);
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
	e->owner = uf;
	e->task = get_task_struct(current);
	atomic_long_inc(&uls_nr_entries);
	atomic_long_add(e->pin.nr_pages, &uls_nr_pinned_pages);

	mutex_lock(&uls_registry_lock);
	old = xa_store(&uls_registry, current->pid, e, GFP_KERNEL_ACCOUNT);
	if (xa_is_err(old)) {
		ret = xa_err(old);
		mutex_unlock(&uls_registry_lock);
		goto err_unpin;
	}
	list_add(&e->file_node, &uf->entries);
	/*
	 * An old entry of this pid belongs either to this thread (a
	 * replacement) or to a dead thread whose pid came back. Either way it
	 * is now unreachable; readers that already hold it keep it alive
	 * until the grace periods end.
	 */
	if (old)
		list_del(&old->file_node);
	mutex_unlock(&uls_registry_lock);

	if (old)
		uls_entry_retire(old);
	return 0;

err_unpin:
	atomic_long_sub(e->pin.nr_pages, &uls_nr_pinned_pages);
	atomic_long_dec(&uls_nr_entries);
	put_task_struct(e->task);
	uls_unpin(&e->pin);
err_free:
	kfree(e);
	return ret;
}

/*
 * Remove the entry of @task, if it has one. This is the single way out of
 * the registry for a task; exit and exec handling will call it too.
 */
static int uls_drop_task(struct task_struct *task)
{
	struct uls_entry *e;

	mutex_lock(&uls_registry_lock);
	e = xa_load(&uls_registry, task->pid);
	if (!e || e->task != task) {
		mutex_unlock(&uls_registry_lock);
		return -ENOENT;
	}
	uls_entry_unlink(e);
	mutex_unlock(&uls_registry_lock);

	uls_entry_retire(e);
	return 0;
}

int uls_unregister_current(void)
{
	return uls_drop_task(current);
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

/* The file is going away: so do the entries registered through it. */
void uls_release_file(struct uls_file *uf)
{
	struct uls_entry *e, *tmp;
	LIST_HEAD(retired);

	mutex_lock(&uls_registry_lock);
	list_for_each_entry_safe(e, tmp, &uf->entries, file_node) {
		uls_entry_unlink(e);
		list_add(&e->file_node, &retired);
	}
	mutex_unlock(&uls_registry_lock);

	list_for_each_entry_safe(e, tmp, &retired, file_node)
		uls_entry_retire(e);
}

void uls_stats(u64 *nr_entries, u64 *nr_pinned_pages)
{
	*nr_entries = atomic_long_read(&uls_nr_entries);
	*nr_pinned_pages = atomic_long_read(&uls_nr_pinned_pages);
}

int uls_registry_init(void)
{
	uls_free_wq = alloc_workqueue("uls_free", WQ_UNBOUND, 0);
	if (!uls_free_wq)
		return -ENOMEM;
	return 0;
}

/*
 * Every file is closed by now (each holds a module reference), so every
 * entry is retired; wait for the callbacks of both grace periods, then for
 * the work they queued.
 */
void uls_registry_exit(void)
{
	WARN_ON(!xa_empty(&uls_registry));
	rcu_barrier_tasks_trace();
	rcu_barrier();
	destroy_workqueue(uls_free_wq);
}
