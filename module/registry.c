// SPDX-License-Identifier: GPL-2.0
/*
 * The registry: one entry per registered thread, found by its task in
 * table.c's table, which the kfuncs read locklessly.
 *
 * Writers (register, unregister, file release, the exit and exec work and
 * the free work) serialize on uls_registry_lock, which also protects each
 * file's list of entries and the page accounting. An entry that leaves the
 * table is freed only after an RCU-tasks-trace grace period (sleepable BPF
 * programs) and then an RCU grace period (all other BPF programs, and the
 * exit and exec probes), and then from a workqueue, because unmapping and
 * unpinning sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mutex.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "uls.h"

DEFINE_MUTEX(uls_registry_lock);
static struct kmem_cache *uls_entry_cache;
struct workqueue_struct *uls_wq;
static LLIST_HEAD(uls_retired);

/*
 * Registrations that ended, numbered in order (under uls_registry_lock),
 * and the number up to which all are freed: their memory is out of every
 * BPF program's reach, and its next owner safe from stores meant for the
 * last (ULS_IOC_INFO, ULS_IOC_WAIT_FREED; libuls quarantines its blocks
 * by them).
 */
static u64 uls_retire_seq, uls_freed_seq;
static DECLARE_WAIT_QUEUE_HEAD(uls_freed_wait);

/*
 * Retired entries wait this long for company, then for the grace periods
 * together: one pair of grace periods per batch, not per entry. Each grace
 * period costs every CPU something (RCU Tasks Trace even looks at every
 * CPU's current task), which a thread pool creating and ending threads
 * would otherwise pay per thread.
 */
#define ULS_REAP_DELAY	(HZ / 50)

static void uls_entry_free(struct uls_entry *e)
{
	unsigned int nr_pages = e->nr_pages;

	uls_unpin(e);
	put_task_struct(e->task);
	kmem_cache_free(uls_entry_cache, e);
	/* Last, so that counts at zero mean everything is released. */
	uls_stat_add(ULS_STAT_PINNED_PAGES, -(long)nr_pages);
	uls_stat_add(ULS_STAT_ENTRIES, -1);
}

static void uls_reap_fn(struct work_struct *work)
{
	struct llist_node *batch;
	struct uls_entry *e, *tmp;
	u64 seq;

	/* Every entry retired up to @seq is in this batch or was before. */
	mutex_lock(&uls_registry_lock);
	seq = uls_retire_seq;
	batch = llist_del_all(&uls_retired);
	mutex_unlock(&uls_registry_lock);
	if (!batch)
		return;
	/*
	 * Sleepable BPF programs read under RCU Tasks Trace, the others and
	 * the exit and exec probes under RCU: once both grace periods have
	 * passed, nothing holds an entry of the batch.
	 */
	synchronize_rcu_tasks_trace();
	synchronize_rcu();

	/* The exit and exec work may still hold some in its batch. */
	llist_for_each_entry(e, batch, free_node)
		uls_lifecycle_sync(e);

	mutex_lock(&uls_registry_lock);
	llist_for_each_entry(e, batch, free_node) {
		if (!list_empty(&e->file_node))
			list_del(&e->file_node);
		uls_account_reaped(e);
	}
	mutex_unlock(&uls_registry_lock);

	llist_for_each_entry_safe(e, tmp, batch, free_node)
		uls_entry_free(e);

	/* Whoever reads @seq (acquire) finds the batch freed. */
	smp_store_release(&uls_freed_seq, seq);
	wake_up_all(&uls_freed_wait);
}

static DECLARE_DELAYED_WORK(uls_reap_work, uls_reap_fn);

/*
 * Free @e once no BPF program can hold its address any more. Under
 * uls_registry_lock; @e must already be out of the registry.
 */
static void uls_entry_retire(struct uls_entry *e, enum uls_stat why)
{
	lockdep_assert_held(&uls_registry_lock);
	WRITE_ONCE(uls_retire_seq, uls_retire_seq + 1);
	uls_account_retired(e);
	/* It ended when its task exited or exec'd, whoever came to free it. */
	switch (READ_ONCE(e->room)) {
	case ULS_ROOM_EXITED:
		why = ULS_STAT_EXITED;
		break;
	case ULS_ROOM_EXECED:
		why = ULS_STAT_EXECED;
		break;
	}
	uls_stat_add(why, 1);
	llist_add(&e->free_node, &uls_retired);
	queue_delayed_work(uls_wq, &uls_reap_work, ULS_REAP_DELAY);
}

/* Take @e out of the registry; false if someone else did already. */
static bool uls_entry_claim(struct uls_entry *e)
{
	return uls_table_remove(e);
}

int uls_register_current(struct uls_file *uf, unsigned long uaddr, u64 len)
{
	struct uls_entry *e, *old;
	int ret;

	e = kmem_cache_zalloc(uls_entry_cache, GFP_KERNEL);
	if (!e)
		return -ENOMEM;

	ret = uls_pin_range(e, uaddr, len);
	if (ret)
		goto err_free;
	e->room = len;
	e->uaddr = uaddr;
	e->task = get_task_struct(current);
	INIT_LIST_HEAD(&e->file_node);

	mutex_lock(&uls_registry_lock);
	ret = uls_account_charge(e);
	if (ret == -EAGAIN)
		/* Too many wait: free what the grace periods allow, now. */
		mod_delayed_work(uls_wq, &uls_reap_work, 0);
	if (ret)
		goto err_unlock;
	ret = uls_table_insert(e, &old);
	if (ret)
		goto err_uncharge;
	list_add(&e->file_node, &uf->entries);
	uls_stat_add(ULS_STAT_ENTRIES, 1);
	uls_stat_add(ULS_STAT_PINNED_PAGES, e->nr_pages);
	uls_stat_add(ULS_STAT_REGISTERED, 1);
	/*
	 * The thread's previous registration, or the one its old image made
	 * before an exec that lifecycle.c's work has not dropped yet, is now
	 * unreachable; readers that already hold it keep it alive until the
	 * grace periods end.
	 */
	if (old)
		uls_entry_retire(old, ULS_STAT_REPLACED);
	mutex_unlock(&uls_registry_lock);
	return 0;

err_uncharge:
	uls_account_uncharge(e);
err_unlock:
	mutex_unlock(&uls_registry_lock);
	put_task_struct(e->task);
	uls_unpin(e);
err_free:
	kmem_cache_free(uls_entry_cache, e);
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
		*len = e->room;
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

void uls_seqs(u64 *retired, u64 *freed)
{
	*retired = READ_ONCE(uls_retire_seq);
	/* Pairs with the release in uls_reap_fn(). */
	*freed = smp_load_acquire(&uls_freed_seq);
}

/*
 * Wait until every registration that ended up to @seq (a retire number
 * ULS_IOC_INFO reported) is freed. Killable; the batching delay is cut
 * short, the grace periods are not.
 */
int uls_wait_freed(u64 seq)
{
	if (seq > READ_ONCE(uls_retire_seq))
		return -EINVAL;
	/* Both pair with the release in uls_reap_fn(). */
	if (smp_load_acquire(&uls_freed_seq) >= seq)
		return 0;
	mod_delayed_work(uls_wq, &uls_reap_work, 0);
	return wait_event_killable(uls_freed_wait,
				   /* as above */
				   smp_load_acquire(&uls_freed_seq) >= seq);
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
	/* Charged to the registering task's memory cgroup, like the pins. */
	uls_entry_cache = KMEM_CACHE(uls_entry, SLAB_ACCOUNT);
	if (!uls_entry_cache)
		return -ENOMEM;
	uls_wq = alloc_workqueue("uls", WQ_UNBOUND, 0);
	if (!uls_wq) {
		kmem_cache_destroy(uls_entry_cache);
		return -ENOMEM;
	}
	uls_account_init();
	return 0;
}

/*
 * Every file is closed by now (each holds a module reference), so every
 * entry is retired, and the exit and exec probes are gone: free what is
 * left now, then wait for the table's callbacks of both grace periods.
 */
void uls_registry_exit(void)
{
	flush_delayed_work(&uls_reap_work);
	rcu_barrier_tasks_trace();
	rcu_barrier();
	destroy_workqueue(uls_wq);
	uls_table_exit();
	kmem_cache_destroy(uls_entry_cache);
	uls_account_exit();
}
